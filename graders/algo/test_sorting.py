"""Hidden grader for algo/sorting: order, stability and in-place promises, and comparison counts.

Two kinds of items. Where the comparison count is the point (the complexity tests), items are
``Key`` objects that stay on the grader's side: opaque wrappers whose comparisons (``<``,
``<=``, ``>``, ``>=``, ``==``, ``!=``) are each a call back to the grader, counted on a counter
the learner's code cannot reach, with values it cannot read. The distribution sorts get keys as
``KeyInt`` / ``KeyFloat``: int and float subclasses, also on the grader's side, whose order
comparisons with another key count on a second counter, so a disguised comparison sort shows up.

Everywhere else (order on random, sorted, reversed and duplicate inputs, stability, any base,
the in-place and new-list promises) the count is not the point, so the items are made where the
learner's code runs (the probe ``learner_items``): they compare by value and carry nothing else,
and the distribution sorts get a key function of that side (``value_of``). The grader keeps each
item's value and input position itself, by the identity of the item, so stability is visible
(equal values must keep ascending input positions) without a tag the learner could read. The
oracle for every order is Python's ``sorted`` on plain values, run by the grader; comparison
budgets are the closed forms stated in the exercise.
"""

from __future__ import annotations

import itertools
import math

import pytest

from katakit.checks import fail, rng
from katakit.counting import Counter, Key, OutOfComparisons
from katakit.items import learner_items
from katakit.sandbox import kind_of, probe

ITEMS = Counter("comparisons between items")
KEYS = Counter("comparisons between keys")


class KeyInt(int):
    """An int key; ordering it against another key counts (equality is free: dicts use it)."""

    def __lt__(self, other):
        if isinstance(other, KeyInt):
            KEYS.tick()
        return int.__lt__(self, other)

    def __le__(self, other):
        if isinstance(other, KeyInt):
            KEYS.tick()
        return int.__le__(self, other)

    def __gt__(self, other):
        if isinstance(other, KeyInt):
            KEYS.tick()
        return int.__gt__(self, other)

    def __ge__(self, other):
        if isinstance(other, KeyInt):
            KEYS.tick()
        return int.__ge__(self, other)

    __hash__ = int.__hash__


class KeyFloat(float):
    """A float key; ordering it against another key counts."""

    def __lt__(self, other):
        if isinstance(other, KeyFloat):
            KEYS.tick()
        return float.__lt__(self, other)

    def __le__(self, other):
        if isinstance(other, KeyFloat):
            KEYS.tick()
        return float.__le__(self, other)

    def __gt__(self, other):
        if isinstance(other, KeyFloat):
            KEYS.tick()
        return float.__gt__(self, other)

    def __ge__(self, other):
        if isinstance(other, KeyFloat):
            KEYS.tick()
        return float.__ge__(self, other)

    __hash__ = float.__hash__


def int_key(item):
    return KeyInt(item.value)


def float_key(item):
    return KeyFloat(item.value)


def keys(values):
    return [Key(v, i, ITEMS) for i, v in enumerate(values)]


@probe
def value_of(item):
    """The key function the distribution sorts get with learner-side items."""
    return item.value


def learner_keys(values, *, limit=math.inf):
    """Items for ``values`` on the learner's side (the grader holds proxies of them)."""
    return learner_items([values], limit)[0]


IN_PLACE = ["bubble", "selection", "insertion", "shell", "heap"]
COMPARISON = [*IN_PLACE, "merge"]
DISTRIBUTION = ["counting", "radix", "bucket"]
PROMISED_STABLE = ["bubble", "insertion", "merge", "counting", "radix", "bucket"]


def type_name(value):
    return kind_of(value).rsplit(".", 1)[-1]


