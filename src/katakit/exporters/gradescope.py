"""Gradescope: a ``results.json`` for one submission, and the autograder bundle that writes it.

The results follow Gradescope's autograder specification: top-level ``score`` and ``tests``, each
test with ``name``, ``score``, ``max_score``, ``status``, ``output`` and ``visibility``. Test names
carry the kata id so a learner sees where each point comes from; the output is the learner-facing
message only, never grader code.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from katakit.catalog import Catalog
from katakit.misconceptions import FILE_NAME as FILE
from katakit.results import Report


def results(report: Report, visibility: str = "visible") -> dict[str, Any]:
    tests = [
        {
            "name": f"{kata.id} :: {test.name}",
            "score": 0 if kata.voided else test.score,
            "max_score": test.max_score,
            "status": "passed" if test.outcome == "passed" else "failed",
            "output": test.message,
            "visibility": visibility,
        }
        for kata in report.katas
        for test in kata.tests
        if test.outcome != "skipped"
    ]
    return {
        "score": report.score,
        "output": f"katakit: {report.score}/{report.max_score} points",
        "visibility": visibility,
        "stdout_visibility": "hidden",
        "tests": tests,
    }


SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once when it builds the autograder image.
set -euo pipefail
apt-get update && apt-get install -y python3 python3-pip python3-venv
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install --upgrade pip
/autograder/venv/bin/pip install -e /autograder/source -c /autograder/source/constraints/ci.txt \\
    --extra-index-url https://download.pytorch.org/whl/cpu
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission; the learner's files are in /autograder/submission.
# AUTOGRADER_ROOT and KATAKIT only exist so the bundle can be tried outside Gradescope.
set -uo pipefail
root="${{AUTOGRADER_ROOT:-/autograder}}"
katakit="${{KATAKIT:-$root/venv/bin/katakit}}"
submission="$root/submission"
# a learner may upload their whole repository or just the <topic>/<kata>.py files
[ -d "$submission/exercises" ] && submission="$submission/exercises"
# ... or a single <kata>.py (Gradescope's file upload): it is graded as <topic>/<kata>.py
staged="$root/katakit-submission"
for kata in {selection}; do
    name="${{kata#*/}}"
    if [ ! -e "$submission/$kata.py" ] && [ -e "$submission/$name.py" ]; then
        [ -d "$staged" ] || {{ mkdir -p "$staged" && cp -R "$submission/." "$staged/"; }}
        mkdir -p "$staged/${{kata%/*}}"
        cp -P "$submission/$name.py" "$staged/$kata.py"
    fi
done
[ -d "$staged" ] && submission="$staged"
"$katakit" --root "$root/source" grade {selection} \\
    --target "$submission" --format gradescope --output "$root/results/results.json" \\
    --exit-zero
"""


def bundle(catalog: Catalog, selection: list[str], destination: Path) -> Path:
    """The autograder zip: ``setup.sh``, ``run_autograder`` and the project minus solutions.

    Graders, manifests and the engine go in; reference solutions and mutants stay out.
    """
    katas = catalog.select(selection)
    root = catalog.root
    members: dict[str, bytes] = {
        "setup.sh": SETUP_SH.encode(),
        "run_autograder": RUN_AUTOGRADER.format(selection=" ".join(k.id for k in katas)).encode(),
    }
    for path in ("pyproject.toml", "README.md", "constraints/ci.txt"):
        members[f"source/{path}"] = (root / path).read_bytes()
    for file in sorted((root / "src" / "katakit").rglob("*")):
        if file.is_file() and "__pycache__" not in file.parts:
            members[f"source/{file.relative_to(root)}"] = file.read_bytes()
    for topic in {kata.topic for kata in katas}:
        # the manifest, and the known mistakes the topic's graders name
        for data in (root / "exercises" / topic / "katas.toml", root / "graders" / topic / FILE):
            if data.is_file():
                members[f"source/{data.relative_to(root)}"] = data.read_bytes()
    for kata in katas:
        grader = catalog.files(kata).grader
        members[f"source/{grader.relative_to(root)}"] = grader.read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o755 if name in ("setup.sh", "run_autograder") else 0o644) << 16
            archive.writestr(info, data)
    destination.write_bytes(buffer.getvalue())
    return destination
