"""Shared fixtures for the engine's own tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from katakit.catalog import Catalog

# The fixture project and submissions hold graders and examples of their own: they are run by
# the tests below, never collected as tests of this suite.
collect_ignore = ["fixtures"]

FIXTURES = Path(__file__).parent / "fixtures"
PROJECT = FIXTURES / "project"
SUBMISSIONS = FIXTURES / "submissions"
REPO = Path(__file__).parent.parent
_JOURNAL = shutil.ignore_patterns(".katakit")


def dead_or_dying(pid: int | str) -> bool:
    """Whether process ``pid`` is gone, a zombie, or has SIGKILL pending: never to run again.
    (The kernel tears a killed learner down after grading has moved on.)"""
    try:
        status = dict(
            line.split(":\t", 1)
            for line in Path(f"/proc/{pid}/status").read_text().splitlines()
            if ":\t" in line
        )
    except OSError:
        return True
    pending = int(status.get("SigPnd", "0"), 16) | int(status.get("ShdPnd", "0"), 16)
    return status.get("State", "")[:1] in ("Z", "X") or bool(pending & (1 << (9 - 1)))


@pytest.fixture(scope="session")
def demo_catalog() -> Catalog:
    return Catalog.load(PROJECT)


@pytest.fixture
def demo_project(tmp_path: Path) -> Path:
    """A writable copy of the fixture project."""
    # not the journal a test that graded the fixture project itself may have left there
    return Path(shutil.copytree(PROJECT, tmp_path / "project", ignore=_JOURNAL))


@pytest.fixture
def demo_project_with_gpu_test(demo_project: Path) -> Path:
    """The copy, with a 1-point GPU-marked test added to demo/add (now worth 4 points)."""
    grader = demo_project / "graders/demo/test_add.py"
    grader.write_text(
        grader.read_text()
        + "\n\n@pytest.mark.gpu\n@pytest.mark.points(1)\ndef test_adds_on_the_gpu(kata):\n"
        "    assert kata.add(1, 2) == 3\n"
    )
    manifest = demo_project / "exercises/demo/katas.toml"
    manifest.write_text(manifest.read_text().replace("points = 3", "points = 4", 1))
    return demo_project


def pytest_configure(config: pytest.Config) -> None:
    """Refuse ``--dist loadgroup`` where pytest-xdist would silently ignore the groups (pytest 9.2
    with pytest-xdist 3.8: pytest-xdist#1386): every worker that got one of a topic's katas would
    then run that topic's whole self-check again."""
    if config.getoption("dist", default="no") != "loadgroup":
        return
    import xdist

    if _version(pytest.__version__) >= (9, 2) and _version(xdist.__version__) <= (3, 8):
        raise pytest.UsageError(
            f"pytest {pytest.__version__} with pytest-xdist {xdist.__version__} ignores "
            "--dist loadgroup (pytest-xdist#1386): install the [dev] extra's versions "
            "(pip install -e '.[dev]')"
        )


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".")[:2] if part.isdigit())
