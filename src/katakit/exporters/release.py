"""The student release: a learner repository with stubs, public examples and the katakit runtime,
and nothing of the reference solutions, the hidden graders or the mutants.

``leaks`` is the check that keeps it that way: it fails on any file under a private folder and on
any distinctive line of reference, grader or mutant code (the mutants' patch files included) that
turns up in the release.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from katakit import statements
from katakit.catalog import MANIFEST, Catalog, Kata
from katakit.exporters.classroom import DEFAULT_GRADERS_REPO, classroom_workflow

PRIVATE_AREAS = ("solutions", "graders", "mutants")
# Lines shorter than this are too generic (``return out``) to identify copied code.
_DISTINCTIVE = 24

LEARNER_README = """# {title}

Katas from katakit: each one is a Python file in `exercises/<topic>/` to fill in. The module's
docstring is the statement; the functions raise `NotImplementedError` until you write them.

## Set up once, then grade as often as you like

```bash
python3 -m venv .venv && .venv/bin/pip install -e . -c constraints/ci.txt
.venv/bin/pytest                       # every kata
.venv/bin/pytest exercises/{first_topic}          # one topic
```

`pytest` runs the public examples next to each kata (`*_test.py`) and prints a table. The points
come from hidden graders that are not in this repository: they run in GitHub Classroom every time
you push, and the Actions tab shows your score with a message for each failed test. Here the
table says "hidden grader not available in this copy" for that reason.

## Points

| kata | points | level |
|---|---|---|
{rows}

A kata's points are split over its hidden tests: correct core behaviour earns most of them, edge
cases the rest. Code that runs past the time limit, exits the process, crashes or prints more than
1 MiB earns 0 for that kata; so does calling a library function the kata asks you to write.

## Stuck?

`.venv/bin/katakit hint <topic>/<kata>` prints the first hint; `--level 2` the next one, and so on.
"""

PYPROJECT = """[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "katakit-assignment"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = {dependencies}

[project.scripts]
katakit = "katakit.cli:main"

[project.entry-points.pytest11]
katakit = "katakit.plugin"

[tool.setuptools.packages.find]
where = ["src"]

[tool.setuptools.package-data]
katakit = ["data/*.tsv", "locale/*/LC_MESSAGES/*.mo"]

[tool.pytest.ini_options]
testpaths = ["exercises"]
addopts = "--import-mode=importlib"
"""


def _manifest_blocks(path: Path) -> tuple[str, dict[str, str]]:
    """A manifest's header comment and its ``[[katas]]`` blocks by kata name, as written."""
    head, *blocks = re.split(r"(?m)^(?=\[\[katas\]\])", path.read_text(encoding="utf-8"))
    by_name = {}
    for block in blocks:
        match = re.search(r'(?m)^name\s*=\s*"([^"]+)"', block)
        if match:
            by_name[match.group(1)] = block.rstrip() + "\n"
    return head, by_name


def _dependencies(root: Path) -> str:
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    block = re.search(r"(?ms)^dependencies = (\[.*?\])", text)
    return block.group(1) if block else "[]"


def release(
    catalog: Catalog,
    katas: list[Kata],
    out: Path,
    *,
    title: str = "katakit assignment",
    graders_repo: str = DEFAULT_GRADERS_REPO,
    lang: str = "en",
) -> Path:
    """Write the learner repository for ``katas`` to ``out`` (which must not exist yet), with
    each stub's statement in ``lang``; both editions of each statement go along for ``show``."""
    root = catalog.root
    if out.exists() and any(out.iterdir()):
        raise ValueError(f"{out} is not empty; choose a new folder for the release")
    out.mkdir(parents=True, exist_ok=True)
    for topic in dict.fromkeys(kata.topic for kata in katas):
        head, blocks = _manifest_blocks(root / "exercises" / topic / MANIFEST)
        chosen = [blocks[kata.name] for kata in katas if kata.topic == topic]
        (out / "exercises" / topic).mkdir(parents=True)
        (out / "exercises" / topic / MANIFEST).write_text(
            head.rstrip() + "\n\n" + "\n".join(chosen), encoding="utf-8"
        )
    for kata in katas:
        files = catalog.files(kata)
        stub = out / files.stub.relative_to(root)
        stub.write_text(statements.localized_stub(files, lang), encoding="utf-8")
        for source in (files.examples, *statements.translations(files)):
            shutil.copy2(source, out / source.relative_to(root))
    shutil.copytree(
        root / "src" / "katakit",
        out / "src" / "katakit",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    (out / "constraints").mkdir()
    shutil.copy2(root / "constraints" / "ci.txt", out / "constraints" / "ci.txt")
    (out / "pyproject.toml").write_text(
        PYPROJECT.format(dependencies=_dependencies(root)), encoding="utf-8"
    )
    (out / ".gitignore").write_text(".venv/\n__pycache__/\n*.egg-info/\n", encoding="utf-8")
    rows = "\n".join(f"| `{k.id}` | {k.points} | {'★' * k.difficulty} |" for k in katas)
    (out / "README.md").write_text(
        LEARNER_README.format(title=title, first_topic=katas[0].topic, rows=rows),
        encoding="utf-8",
    )
    workflow = out / ".github" / "workflows" / "classroom.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(classroom_workflow(katas, graders_repo), encoding="utf-8")
    return out


def _distinctive_lines(paths: list[Path]) -> set[str]:
    lines = set()
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            stripped = line.strip()
            if len(stripped) >= _DISTINCTIVE and not stripped.startswith(("#", "import ", "from ")):
                lines.add(stripped)
    return lines


def leaks(catalog: Catalog, out: Path) -> list[str]:
    """Everything in ``out`` that gives away a reference solution, a grader or a mutant."""
    root = catalog.root
    public = _distinctive_lines(
        [*(root / "exercises").rglob("*.py"), *(root / "src" / "katakit").rglob("*.py")]
    )
    graders = root / "graders"
    # mutants are patches in graders/<topic>/mutants/<kata>.toml: their code lines are secret too
    secret = (
        _distinctive_lines(
            [*(root / "solutions").rglob("*.py"), *graders.rglob("*.py"), *graders.rglob("*.toml")]
        )
        - public
    )
    return scan(
        out,
        secret,
        PRIVATE_AREAS,
        folder="a private folder is in the release",
        code="reference, grader or mutant code",
    )


def scan(
    out: Path, secret: set[str], areas: tuple[str, ...], *, folder: str, code: str
) -> list[str]:
    """Each file of ``out`` under a folder named in ``areas`` (said as ``folder``), and each line
    found in ``secret`` (said as ``code``)."""
    found = []
    for path in sorted(out.rglob("*")):
        relative = path.relative_to(out)
        if any(part in areas for part in relative.parts):
            found.append(f"{relative}: {folder}")
            continue
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip() in secret:
                found.append(f"{relative}:{number}: {code}: {line.strip()[:60]}")
    return found