def run(
    kata,
    name,
    items,
    *,
    trusted=False,
    limit=math.inf,
    key_limit=math.inf,
    base=None,
    contract=False,
):
    """Call the learner's ``<name>_sort`` on ``items``; return (sorted list, item and key counts).

    ``trusted``: the items are the grader's ``Key`` objects, counted here (the distribution
    sorts then get the grader's key functions); otherwise they are learner-side items, and the
    key function is one of the learner's side too. ``contract``: hold the sort to its row's
    result promise (in-place sorts return None; the others return a new list and leave ``items``
    as it was); only the test of that promise asks, the others judge whatever came out (the
    list itself for an in-place sort, the returned list otherwise).
    """
    __tracebackhide__ = True
    function = getattr(kata, f"{name}_sort")
    before = list(items)
    args = (items,)
    if name in DISTRIBUTION:
        graders_key = float_key if name == "bucket" else int_key
        key = graders_key if trusted else value_of.there()
        args = (items, key) if base is None else (items, key, base)
    ITEMS.count, ITEMS.limit = 0, limit
    KEYS.count, KEYS.limit = 0, key_limit
    try:
        result = function(*args)
    finally:
        ITEMS.limit = KEYS.limit = math.inf
    if name in IN_PLACE:
        if contract and result is not None:
            fail(f"{name}_sort sorts in place and returns None; it returned {type_name(result)}")
        result = items
    else:
        # outside the contract test a tuple is read as the result, and None as "sorted items"
        readable = isinstance(result, list) or (not contract and isinstance(result, tuple | None))
        if not readable:
            fail(f"{name}_sort must return a new list, got {type_name(result)}")
        if contract and (
            len(items) != len(before) or any(a is not b for a, b in zip(items, before, strict=True))
        ):
            fail(f"{name}_sort changed its input list; it must return a new list instead")
        result = items if result is None else list(result)
    return result, ITEMS.count, KEYS.count


def positions(name, result, originals, where):
    """The input position of each item of ``result``, which must hold exactly the originals."""
    __tracebackhide__ = True
    if len(result) != len(originals):
        fail(f"{name}_sort: {len(result)} items came back, {len(originals)} went in [{where}]")
    position = {id(k): i for i, k in enumerate(originals)}
    if any(id(k) not in position for k in result) or len({id(k) for k in result}) != len(result):
        fail(
            f"{name}_sort must return the original item objects, each exactly once (move them, "
            f"do not copy or create items) [{where}]"
        )
    return [position[id(k)] for k in result]


def check_order(name, result, originals, values, where, *, stable):
    """``result`` holds exactly the original objects (``values[i]`` is the value of
    ``originals[i]``), sorted by value (and by input position if stable)."""
    __tracebackhide__ = True
    tags = positions(name, result, originals, where)
    got = [values[i] for i in tags]
    expected = sorted(values)
    if got != expected:
        bad = next(i for i in range(len(got)) if got[i] != expected[i])
        if len(got) <= 20:
            shown = f"got {got}, expected {expected}"
        else:
            lo = max(bad - 3, 0)
            shown = f"got ... {got[lo : bad + 4]} ..., expected ... {expected[lo : bad + 4]} ..."
        fail(f"{name}_sort: not sorted, first wrong value at index {bad}: {shown} [{where}]")
    if stable:
        for a, b in itertools.pairwise(tags):
            if values[a] == values[b] and a > b:
                fail(
                    f"{name}_sort is not stable: two items with value {values[a]} came out in "
                    f"the order of input positions {a}, {b} [{where}]"
                )


def draw_values(name, gen, size, kind):
    """Values of the right type for the sort ``name``: ints, or floats in [0, 1) for bucket."""
    if name == "bucket":
        values = [float(v) for v in gen.random(size)]
        if kind == "duplicates":
            values = [round(v * 5) / 6 for v in values]
    elif name == "radix":
        values = [int(v) for v in gen.integers(0, 10**6, size)]
        if kind == "duplicates":
            values = [v % 7 * 1000 + v % 3 for v in values]
    else:
        values = [int(v) for v in gen.integers(0, 50 if name == "counting" else 10**6, size)]
        if kind == "duplicates":
            values = [v % 4 for v in values]
    if kind == "sorted":
        values.sort()
    elif kind == "reversed":
        values.sort(reverse=True)
    return values


ALL = [*COMPARISON, *DISTRIBUTION]


def run_learner_side(kata, name, values, where, *, base=None, contract=False):
    """Sort learner-side items holding ``values``, with a runaway limit of 20 (n + 2)^2
    comparisons; return (result, the items in input order)."""
    __tracebackhide__ = True
    limit = 20 * (len(values) + 2) ** 2
    items = learner_keys(values, limit=limit)
    originals = list(items)
    try:
        result, _, _ = run(kata, name, items, base=base, contract=contract)
    except OutOfComparisons:
        fail(
            f"{name}_sort made more than 20 (n + 2)^2 = {limit} comparisons on {len(values)} "
            f"items and was stopped: look for a loop that never ends [{where}]"
        )
    return result, originals


