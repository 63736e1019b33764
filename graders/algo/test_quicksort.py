"""Hidden grader for algo/quicksort: cost is graded by counting comparisons, depth by stack room.

Where the comparison count is the point (``median_of_three``, ``partition3`` and the quicksort
budgets), every item the learner sorts is a ``Key`` that stays on the grader's side: an opaque
wrapper whose ``<``, ``<=``, ``>``, ``>=`` and ``==`` are each a call back to the grader, counted
on a counter the learner's code cannot reach (and stopping the run once a budget is spent, so a
quadratic sort fails fast instead of running for seconds). Where it is not (does quicksort sort
at all), the items are made where the learner's code runs (the probe ``learner_items``): they
compare by value and carry nothing else, and the grader keeps each one's value by its identity.
The oracle for the order is Python's ``sorted`` on the plain values, run by the grader itself.

Recursion depth is measured where the learner's code runs (the probe
``sort_against_an_adversary``), by lowering Python's recursion limit around the call: the
learner gets room for ``2 * (ceil(log2 n) + 1) + 20`` nested Python frames (two per level in
case a level is a call through a wrapper, plus room for helpers and comparisons). McIlroy's
adversary ("A killer adversary for quicksort", 1999) decides the outcome of each comparison
lazily and drives any quicksort whose pivot is one of O(1) candidates into n partitions of size
n - O(1); only a sort that recurses into the smaller side and loops on the larger stays shallow.
"""

from __future__ import annotations

import itertools
import math

import pytest

from katakit.checks import fail, rng
from katakit.counting import Counter, Key, OutOfComparisons
from katakit.items import learner_items
from katakit.sandbox import probe

COUNTER = Counter()


def keys(values):
    return [Key(v, i, COUNTER) for i, v in enumerate(values)]


def organ_pipe(n):
    half = n // 2
    return list(range(half)) + list(range(n - half - 1, -1, -1))


INPUTS = {
    "sorted": lambda n: list(range(n)),
    "reversed": lambda n: list(range(n, 0, -1)),
    "organ_pipe": organ_pipe,
    "random": lambda n: [int(v) for v in rng(n).integers(0, n, n)],
}


def check_sorted(items, originals, values, where):
    """``items`` holds exactly the ``originals`` objects (``values[i]`` the value of
    ``originals[i]``), in non-decreasing value order."""
    __tracebackhide__ = True
    if not isinstance(items, list) or len(items) != len(originals):
        fail(
            f"after quicksort the list has {len(items)} items, expected {len(originals)} [{where}]"
        )
    position = {id(k): i for i, k in enumerate(originals)}
    if any(id(k) not in position for k in items) or len({id(k) for k in items}) != len(items):
        fail(
            "after quicksort the list does not hold the original objects, each once: move the "
            f"items, do not copy or rebuild them [{where}]"
        )
    got = [values[position[id(k)]] for k in items]
    expected = sorted(values)
    if got != expected:
        bad = next(i for i in range(len(got)) if got[i] != expected[i])
        if len(got) <= 20:
            shown = f"got {got}, expected {expected}"
        else:
            lo = max(bad - 3, 0)
            shown = f"got ... {got[lo : bad + 4]} ..., expected ... {expected[lo : bad + 4]} ..."
        fail(f"not sorted: first wrong value at index {bad}: {shown} [{where}]")


# -- median_of_three -------------------------------------------------------------------------
def median_cases():
    """(case, values, lo, hi): ranges of every small size, values with many ties."""
    gen = rng(3)
    cases = [(0, 3), (0, 1), (0, 2), (2, 9), (5, 6)]
    cases += [
        (int(lo), int(lo + size))
        for lo, size in zip(gen.integers(0, 5, 40), gen.integers(1, 12, 40), strict=True)
    ]
    for case, (lo, hi) in enumerate(cases):
        yield case, [int(v) for v in gen.integers(0, 4, hi + 3)], lo, hi


def call_median_of_three(kata, values, lo, hi):
    """(the index returned, the items afterwards, the items before, comparisons, samples, where)."""
    items = keys(values)
    before = list(items)
    mid = (lo + hi) // 2
    samples = {lo: values[lo], mid: values[mid], hi - 1: values[hi - 1]}
    where = f"values {values}, lo={lo}, hi={hi} (samples at {sorted(samples)})"
    index, comparisons = COUNTER.run(kata.median_of_three, items, lo, hi, limit=50)
    return index, items, before, comparisons, samples, where


