"""Section 3 of benchmarks/run.py: ``nbgrader autograde`` vs ``katakit grade`` on the same code.

The whole topic is exported as one nbgrader assignment (a notebook per kata) into a scratch
course; one learner's notebooks get the code of ``submission/<topic>/`` in their answer cells.
Then the same code is graded both ways, each timed once, and the scores are compared.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ASSIGNMENT = "bench"
LEARNER = "learner"


def _timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    # nbgrader calls the `alembic` script: the interpreter's scripts folder must be on PATH
    env = {
        **os.environ,
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
    }
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:4])} failed:\n{done.stderr[-3000:]}")
    return seconds


def compare(
    root: Path,
    topic: str,
    submission: Path,
    baseline: float,
    row: Callable[[str, float, float, str], None],
) -> None:
    from nbgrader.api import Gradebook

    from katakit.catalog import Catalog
    from katakit.exporters.nbgrader import export_nbgrader, notebook_name, submission_notebook

    catalog = Catalog.load(root)
    katas = catalog.select([topic])
    nbgrader = [sys.executable, "-m", "nbgrader"]
    with tempfile.TemporaryDirectory(prefix="katakit-nbgrader-bench-") as scratch:
        course = Path(scratch) / "course"
        start = time.perf_counter()
        export_nbgrader(catalog, katas, course, ASSIGNMENT)
        exported = time.perf_counter() - start
        generated = _timed([*nbgrader, "generate_assignment", ASSIGNMENT, "--force"], course)
        graded = []
        for kata in katas:
            code = submission / topic / f"{kata.name}.py"
            if not code.is_file():
                continue  # nbgrader scores a missing notebook 0, as katakit a missing kata
            name = f"{notebook_name(kata)}.ipynb"
            submission_notebook(
                course / "release" / ASSIGNMENT / name,
                code.read_text(encoding="utf-8"),
                course / "submitted" / LEARNER / ASSIGNMENT / name,
            )
            graded.append(kata)
        autograde = _timed([*nbgrader, "autograde", ASSIGNMENT, "--force"], course)
        report_file = Path(scratch) / "report.json"
        katakit = [sys.executable, "-m", "katakit", "grade", topic, "--target", str(submission)]
        katakit += ["--exit-zero", "--format", "json", "--output", str(report_file)]
        katakit_seconds = _timed(katakit, root)

        report = json.loads(report_file.read_text(encoding="utf-8"))
        expected = {kata["id"]: kata["score"] for kata in report["katas"]}
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
            found = {
                kata.id: gradebook.find_submission_notebook(
                    notebook_name(kata), ASSIGNMENT, LEARNER
                ).score
                for kata in katas
            }
    differ = sorted(k for k in expected if found.get(k) != expected[k])
    same = (
        f"scores equal ({sum(expected.values())}/{report['max_score']})"
        if not differ
        else f"SCORES DIFFER: {', '.join(f'{k} {found.get(k)} vs {expected[k]}' for k in differ)}"
    )
    count = len(katas)
    row(f"export {count} katas to nbgrader source notebooks", exported, baseline, "once per class")
    row("nbgrader generate_assignment", generated, baseline, "once per class")
    row(
        f"nbgrader autograde, 1 learner x {len(graded)} notebooks",
        autograde,
        baseline,
        f"{autograde / max(len(graded), 1):.2f} s/notebook; {autograde / katakit_seconds:.1f}x "
        "katakit grade",
    )
    row(f"katakit grade {topic}, same code", katakit_seconds, baseline, same)
