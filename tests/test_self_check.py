"""The repository's own katas: reference full marks, stub zero, every mutant loses points."""

import pytest

from katakit.catalog import Catalog
from katakit.verify import verify

from .conftest import REPO

CATALOG = Catalog.load(REPO)


@pytest.fixture(scope="module")
def checks():
    return {check.kata.id: check for check in verify(CATALOG, CATALOG.katas)}


@pytest.mark.parametrize("kata_id", [kata.id for kata in CATALOG.katas])
def test_kata_passes_the_self_check(checks, kata_id):
    check = checks[kata_id]
    assert not check.problems, f"{kata_id}: " + "; ".join(check.problems)
