"""Nine classic sorts, and the promises each one makes.

Source question: 排序算法的时间 / 空间复杂度 (s001-13).

The usual answer to "time and space complexity of the sorting algorithms" is a table. This kata
asks you to write the table's rows and have them checked: each sort below must sort, and keep
the promises in its row (in place or not, stable or not, and how many comparisons it makes).

Comparison sorts. Items are opaque objects that can only be compared with each other: use
``<`` (``<=``, ``>``, ``>=``, ``==`` work too); every comparison, of any kind, counts as one.
Do not create, copy or inspect items, and do not call ``sorted`` or ``list.sort``.

================  ==========================  ======  ====================================
function          result                      stable  comparisons the grader allows
================  ==========================  ======  ====================================
bubble_sort       in place, returns None      yes     <= n(n-1)/2; exactly n-1 if sorted
selection_sort    in place, returns None      --      exactly n(n-1)/2, whatever the input
insertion_sort    in place, returns None      yes     between I and I + n - 1 (see below)
shell_sort        in place, returns None      --      <= n**1.5 (n = 250, any order)
heap_sort         in place, returns None      --      <= 2 n log2(n) + 2n
merge_sort        a new list; input untouched yes     <= n * ceil(log2(n))
================  ==========================  ======  ====================================

* bubble: each pass compares neighbours over the part not yet known to be sorted (one item
  shorter each pass) and swaps those out of order; stop as soon as a pass swaps nothing.
* selection: each pass scans the unsorted rest for its minimum and swaps it into place.
* insertion: take the next item and scan leftwards, one comparison per step, until an item not
  greater than it. On any input that costs between I and I + n - 1 comparisons, where I is the
  number of inversions (pairs i < j with items[i] > items[j]): n - 1 on sorted input.
* shell: insertion sorts of every gap-th item for a shrinking sequence of gaps ending at 1
  (for example n // 2, n // 4, ..., 1).
* heap: build a max-heap bottom up, then repeatedly swap the root to the end and sift down.
* merge: top-down or bottom-up, with a merge that takes from the left part on ties.

Distribution sorts. They return a new list and must be stable. ``key(item)`` gives each item's
key; keys are compared with each other only to find the largest one (at most n comparisons
between keys in all; comparing a key with a plain number is free), and items are never compared.

* ``counting_sort(items, key)``: keys are ints in ``[0, k)`` with k small; count each key, turn
  the counts into starting positions, then place the items.
* ``radix_sort(items, key, base=10)``: keys are non-negative ints; one stable counting pass per
  digit in ``base``, least significant digit first.
* ``bucket_sort(items, key)``: keys are floats in ``[0, 1)``; use ``n = len(items)`` buckets,
  item with key k into bucket ``int(k * n)``, insertion-sort each bucket by key, concatenate.
  With uniform keys that makes O(n) key comparisons: the grader allows 4n.

Finally ``stable_sorts()`` returns the set of names (``"bubble"``, ``"selection"``,
``"insertion"``, ``"shell"``, ``"heap"``, ``"merge"``, ``"counting"``, ``"radix"``,
``"bucket"``) of the sorts that are stable *as you wrote them*. The grader holds you to it both
ways: a sort you call stable must keep equal items in their input order on every test, and a
sort you leave out must be caught reordering equal items on some test.

Example::

    >>> items = [3, 1, 2, 1]
    >>> bubble_sort(items); items            # 3 passes, 3 + 2 + 1 = 6 comparisons
    [1, 1, 2, 3]
    >>> merge_sort([(2, "a"), (1, "b"), (2, "c")])            # tuples: compares whole tuples
    [(1, 'b'), (2, 'a'), (2, 'c')]
    >>> counting_sort(["bb", "a", "cc", "d"], key=len)         # stable: "a" before "d"
    ['a', 'd', 'bb', 'cc']
    >>> radix_sort([170, 45, 75, 90, 802, 24, 2, 66], key=lambda x: x)
    [2, 24, 45, 66, 75, 90, 170, 802]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def bubble_sort(items: list) -> None:
    """Sort in place by swapping out-of-order neighbours; stop after a pass without swaps."""
    raise NotImplementedError("bubble_sort")


def selection_sort(items: list) -> None:
    """Sort in place: swap the minimum of the unsorted rest into place, n - 1 times."""
    raise NotImplementedError("selection_sort")


def insertion_sort(items: list) -> None:
    """Sort in place, stably: insert each item into the sorted prefix, scanning leftwards."""
    raise NotImplementedError("insertion_sort")


def shell_sort(items: list) -> None:
    """Sort in place with gapped insertion sorts, the last gap being 1."""
    raise NotImplementedError("shell_sort")


def heap_sort(items: list) -> None:
    """Sort in place: bottom-up max-heap, then move the root to the end n - 1 times."""
    raise NotImplementedError("heap_sort")


def merge_sort(items: list) -> list:
    """Return a new sorted list (stable); leave ``items`` unchanged."""
    raise NotImplementedError("merge_sort")


def counting_sort(items: list, key: Callable[[Any], int]) -> list:
    """Return a new list sorted stably by the small non-negative int ``key(item)``."""
    raise NotImplementedError("counting_sort")


def radix_sort(items: list, key: Callable[[Any], int], base: int = 10) -> list:
    """Return a new list sorted stably by the non-negative int ``key(item)``, LSD first."""
    raise NotImplementedError("radix_sort")


def bucket_sort(items: list, key: Callable[[Any], float]) -> list:
    """Return a new list sorted stably by ``key(item)`` in [0, 1), with len(items) buckets."""
    raise NotImplementedError("bucket_sort")


def stable_sorts() -> set[str]:
    """Names of the sorts in this module that are stable as implemented."""
    raise NotImplementedError("stable_sorts")
