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
