"""Hidden grader for algo/list_merge_sort: relinked nodes, stability, counts, memory, no recursion.

The grader builds lists of its own ``GNode`` objects (``value`` and ``next``) and, after the
call, walks the result: the value objects along it must come in the order Python's ``sorted``
gives the values (ties by input position), and the test of relinking also asks that they be
the same node objects, each with its own value object (so a sort that copies values between
nodes loses that test's points, not the others'). The nodes live where the learner's code runs
(the probe ``build`` makes them there, and ``walk`` reads the result back as plain facts). Where
comparisons are counted, the values are ``Key`` objects that stay on the grader's side, so each
comparison is a call back here, counted on a shared counter; elsewhere they are items made on
the learner's side (``katakit.items``), compared there without a trip, and stability is read
from the order of the value objects.
Extra memory is what ``tracemalloc`` sees allocated during the call; recursion is caught by
lowering Python's recursion limit around the call (both measured where the call runs).
"""

from __future__ import annotations

import math

import pytest

from katakit.checks import fail, rng
from katakit.counting import Counter, Key, OutOfComparisons
from katakit.items import learner_items
from katakit.sandbox import probe

COUNTER = Counter()


@probe
def build(values):
    """A linked list of GNodes holding ``values``: (head, the list as built). The second is an
    object to hand back to ``walk``: the nodes in input order and the value each was given."""
    import itertools

    class GNode:
        __slots__ = ("next", "value")

        def __init__(self, value, next=None):
            self.value = value
            self.next = next

    class Built:
        __slots__ = ("nodes", "values")

        def __init__(self, nodes, values):
            self.nodes = nodes
            self.values = values

    nodes = [GNode(v) for v in values]
    for a, b in itertools.pairwise(nodes):
        a.next = b
    return (nodes[0] if nodes else None), Built(nodes, values)


@probe
def walk(head, built):
    """The chain at ``head`` as plain facts, at most one node more than went in: for each node,
    its input position (None for a node that did not go in), the input position of the value
    object it holds (None for a value that did not go in), and that value itself when it did
    not go in (an item's own value)."""
    position = {id(node): i for i, node in enumerate(built.nodes)}
    holds = {id(value): i for i, value in enumerate(built.values)}
    nodes, held, foreign, node = [], [], [], head
    while node is not None and len(nodes) <= len(built.nodes):
        nodes.append(position.get(id(node)))
        value = getattr(node, "value", None)
        held.append(holds.get(id(value)))
        foreign.append(None if held[-1] is not None else getattr(value, "value", value))
        node = getattr(node, "next", None)
    return nodes, held, foreign


def plain(value):
    return value.value if isinstance(value, Key) else value


def check_result(head, built, values, where, *, stable=True, relinked=False):
    """The chain at ``head`` holds the values in sorted (and, with ``stable``, stable) order;
    with ``relinked``, it is the nodes of ``built`` themselves, each with its own value.

    Order and stability are read from the value objects along the chain, so a sort that copies
    values between nodes is charged only by the test of relinking (``relinked``).
    """
    __tracebackhide__ = True
    n = len(values)
    nodes, held, foreign = walk(head, built)
    if len(nodes) > n:
        fail(
            f"the returned list has more than the {n} nodes that went in: a cycle? Set the "
            f"last node's next to None [{where}]"
        )
    if len(nodes) < n:
        fail(f"the returned list has {len(nodes)} nodes; {n} went in [{where}]")
    if relinked:
        if None in nodes or len(set(nodes)) != n:
            fail(
                "the returned list must consist of the original node objects, each once: "
                f"relink them, do not create new nodes [{where}]"
            )
        changed = [k for k in range(n) if nodes[k] != held[k]]
        if changed:
            k = changed[0]
            i, now = nodes[k], held[k]
            shown = plain(values[now]) if now is not None else plain(foreign[k])
            fail(
                f"node {i} of the input (value {plain(values[i])!r}) came back holding "
                f"{shown!r}: values were copied or swapped between nodes. Sort by relinking "
                f"next pointers; every node keeps its own value [{where}]"
            )
    got = [
        plain(values[p]) if p is not None else plain(other)
        for p, other in zip(held, foreign, strict=True)
    ]
    order = sorted(range(n), key=lambda i: plain(values[i]))  # Python's sort is stable
    expected = [plain(values[i]) for i in order]
    if got != expected:
        bad = next(i for i in range(n) if got[i] != expected[i])
        lo = max(bad - 3, 0)
        fail(
            f"not sorted: first wrong value at position {bad}: got ... {got[lo : bad + 4]} ..., "
            f"expected ... {expected[lo : bad + 4]} ... [{where}]"
        )
    if stable and held != order:
        bad = next(i for i in range(n) if held[i] != order[i])
        fail(
            f"not stable: at position {bad} the value {got[bad]!r} from input position "
            f"{held[bad]} comes before the equal one from input position {order[bad]}. When "
            f"merging, take from the right run only if its value is strictly smaller [{where}]"
        )


def draw(seed, n, kind):
    gen = rng(seed)
    if kind == "duplicates":
        values = [int(v) for v in gen.integers(0, 5, n)]
    else:
        values = [int(v) for v in gen.integers(0, 10**6, n)]
    if kind == "sorted":
        values.sort()
    elif kind == "reversed":
        values.sort(reverse=True)
    return values


