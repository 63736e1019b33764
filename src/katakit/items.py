"""Items for comparison-based katas, made where the learner's code runs.

Where a grader needs many comparisons but not their count (does the sort order random input,
is it stable), items made on the learner's side compare without crossing the door. They carry
their value and nothing else: a grader keeps each item's input position by ``id`` of its proxy,
out of the learner's reach. Where the count is the point, graders use :mod:`katakit.counting`'s
keys, which stay on the grader's side.
"""

from __future__ import annotations

import math

from katakit.counting import OutOfComparisons
from katakit.i18n import _
from katakit.sandbox import probe


def learner_items(value_lists: list[list], limit: float = math.inf) -> list[list]:
    """For each list of values, items made on the learner's side (the grader holds proxies of
    them); past ``limit`` comparisons within one list, a comparison raises OutOfComparisons."""

    def out_of_comparisons() -> None:
        raise OutOfComparisons(_("more than {limit} comparisons between items").format(limit=limit))

    return _make_items(value_lists, limit, out_of_comparisons)


@probe
def _make_items(value_lists, limit, out_of_comparisons):
    """For each list of values, items made on the learner's side: compared by value only, with
    nothing else on them. Once the items of one list were compared more than ``limit`` times,
    each further comparison calls ``out_of_comparisons`` (a grader callable that raises)."""

    def make(values):
        spent = [0]

        def spend():
            spent[0] += 1
            if spent[0] > limit:
                out_of_comparisons()

        class Item:
            __slots__ = ("value",)

            def __init__(self, value):
                self.value = value

            def __lt__(self, other):
                spend()
                return self.value < other.value

            def __le__(self, other):
                spend()
                return self.value <= other.value

            def __gt__(self, other):
                spend()
                return self.value > other.value

            def __ge__(self, other):
                spend()
                return self.value >= other.value

            def __eq__(self, other):
                spend()
                return self.value == other.value

            def __ne__(self, other):
                spend()
                return self.value != other.value

            __hash__ = None

            def __repr__(self):
                return f"Item({self.value!r})"

        return [Item(v) for v in values]

    return [make(values) for values in value_lists]
