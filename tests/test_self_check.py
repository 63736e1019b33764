"""The repository's own katas: reference full marks, stub zero, every mutant loses points.

Each topic is verified once, by whichever worker runs its first kata; under pytest-xdist
(``-n auto --dist loadgroup``) a topic's katas stay on one worker, so the topics are shared out
between the workers and none is verified twice.
"""

import pytest

from katakit.catalog import Catalog
from katakit.verify import KataCheck, verify

from .conftest import REPO

CATALOG = Catalog.load(REPO)
_CHECKS: dict[str, dict[str, KataCheck]] = {}


def checks_of(topic: str) -> dict[str, KataCheck]:
    if topic not in _CHECKS:
        katas = [kata for kata in CATALOG.katas if kata.topic == topic]
        _CHECKS[topic] = {check.kata.id: check for check in verify(CATALOG, katas)}
    return _CHECKS[topic]


@pytest.mark.parametrize(
    "kata",
    [
        pytest.param(kata, id=kata.id, marks=pytest.mark.xdist_group(kata.topic))
        for kata in CATALOG.katas
    ],
)
def test_kata_passes_the_self_check(kata):
    check = checks_of(kata.topic)[kata.id]
    assert not check.problems, f"{kata.id}: " + "; ".join(check.problems)