@pytest.mark.points(2)
def test_sorts_lists_of_every_shape(kata):
    for n in (0, 1, 2, 3, 4, 5, 7, 8, 9, 31, 100, 1000):
        for kind in ("random", "sorted", "reversed", "duplicates"):
            seed = 1000 + n
            values = draw(seed, n, kind)
            head, built = build(learner_items([values], 20 * (n + 2) ** 2)[0])
            try:
                result = kata.merge_sort_list(head)
            except OutOfComparisons:
                fail(
                    f"merge_sort_list made more than {20 * (n + 2) ** 2} comparisons on {n} "
                    f"{kind} values and was stopped [seed {seed}]"
                )
            if n == 0 and result is not None:
                fail(f"an empty list (head None) sorts to None, got {result!r}")
            check_result(result, built, values, f"{kind}, n={n}, seed {seed}", stable=False)


@pytest.mark.points(2)
def test_nodes_are_relinked_not_values_copied(kata):
    # Distinct values, so a sort that copies values into other nodes cannot hide.
    for seed, n in ((21, 6), (22, 65)):
        values = [Key(float(v), i, COUNTER) for i, v in enumerate(rng(seed).permutation(n))]
        head, built = build(values)
        result, _ = COUNTER.run(kata.merge_sort_list, head)
        check_result(result, built, values, f"{n} distinct values, seed {seed}", relinked=True)


@pytest.mark.points(2)
def test_equal_values_keep_their_input_order(kata):
    for seed, n in ((31, 2), (32, 3), (33, 10), (34, 300), (35, 1001)):
        raw = draw(seed, n, "duplicates")
        for kind in ("duplicates", "reversed duplicates"):
            ordered = sorted(raw, reverse=True) if kind.startswith("reversed") else raw
            head, built = build(learner_items([ordered], 20 * (n + 2) ** 2)[0])
            result = kata.merge_sort_list(head)
            check_result(result, built, ordered, f"{kind}, n={n}, seed {seed}")


@pytest.mark.points(1)
# Insertion into a sorted list needs about n^2 / 4 comparisons on random input, n^2 / 2 on sorted
# or reversed input (by the direction it scans): several times the budget at these sizes.
@pytest.mark.parametrize("kind, n", [("random", 120), ("reversed", 129), ("sorted", 100)])
def test_at_most_2_n_ceil_log2_n_comparisons(kata, kind, n):
    seed = 40 + n
    values = [Key(v, i, COUNTER) for i, v in enumerate(draw(seed, n, kind))]
    head, built = build(values)
    budget = 2 * n * math.ceil(math.log2(n))
    try:
        result, _ = COUNTER.run(kata.merge_sort_list, head, limit=budget)
    except OutOfComparisons:
        fail(
            f"merge_sort_list needed more than 2 n ceil(log2 n) = {budget} comparisons on {n} "
            f"{kind} values; bottom-up merge sort needs at most half of that: ceil(log2 n) "
            f"passes, each merge of runs of a and b nodes costing at most a + b - 1 [seed {seed}]"
        )
    # sorted, so that the budget was spent sorting; stability is its own test's business
    check_result(result, built, values, f"{kind}, n={n}, seed {seed}", stable=False)


@probe
def sort_measuring_memory(merge_sort_list, head):
    """``merge_sort_list(head)`` and the most memory it had allocated at once, in bytes."""
    import tracemalloc

    already = tracemalloc.is_tracing()
    if not already:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        baseline = tracemalloc.get_traced_memory()[0]
        result = merge_sort_list(head)
        peak = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        if not already:
            tracemalloc.stop()
    return result, peak


@pytest.mark.points(1)
def test_extra_memory_is_constant(kata):
    n, seed = 20_000, 51
    values = draw(seed, n, "random")
    head, built = build(values)
    result, peak = sort_measuring_memory(kata.merge_sort_list, head)
    check_result(result, built, values, f"random, n={n}, seed {seed}", stable=False)
    if peak > 16 * 1024:
        fail(
            f"merge_sort_list allocated up to {peak / 1024:.0f} KiB while sorting {n} nodes (a "
            f"Python list of the nodes alone takes {8 * n // 1024} KiB); the budget is 16 KiB. "
            "Merge in place by relinking, with a few variables and no list, dict or array"
        )


@probe
def sort_with_little_stack(merge_sort_list, head, room):
    """``merge_sort_list(head)`` with Python's recursion limit lowered to leave ``room`` nested
    calls below it (plus three for the call itself)."""
    import sys

    def stack_depth() -> int:
        frame, depth = sys._getframe(1), 0
        while frame is not None:
            depth += 1
            frame = frame.f_back
        return depth

    old = sys.getrecursionlimit()
    sys.setrecursionlimit(stack_depth() + room + 3)
    try:
        return merge_sort_list(head)
    finally:
        sys.setrecursionlimit(old)


@pytest.mark.points(2)
def test_sorts_100_000_nodes_without_recursion(kata):
    n, seed = 100_000, 61
    values = draw(seed, n, "random")
    head, built = build(values)
    room = 12
    # Measured on CPython 3.11 with this limit: the reference runs with room 0 (its deepest
    # chain is merge_sort_list -> _merge), a top-down sort of these 10**5 nodes needs room 18.
    try:
        result = sort_with_little_stack(kata.merge_sort_list, head, room)
    except RecursionError:
        fail(
            f"merge_sort_list recursed too deep on {n} nodes: the grader leaves room for "
            f"{room} nested calls, and top-down merge sort nests about log2(n) = "
            f"{math.ceil(math.log2(n))} levels (a recursive merge nests n). Sort bottom up: "
            "passes that merge runs of width 1, 2, 4, ... in a loop"
        )
    check_result(result, built, values, f"random, n={n}, seed {seed}", stable=False)