@pytest.mark.points(1)
def test_median_of_three_returns_the_median_sample(kata):
    for case, values, lo, hi in median_cases():
        index, items, _, _, samples, where = call_median_of_three(kata, values, lo, hi)
        if isinstance(index, bool) or not isinstance(index, int):
            fail(f"median_of_three must return an index (int), got {index!r} [{where}]")
        if index not in samples:
            fail(f"median_of_three returned {index}, not one of the sampled slots [{where}]")
        median = sorted([values[lo], values[(lo + hi) // 2], values[hi - 1]])[1]
        if items[index].value != median:
            fail(
                f"median_of_three returned slot {index} holding {items[index].value}; "
                f"the median of {sorted(samples.values())} is {median} [{where}, case {case}]"
            )


@pytest.mark.points(1)
def test_median_of_three_makes_at_most_3_comparisons_and_moves_only_the_samples(kata):
    # Its footprint only: which slot it returns is the test above's business.
    for _, values, lo, hi in median_cases():
        _, items, before, comparisons, samples, where = call_median_of_three(kata, values, lo, hi)
        if comparisons > 3:
            fail(f"median_of_three made {comparisons} comparisons; three are enough [{where}]")
        moved = [i for i in range(len(items)) if items[i] is not before[i]]
        if any(i not in samples for i in moved) or sorted(map(id, items)) != sorted(
            map(id, before)
        ):
            fail(
                "median_of_three may only reorder the three sampled slots among themselves; "
                f"it changed slots {moved} [{where}]"
            )


# -- partition3 ------------------------------------------------------------------------------
PARTITION_CASES = [
    ("random with duplicates", 11, 0, 40, 8),
    ("random distinct", 12, 3, 61, 1000),
    ("all equal", 13, 2, 30, 1),
    ("two values", 14, 1, 25, 2),
    ("one item", 15, 4, 5, 3),
]


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "name, seed, lo, hi, spread", PARTITION_CASES, ids=[c[0] for c in PARTITION_CASES]
)
def test_partition3_splits_the_range_into_less_equal_greater(kata, name, seed, lo, hi, spread):
    gen = rng(seed)
    values = [int(v) for v in gen.integers(0, spread, hi + 4)]
    items = keys(values)
    before = list(items)
    p = int(gen.integers(lo, hi))
    pivot = values[p]
    where = f"{name}, seed {seed}, lo={lo}, hi={hi}, p={p} (pivot value {pivot})"
    result, _ = COUNTER.run(kata.partition3, items, lo, hi, p, limit=10 * (hi - lo) + 10)
    try:
        lt, gt = result
        lt, gt = int(lt), int(gt)
    except (TypeError, ValueError):
        fail(f"partition3 must return a pair of ints (lt, gt), got {result!r} [{where}]")
    if any(items[i] is not before[i] for i in [*range(lo), *range(hi, len(items))]):
        fail(f"partition3 changed items outside [lo, hi) [{where}]")
    if sorted(map(id, items[lo:hi])) != sorted(map(id, before[lo:hi])):
        fail(f"partition3 must permute the items of [lo, hi), not copy or replace them [{where}]")
    inside = [k.value for k in items[lo:hi]]
    n_less = sum(v < pivot for v in inside)
    n_equal = sum(v == pivot for v in inside)
    expected = (lo + n_less, lo + n_less + n_equal)
    if (lt, gt) != expected:
        fail(
            f"partition3 returned (lt, gt) = {(lt, gt)}, expected {expected}: items[lo:lt] < "
            f"pivot, items[lt:gt] == pivot, items[gt:hi] > pivot [{where}]"
        )
    ok = all(v < pivot for v in inside[: lt - lo])
    ok = ok and all(v == pivot for v in inside[lt - lo : gt - lo])
    ok = ok and all(v > pivot for v in inside[gt - lo :])
    if not ok:
        fail(f"partition3 left the range as {inside}: not < | == | > the pivot {pivot} [{where}]")


@pytest.mark.points(1)
def test_partition3_makes_at_most_two_comparisons_per_item(kata):
    for seed, spread in [(21, 5), (22, 10_000), (23, 1)]:
        gen = rng(seed)
        n = 200
        items = keys([int(v) for v in gen.integers(0, spread, n)])
        p = int(gen.integers(0, n))
        _, comparisons = COUNTER.run(kata.partition3, items, 0, n, p, limit=50 * n)
        if comparisons > 2 * n + 3:
            fail(
                f"partition3 made {comparisons} comparisons on {n} items; the budget is "
                f"2 * (hi - lo) + 3 = {2 * n + 3} [seed {seed}, {spread} distinct values at most]"
            )


# -- quicksort: correctness (the learner's own items: the count is not the point here) --------
@pytest.mark.points(2)
def test_quicksort_sorts_in_place_keeping_the_same_objects(kata):
    gen = rng(31)
    sizes = [0, 1, 2, 3, 4, 5, 7, 10, 16, 33, 100, 257]
    for size in sizes:
        for spread in (3, 1000):
            values = [int(v) for v in gen.integers(0, spread, size)]
            limit = 10 * (size + 2) ** 2
            (items,) = learner_items([values], limit)
            originals = list(items)
            where = f"n={size}, values in [0, {spread}), seed 31"
            try:
                result = kata.quicksort(items)
            except OutOfComparisons:
                fail(
                    f"quicksort made more than 10 (n + 2)^2 = {limit} comparisons and was "
                    f"stopped: look for a loop that never ends [{where}]"
                )
            if result is not None:
                fail(f"quicksort sorts in place and returns None; it returned {result!r} [{where}]")
            check_sorted(items, originals, values, where)


# -- quicksort: comparisons ------------------------------------------------------------------
# Median-of-three with an order-keeping partition needs about 1.5 n log2 n comparisons on sorted,
# reversed and random inputs at these sizes (a partition that spends its whole budget of 2 per
# item, about 1.9); organ pipes are its weak spot (close to 3 n log2 n, 3.5 at most with such a
# partition). Dijkstra's one-pass partition spends 2.6 to 2.9 n log2 n on sorted input here, a
# middle-item pivot 4.1 to 4.5 on organ pipes, and a pivot from one end of the range is quadratic
# on sorted and reversed input (n / (2 log2 n), 16 to 22, times n log2 n).
C = {"sorted": 2.25, "reversed": 2.25, "random": 2.25, "organ_pipe": 3.75}


@pytest.mark.points(2)
@pytest.mark.parametrize("kind", list(INPUTS))
def test_quicksort_comparisons_stay_within_c_n_log2_n(kata, kind):
    # One size, not a power of two: every comparison is a trip to the grader, and the mistakes
    # above already show at n = 383 with a margin (Dijkstra 2.9 n log2 n on sorted input, a
    # middle-item pivot 4.5 on organ pipes, a pivot from one end 45 on sorted input).
    n = 383
    values = INPUTS[kind](n)
    items = keys(values)
    originals = list(items)
    budget = int(C[kind] * n * math.log2(n))
    where = f"{kind.replace('_', ' ')} input, n={n}"
    try:
        COUNTER.run(kata.quicksort, items, limit=budget)
    except OutOfComparisons:
        hint = {
            "sorted": "a pivot taken from one end of the range is the minimum on sorted input: "
            "use the median of items[lo], items[mid], items[hi - 1]",
            "reversed": "a pivot taken from one end is the maximum on reversed input: use the "
            "median of three",
            "organ_pipe": "the middle item of an organ pipe is its "
            "maximum: take the median of three samples, not the middle one",
        }.get(kind, "")
        fail(
            f"quicksort needed more than {C[kind]} * n * log2(n) = {budget} comparisons "
            f"[{where}]. "
            + (f"Likely cause: {hint}. " if hint else "")
            + "If you partition in one left-to-right pass (Dijkstra's Dutch national flag), the "
            "part above the pivot gets reversed on every call and median-of-three stops finding "
            "good pivots: scan from both ends instead."
        )
    check_sorted(items, originals, values, where)


@pytest.mark.points(1)
def test_quicksort_on_all_equal_items_is_linear(kata):
    n = 400  # a two-way partition needs n log2 n = 3458 or n^2 / 2 here: far past 3n = 1200
    values = [7] * n
    items = keys(values)
    originals = list(items)
    try:
        COUNTER.run(kata.quicksort, items, limit=3 * n)
    except OutOfComparisons:
        fail(
            f"quicksort needed more than 3n = {3 * n} comparisons on {n} equal items. A three-way "
            "partition puts every item equal to the pivot in the middle part, which is never "
            "sorted again, so equal items finish in one pass. A two-way partition sends them all "
            "to one side (n^2 / 2 comparisons), or at best splits them (n log n)."
        )
    check_sorted(items, originals, values, f"{n} equal items")


# -- quicksort: recursion depth --------------------------------------------------------------
@probe
def sort_against_an_adversary(quicksort, n, low, frames, limit):
    """Run ``quicksort`` over ``n`` items of McIlroy's adversary, with room for about ``frames``
    nested Python calls below this one and at most ``limit`` comparisons. Returns what happened
    ("sorted", "too deep" or "too many comparisons"), the list afterwards, the items in input
    order, and the value the adversary gave each of those."""
    import sys

    class Adversary:
        # Items start as "gas" (all equal, beyond every frozen value). When two gas items meet,
        # the one most recently seen as the probable pivot is frozen to the next solid value, so
        # pivots come out extreme. ``low=True`` freezes small values (big parts above the
        # pivot); False freezes large ones (big parts below it).
        def __init__(self, n, low):
            self.low = low
            self.gas = n if low else -1
            self.value = [self.gas] * n
            self.solid = 0 if low else n - 1
            self.candidate = 0
            self.comparisons = 0

        def freeze(self, i):
            self.value[i] = self.solid
            self.solid += 1 if self.low else -1

        def compare(self, i, j):
            self.comparisons += 1
            if self.comparisons > limit:
                raise TooManyComparisons
            value, gas = self.value, self.gas
            if value[i] == gas and value[j] == gas:
                self.freeze(i if i == self.candidate else j)
            if value[i] == gas:
                self.candidate = i
            elif value[j] == gas:
                self.candidate = j
            return value[i] - value[j]

    class TooManyComparisons(BaseException):
        pass

    class AdversaryKey:
        __slots__ = ("_adv", "_i")

        def __init__(self, adversary, i):
            self._adv = adversary
            self._i = i

        def __lt__(self, other):
            return self._adv.compare(self._i, other._i) < 0

        def __le__(self, other):
            return self._adv.compare(self._i, other._i) <= 0

        def __gt__(self, other):
            return self._adv.compare(self._i, other._i) > 0

        def __ge__(self, other):
            return self._adv.compare(self._i, other._i) >= 0

        def __eq__(self, other):
            return self._adv.compare(self._i, other._i) == 0

        def __ne__(self, other):
            return self._adv.compare(self._i, other._i) != 0

        __hash__ = None

    adversary = Adversary(n, low)
    items = [AdversaryKey(adversary, i) for i in range(n)]
    originals = list(items)
    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth += 1
        frame = frame.f_back
    outcome = "sorted"
    old = sys.getrecursionlimit()
    # about ``frames`` nested calls fit below this one (give or take one, by Python version)
    sys.setrecursionlimit(depth + frames + 3)
    try:
        quicksort(items)
    except RecursionError:
        outcome = "too deep"
    except TooManyComparisons:
        outcome = "too many comparisons"
    finally:
        sys.setrecursionlimit(old)
    return outcome, items, originals, [adversary.value[k._i] for k in originals]


@pytest.mark.points(1)
@pytest.mark.parametrize("low", [True, False], ids=["big_part_above", "big_part_below"])
def test_quicksort_recursion_depth_is_logarithmic_against_an_adversary(kata, low):
    n = 300
    levels = math.ceil(math.log2(n)) + 1
    room = 2 * levels + 20
    where = f"n={n}, McIlroy's adversary, the large part {'above' if low else 'below'} the pivot"
    outcome, items, originals, values = sort_against_an_adversary(
        kata.quicksort, n, low, room, 5 * n * n
    )
    if outcome == "too deep":
        fail(
            f"quicksort recursed too deep: the grader allows about {room} nested Python calls "
            f"({levels} levels) for n={n} [{where}]. When pivots are bad every partition "
            "leaves one part of size n - O(1); recursing into both parts then nests n calls. "
            "Recurse only into the smaller part and loop on the larger one (check which part "
            "is smaller: the large part may be on either side)."
        )
    if outcome == "too many comparisons":
        fail(f"quicksort made more than 5 n^2 = {5 * n * n} comparisons [{where}]")
    position = {id(k): i for i, k in enumerate(originals)}
    if (
        not isinstance(items, list)
        or len(items) != n
        or any(id(k) not in position for k in items)
        or len({id(k) for k in items}) != n
    ):
        fail(f"after quicksort the list does not hold the original objects [{where}]")
    order = [values[position[id(k)]] for k in items]
    if any(a > b for a, b in itertools.pairwise(order)):
        fail(f"the list is not sorted afterwards [{where}]")
