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


@pytest.fixture(scope="session")
def demo_catalog() -> Catalog:
    return Catalog.load(PROJECT)


@pytest.fixture
def demo_project(tmp_path: Path) -> Path:
    """A writable copy of the fixture project."""
    return Path(shutil.copytree(PROJECT, tmp_path / "project"))


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