# -- every sort sorts, and keeps its in-place / new-list promise -------------------------------
@pytest.mark.points(1)
@pytest.mark.parametrize("name", ALL)
def test_sort_orders_random_sorted_reversed_and_duplicate_inputs(kata, name):
    seed = 100 + ALL.index(name)
    gen = rng(seed)
    sizes = [0, 1, 2, 3, 5, 8, 17, 64, 150]
    if name not in ("bubble", "selection", "insertion"):
        sizes.append(1000)
    for size in sizes:
        for kind in ("random", "sorted", "reversed", "duplicates"):
            values = draw_values(name, gen, size, kind)
            where = f"{kind} input, n={size}, seed {seed}"
            result, originals = run_learner_side(kata, name, values, where, contract=True)
            check_order(name, result, originals, values, where, stable=False)


@pytest.mark.points(1)
@pytest.mark.parametrize("name", PROMISED_STABLE)
def test_stable_sort_keeps_equal_items_in_input_order(kata, name):
    seed = 200 + PROMISED_STABLE.index(name)
    gen = rng(seed)
    mistakes = {
        "merge": "a merge that takes from the right part on ties (use `if right < left: take "
        "right, else take left`)",
        "insertion": "an insertion scan that moves past equal items (stop at the first item "
        "that is not greater)",
        "bubble": "swapping equal neighbours (swap only when strictly out of order)",
        "counting": "placing items back to front into slots counted front to back (or the "
        "reverse): scan the items in the same direction as you fill each key's slots",
        "radix": "a digit pass that is not stable: each pass must be a stable counting sort",
        "bucket": "an unstable sort inside the buckets",
    }
    for size in (2, 3, 6, 20, 97, 400):
        for kind in ("duplicates", "reversed duplicates"):
            values = draw_values(name, gen, size, "duplicates")
            if kind == "reversed duplicates":
                values.sort(reverse=True)
            where = f"{kind}, n={size}, seed {seed}"
            result, originals = run_learner_side(kata, name, values, where)
            try:
                check_order(name, result, originals, values, where, stable=True)
            except AssertionError as exc:
                fail(f"{exc}\n  A likely cause: {mistakes[name]}.")


# -- comparison counts (the grader's own keys: every comparison is counted here) ---------------
def inversions(values):
    return sum(a > b for a, b in itertools.combinations(values, 2))


