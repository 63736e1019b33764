"""Hidden grader for algo/list_merge_sort: relinked nodes, stability, counts, memory, no recursion.

The grader builds lists of its own ``GNode`` objects (``value`` and ``next``) and, after the
call, walks the result: the same node objects must come back, each with its own value object,
in the order Python's ``sorted`` gives the values (ties by input position). Values that must
show stability or be counted are ``Key`` objects whose comparisons count on a shared counter.
Extra memory is what ``tracemalloc`` sees allocated during the call; recursion is caught by
lowering Python's recursion limit around the call.
"""

from __future__ import annotations

import itertools
import math
import sys
import tracemalloc

import pytest

from katakit.checks import fail, rng
from katakit.counting import Counter, Key, OutOfComparisons

COUNTER = Counter()


class GNode:
    __slots__ = ("next", "value")

    def __init__(self, value, next=None):
        self.value = value
        self.next = next


def build(values):
    """A linked list of GNodes holding ``values``; returns (head, nodes in input order)."""
    nodes = [GNode(v) for v in values]
    for a, b in itertools.pairwise(nodes):
        a.next = b
    return (nodes[0] if nodes else None), nodes


def plain(value):
    return value.value if isinstance(value, Key) else value


def check_result(head, nodes, values, where, *, stable=True):
    """The chain at ``head`` is ``nodes`` relinked into sorted (stable) order, values untouched."""
    __tracebackhide__ = True
    n = len(nodes)
    chain, node = [], head
    while node is not None and len(chain) <= n:
        chain.append(node)
        node = getattr(node, "next", None)
    if len(chain) > n:
        fail(
            f"the returned list has more than the {n} nodes that went in: a cycle? Set the "
            f"last node's next to None [{where}]"
        )
    if len(chain) < n:
        fail(f"the returned list has {len(chain)} nodes; {n} went in [{where}]")
    position = {id(node): i for i, node in enumerate(nodes)}
    if any(id(node) not in position for node in chain) or len({id(x) for x in chain}) != n:
        fail(
            "the returned list must consist of the original node objects, each once: relink "
            f"them, do not create new nodes [{where}]"
        )
    changed = [position[id(x)] for x in chain if x.value is not values[position[id(x)]]]
    if changed:
        i = changed[0]
        fail(
            f"node {i} of the input (value {plain(values[i])!r}) came back holding "
            f"{plain(nodes[i].value)!r}: values were copied or swapped between nodes. Sort by "
            f"relinking next pointers; every node keeps its own value [{where}]"
        )
    got = [plain(x.value) for x in chain]
    order = sorted(range(n), key=lambda i: plain(values[i]))  # Python's sort is stable
    expected = [plain(values[i]) for i in order]
    if got != expected:
        bad = next(i for i in range(n) if got[i] != expected[i])
        lo = max(bad - 3, 0)
        fail(
            f"not sorted: first wrong value at position {bad}: got ... {got[lo : bad + 4]} ..., "
            f"expected ... {expected[lo : bad + 4]} ... [{where}]"
        )
    if stable:
        positions = [position[id(x)] for x in chain]
        if positions != order:
            bad = next(i for i in range(n) if positions[i] != order[i])
            fail(
                f"not stable: at position {bad} the node with value {got[bad]!r} from input "
                f"position {positions[bad]} comes before the equal one from input position "
                f"{order[bad]}. When merging, take from the right run only if its value is "
                f"strictly smaller [{where}]"
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
            values = [Key(v, i, COUNTER) for i, v in enumerate(draw(seed, n, kind))]
            head, nodes = build(values)
            result, _ = COUNTER.run(kata.merge_sort_list, head, limit=20 * (n + 2) ** 2)
            if n == 0 and result is not None:
                fail(f"an empty list (head None) sorts to None, got {result!r}")
            check_result(result, nodes, values, f"{kind}, n={n}, seed {seed}", stable=False)


@pytest.mark.points(2)
def test_nodes_are_relinked_not_values_copied(kata):
    # Distinct values, so a sort that copies values into other nodes cannot hide.
    for seed, n in ((21, 6), (22, 257)):
        values = [Key(float(v), i, COUNTER) for i, v in enumerate(rng(seed).permutation(n))]
        head, nodes = build(values)
        result, _ = COUNTER.run(kata.merge_sort_list, head)
        check_result(result, nodes, values, f"{n} distinct values, seed {seed}")


@pytest.mark.points(2)
def test_equal_values_keep_their_input_order(kata):
    for seed, n in ((31, 2), (32, 3), (33, 10), (34, 300), (35, 1001)):
        raw = draw(seed, n, "duplicates")
        for kind in ("duplicates", "reversed duplicates"):
            ordered = sorted(raw, reverse=True) if kind.startswith("reversed") else raw
            values = [Key(v, i, COUNTER) for i, v in enumerate(ordered)]
            head, nodes = build(values)
            result, _ = COUNTER.run(kata.merge_sort_list, head)
            check_result(result, nodes, values, f"{kind}, n={n}, seed {seed}")


@pytest.mark.points(1)
@pytest.mark.parametrize("kind, n", [("random", 1000), ("reversed", 1025), ("sorted", 777)])
def test_at_most_2_n_ceil_log2_n_comparisons(kata, kind, n):
    seed = 40 + n
    values = [Key(v, i, COUNTER) for i, v in enumerate(draw(seed, n, kind))]
    head, nodes = build(values)
    budget = 2 * n * math.ceil(math.log2(n))
    try:
        result, _ = COUNTER.run(kata.merge_sort_list, head, limit=budget)
    except OutOfComparisons:
        fail(
            f"merge_sort_list needed more than 2 n ceil(log2 n) = {budget} comparisons on {n} "
            f"{kind} values; bottom-up merge sort needs at most half of that: ceil(log2 n) "
            f"passes, each merge of runs of a and b nodes costing at most a + b - 1 [seed {seed}]"
        )
    check_result(result, nodes, values, f"{kind}, n={n}, seed {seed}")


@pytest.mark.points(1)
def test_extra_memory_is_constant(kata):
    n, seed = 20_000, 51
    values = draw(seed, n, "random")
    head, nodes = build(values)
    already = tracemalloc.is_tracing()
    if not already:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        baseline = tracemalloc.get_traced_memory()[0]
        result = kata.merge_sort_list(head)
        peak = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        if not already:
            tracemalloc.stop()
    check_result(result, nodes, values, f"random, n={n}, seed {seed}", stable=False)
    if peak > 16 * 1024:
        fail(
            f"merge_sort_list allocated up to {peak / 1024:.0f} KiB while sorting {n} nodes (a "
            f"Python list of the nodes alone takes {8 * n // 1024} KiB); the budget is 16 KiB. "
            "Merge in place by relinking, with a few variables and no list, dict or array"
        )


def stack_depth() -> int:
    frame, depth = sys._getframe(1), 0
    while frame is not None:
        depth += 1
        frame = frame.f_back
    return depth


@pytest.mark.points(2)
def test_sorts_100_000_nodes_without_recursion(kata):
    n, seed = 100_000, 61
    values = draw(seed, n, "random")
    head, nodes = build(values)
    room = 12
    old = sys.getrecursionlimit()
    # Measured on CPython 3.11 with this limit: the reference runs with room 0 (its deepest
    # chain is merge_sort_list -> _merge), a top-down sort of these 10**5 nodes needs room 18.
    sys.setrecursionlimit(stack_depth() + room + 3)
    try:
        result = kata.merge_sort_list(head)
    except RecursionError:
        fail(
            f"merge_sort_list recursed too deep on {n} nodes: the grader leaves room for "
            f"{room} nested calls, and top-down merge sort nests about log2(n) = "
            f"{math.ceil(math.log2(n))} levels (a recursive merge nests n). Sort bottom up: "
            "passes that merge runs of width 1, 2, 4, ... in a loop"
        )
    finally:
        sys.setrecursionlimit(old)
    check_result(result, nodes, values, f"random, n={n}, seed {seed}", stable=False)
