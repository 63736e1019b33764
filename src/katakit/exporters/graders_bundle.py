"""The graders-only bundle: what a Classroom workflow (or any grading machine outside the
instructor's private repository) needs to grade, and nothing that gives the answers away.

It holds the hidden graders of the selected katas, their topics' manifests (``katas.toml``) and
misconceptions files, any other helper file of those grader folders, and the engine it was made
with (``src/katakit``, ``pyproject.toml``, ``constraints/ci.txt``), pinned in ``ENGINE.json``
(katakit version, the project's git commit, the katas). Never ``solutions/`` and never
``graders/<topic>/mutants/`` (a mutant patch is a solution in disguise). :func:`bundle_leaks` checks
that: no file of a private folder, and no distinctive line of a reference solution or a mutant.

The folder is meant to be pushed as its own private repository (``my-org/katakit-graders``) that
the Classroom workflow checks out with a read-only token.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from katakit import __version__
from katakit.catalog import MANIFEST, Catalog, Kata
from katakit.exporters.release import _distinctive_lines, scan

# Folders whose files never go into the bundle.
SECRET_AREAS = ("solutions", "mutants")

BUNDLE_README = """# katakit graders (graders only)

Written by `katakit graders-bundle` from the instructor's katakit project. It holds the hidden
graders, the manifests and misconceptions of {count} katas and the katakit engine that grades them
(pinned in `ENGINE.json`); no reference solutions and no mutants.

Push this folder as a **private** repository of its own (for instance `my-org/katakit-graders`)
and give the Classroom workflow a fine-grained token with read-only access to its contents (the
secret `KATAKIT_GRADERS_TOKEN`). Anyone who can run or edit that workflow can read what is here.

    pip install -e . -c constraints/ci.txt
    katakit --root . grade TOPIC/KATA --target path/to/exercises
"""


def _commit(root: Path) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def graders_bundle(catalog: Catalog, katas: list[Kata], out: Path) -> Path:
    """Write the graders-only bundle of ``katas`` to ``out`` (a new or empty folder)."""
    root = catalog.root
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise ValueError(f"{out} is not empty; choose a new folder for the graders bundle")
    out.mkdir(parents=True, exist_ok=True)

    def copy(source: Path) -> None:
        destination = out / source.relative_to(root)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination)

    chosen = {kata.id for kata in katas}
    for topic in dict.fromkeys(kata.topic for kata in katas):
        copy(root / "exercises" / topic / MANIFEST)
        folder = root / "graders" / topic
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder)
            if not path.is_file() or any(
                p in SECRET_AREAS or p == "__pycache__" for p in relative.parts
            ):
                continue
            other = f"{topic}/{path.stem[len('test_') :]}" not in chosen
            if path.name.startswith("test_") and path.suffix == ".py" and other:
                continue  # another kata's grader: not selected
            copy(path)
    for kata in katas:
        grader = catalog.files(kata).grader
        if not grader.is_file():
            raise FileNotFoundError(f"{kata.id}: no hidden grader at {grader}")
    shutil.copytree(
        root / "src" / "katakit",
        out / "src" / "katakit",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    for name in ("pyproject.toml", "constraints/ci.txt"):
        copy(root / name)
    pin = {"katakit": __version__, "commit": _commit(root), "katas": [k.id for k in katas]}
    (out / "ENGINE.json").write_text(json.dumps(pin, indent=2) + "\n", encoding="utf-8")
    (out / "README.md").write_text(BUNDLE_README.format(count=len(katas)), encoding="utf-8")
    (out / ".gitignore").write_text(".venv/\n__pycache__/\n*.egg-info/\n", encoding="utf-8")
    return out


def bundle_leaks(catalog: Catalog, out: Path) -> list[str]:
    """Everything in the bundle at ``out`` that gives away a reference solution or a mutant."""
    root = catalog.root
    graders = root / "graders"
    allowed = _distinctive_lines(
        [
            *(root / "exercises").rglob("*.py"),
            *(root / "src" / "katakit").rglob("*.py"),
            *(path for path in graders.rglob("*.py") if "mutants" not in path.parts),
        ]
    )
    secret = (
        _distinctive_lines([*(root / "solutions").rglob("*.py"), *graders.rglob("mutants/*")])
        - allowed
    )
    return scan(
        out,
        secret,
        SECRET_AREAS,
        folder="a solutions or mutants folder is in the graders bundle",
        code="reference or mutant code",
    )