@pytest.mark.points(1)
def test_bubble_sort_stops_early_and_shrinks_its_passes(kata):
    n = 100
    items = keys(range(n))
    _, count, _ = run(kata, "bubble", items, trusted=True, limit=n * n)
    if count != n - 1:
        fail(
            f"bubble_sort made {count} comparisons on {n} sorted items; one pass of n - 1 = "
            f"{n - 1} finds no swap and must stop there"
            + (" (it looks like there is no early exit)" if count >= n * (n - 1) // 2 else "")
        )
    for seed in (1, 2):
        n = 24
        values = draw_values("bubble", rng(seed), n, "random")
        _, count, _ = run(kata, "bubble", keys(values), trusted=True, limit=n * n)
        if count > n * (n - 1) // 2:
            fail(
                f"bubble_sort made {count} comparisons on {n} random items; at most n(n-1)/2 = "
                f"{n * (n - 1) // 2}: each pass can stop before the items already bubbled to the "
                f"end [seed {seed}]"
            )


@pytest.mark.points(1)
def test_selection_sort_makes_exactly_n_n_minus_1_over_2_comparisons(kata):
    for seed, kind in ((3, "random"), (4, "sorted"), (5, "duplicates")):
        n = 24
        values = draw_values("selection", rng(seed), n, kind)
        _, count, _ = run(kata, "selection", keys(values), trusted=True, limit=n * n)
        if count != n * (n - 1) // 2:
            fail(
                f"selection_sort made {count} comparisons on {n} {kind} items; scanning the "
                f"unsorted rest for its minimum costs exactly n(n-1)/2 = {n * (n - 1) // 2} on "
                f"any input [seed {seed}]"
            )


@pytest.mark.points(1)
def test_insertion_sort_comparisons_track_the_inversions(kata):
    n = 100
    _, count, _ = run(kata, "insertion", keys(range(n)), trusted=True, limit=n * n)
    if count != n - 1:
        fail(
            f"insertion_sort made {count} comparisons on {n} sorted items; each item needs one "
            f"comparison to see it is already in place: n - 1 = {n - 1}"
        )
    for seed, kind in ((6, "random"), (7, "duplicates"), (8, "reversed")):
        n = 24
        values = draw_values("insertion", rng(seed), n, kind)
        _, count, _ = run(kata, "insertion", keys(values), trusted=True, limit=n * n)
        inv = inversions(values)
        if not inv <= count <= inv + n - 1:
            fail(
                f"insertion_sort made {count} comparisons on {n} {kind} items with {inv} "
                f"inversions; a leftward scan with one comparison per step makes between I = "
                f"{inv} and I + n - 1 = {inv + n - 1}"
                + (
                    " (more than that: does the scan move past equal items?)"
                    if count > inv + n - 1
                    else " (fewer: insertion sort here is the linear scan, not binary search)"
                )
                + f" [seed {seed}]"
            )


@pytest.mark.points(1)
def test_shell_sort_stays_under_n_to_the_1_5(kata):
    n = 250
    budget = int(n**1.5)
    # Sorted input is left out: insertion sort itself passes it with n - 1 comparisons.
    for seed, kind in ((9, "random"), (10, "reversed")):
        values = draw_values("shell", rng(seed), n, kind)
        items = keys(values)
        originals = list(items)
        try:
            run(kata, "shell", items, trusted=True, limit=budget)
        except OutOfComparisons:
            fail(
                f"shell_sort needed more than n**1.5 = {budget} comparisons on {n} {kind} "
                f"items (plain insertion sort needs about n**2 / 4 = {n * n // 4}): start with "
                f"a large gap and shrink it, e.g. n // 2, n // 4, ..., 1 [seed {seed}]"
            )
        check_order("shell", items, originals, values, f"{kind}, n={n}", stable=False)


@pytest.mark.points(1)
def test_heap_sort_makes_at_most_2_n_log2_n_plus_2n_comparisons(kata):
    # At these sizes a quadratic sort already needs more (insertion ~ n^2 / 4 on random input).
    for seed, kind, n in ((12, "random", 60), (13, "sorted", 63), (14, "duplicates", 64)):
        values = draw_values("heap", rng(seed), n, kind)
        items = keys(values)
        originals = list(items)
        budget = int(2 * n * math.log2(n) + 2 * n)
        try:
            run(kata, "heap", items, trusted=True, limit=budget)
        except OutOfComparisons:
            fail(
                f"heap_sort needed more than 2 n log2(n) + 2n = {budget} comparisons on {n} "
                f"{kind} items: build the heap bottom up (sift down from the last internal "
                f"node) and sift the new root down after each swap [seed {seed}]"
            )
        check_order("heap", items, originals, values, f"{kind}, n={n}", stable=False)


@pytest.mark.points(1)
def test_merge_sort_makes_at_most_n_ceil_log2_n_comparisons(kata):
    for seed, kind, n in ((15, "random", 120), (16, "reversed", 97), (17, "sorted", 129)):
        values = draw_values("merge", rng(seed), n, kind)
        items = keys(values)
        budget = n * math.ceil(math.log2(n))
        try:
            run(kata, "merge", items, trusted=True, limit=budget)
        except OutOfComparisons:
            fail(
                f"merge_sort needed more than n * ceil(log2 n) = {budget} comparisons on {n} "
                f"{kind} items: each merge of a + b items costs at most a + b - 1 [seed {seed}]"
            )


@pytest.mark.points(1)
@pytest.mark.parametrize("name", DISTRIBUTION)
def test_distribution_sort_never_compares_items_and_barely_compares_keys(kata, name):
    n = 250
    seed = 300 + DISTRIBUTION.index(name)
    values = draw_values(name, rng(seed), n, "random")
    items = keys(values)
    originals = list(items)
    key_budget = 4 * n if name == "bucket" else n
    where = f"{n} random keys, seed {seed}"
    try:
        result, _, _ = run(kata, name, items, trusted=True, limit=0, key_limit=key_budget)
    except OutOfComparisons as exc:
        if "items" in str(exc):
            fail(f"{name}_sort compared items; a distribution sort only looks at keys [{where}]")
        hint = (
            "use len(items) buckets, so each holds about one item"
            if name == "bucket"
            else "keys are only compared to find the largest; a digit or a count index is read, "
            "not compared"
        )
        fail(f"{name}_sort made more than {key_budget} comparisons between keys: {hint} [{where}]")
    # sorted, so that the budget was spent sorting; stability is its own test's business
    check_order(name, result, originals, values, where, stable=False)


@pytest.mark.points(1)
@pytest.mark.parametrize("base", [2, 7, 16])
def test_radix_sort_works_in_any_base(kata, base):
    seed = 400 + base
    gen = rng(seed)
    for size in (1, 5, 300):
        values = [int(v) for v in gen.integers(0, base**5 + 3, size)]
        values[0] = base**5 + 2  # the largest key has six digits in this base
        where = f"base {base}, n={size}"
        result, originals = run_learner_side(kata, "radix", values, where, base=base)
        check_order("radix", result, originals, values, where, stable=False)
    values = [0] * 10
    where = f"base {base}, ten zero keys"
    result, originals = run_learner_side(kata, "radix", values, where, base=base)
    check_order("radix", result, originals, values, where, stable=False)


# -- stability claims ------------------------------------------------------------------------
def small_inputs():
    """Every list over {0, 1, 2} of length 2 to 6, then random ones up to length 60."""
    for size in range(2, 7):
        yield from (list(values) for values in itertools.product(range(3), repeat=size))
    gen = rng(500)
    for _ in range(150):
        size = int(gen.integers(7, 61))
        yield [int(v) for v in gen.integers(0, 4, size)]


def unstable_witness(kata, name):
    """The first input on which the learner's sort reorders equal items, or None. Only the
    relative order of equal items is read: whether the sort sorts is the order tests' business."""
    inputs = list(small_inputs())
    limit = 20 * (60 + 2) ** 2
    start, chunk = 0, 16
    while start < len(inputs):
        values_chunk = inputs[start : start + chunk]  # items for many lists in one trip
        batch = learner_items(values_chunk, limit)
        start, chunk = start + chunk, 2 * chunk
        for values, items in zip(values_chunk, batch, strict=True):
            originals = list(items)
            where = f"input {values}"
            try:
                result, _, _ = run(kata, name, items)
            except OutOfComparisons:
                fail(f"{name}_sort made more than {limit} comparisons on {values} and was stopped")
            tags = positions(name, result, originals, where)
            seen: dict = {}
            for i in tags:
                if seen.get(values[i], -1) > i:
                    return values, tags
                seen[values[i]] = i
    return None


@pytest.mark.points(2)
def test_stable_sorts_names_exactly_the_stable_ones(kata):
    claimed = kata.stable_sorts()
    if not isinstance(claimed, set | frozenset | list | tuple) or not all(
        type(name) is str for name in claimed
    ):
        fail(f"stable_sorts must return a set of names (str), got {claimed!r}")
    claimed = set(claimed)
    unknown = claimed - set(ALL)
    if unknown:
        fail(f"stable_sorts returned unknown names {sorted(unknown)}; use those in {ALL}")
    missing = [name for name in PROMISED_STABLE if name not in claimed]
    if missing:
        fail(f"stable_sorts leaves out {missing}, which the exercise promises to be stable")
    for name in ("selection", "shell", "heap"):
        witness = unstable_witness(kata, name)
        if name in claimed and witness is not None:
            values, tags = witness
            fail(
                f"stable_sorts says {name} is stable, but {name}_sort reordered equal items: "
                f"input {values} came out in the order of input positions {tags}"
                + (
                    ". Swapping the minimum into place jumps the item it displaces over its "
                    "equals: classic selection sort is not stable"
                    if name == "selection"
                    else ""
                )
            )
        if name not in claimed and witness is None:
            fail(
                f"stable_sorts leaves out {name}, but {name}_sort kept equal items in order on "
                f"every list over {{0, 1, 2}} up to length 6 and 150 longer ones: if it is "
                f"stable, say so; if it should not be, it is not the usual {name} sort"
            )
