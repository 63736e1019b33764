"""Quicksort without its worst cases: median-of-three, three-way partition, shallow recursion.

Source questions: 快排的最好最差情况以及如何避免 (s001-14); 排序算法的时间 / 空间复杂度 (s001-13).

Plain quicksort has two famous quadratic cases: a pivot taken from one end of the range is the
minimum or maximum of an already sorted (or reversed) list, and a two-way partition makes no
progress on a list of equal items. Its recursion can also nest n calls deep. Write a quicksort
that avoids all three, in three parts. Ranges are half-open: ``[lo, hi)``.

``median_of_three(items, lo, hi) -> int`` (requires ``hi - lo >= 1``)
    Sample the three slots ``lo``, ``mid = (lo + hi) // 2`` and ``hi - 1`` and return the index
    of a slot holding their median value, with at most 3 comparisons. You may reorder the three
    sampled slots among themselves (some implementations sort them in place); touch nothing else.

``partition3(items, lo, hi, p) -> (lt, gt)``
    Three-way partition of ``items[lo:hi]`` around the value ``pivot = items[p]``
    (``lo <= p < hi``), in place, so that afterwards ``items[lo:lt] < pivot``,
    ``items[lt:gt] == pivot`` and ``items[gt:hi] > pivot``. Return ``(lt, gt)``. Use at most
    ``2 * (hi - lo) + 3`` comparisons. Leave everything outside ``[lo, hi)`` alone.

``quicksort(items) -> None``
    Sort the list in place (rearrange its objects; return ``None``) with the median-of-three
    pivot and the three-way partition, recursing only into the *smaller* of the two outer parts
    (``[lo, lt)`` and ``[gt, hi)``) and handling the larger one with a loop, so that no more
    than about log2(n) calls are ever nested.

How it is graded. Every item is an opaque object that can only be compared with another item:
use ``<`` (``<=``, ``>``, ``>=``, ``==`` work too); each comparison, of any kind, counts as one.
Do not copy, create or inspect items, and do not call ``sorted`` or ``list.sort``. The grader
counts comparisons:

* sorted, reversed and random inputs of n = 383 must take at most
  ``2.25 * n * log2(n)`` comparisons, and organ-pipe inputs (``0, 1, ..., n/2, ..., 1, 0``, whose
  samples fool median-of-three more often) at most ``3.75 * n * log2(n)``;
* n equal items must take at most ``3 * n`` comparisons (one three-way pass finishes them);

and the stack: against an adversary that makes every pivot nearly the smallest (or the
largest) item of its range, ``quicksort`` on n = 300 items gets room for only
``2 * (ceil(log2 n) + 1) + 20`` nested Python calls, helpers and comparisons included.

A warning about partitioning: the single left-to-right pass known as Dijkstra's "Dutch national
flag" is a correct three-way partition, but it keeps reversing the part above the pivot, and
then median-of-three stops finding good pivots on sorted and organ-pipe inputs (it exceeds the
budget above). Partition by scanning from both ends, Hoare style, swapping misplaced pairs: an
already ordered range then stays ordered.

Example::

    >>> items = [5, 1, 4, 1, 5, 9, 2, 6]
    >>> median_of_three(items, 0, 8)       # samples 5 (slot 0), 5 (slot 4), 6 (slot 7)
    4                                      # (0 is right too: both hold the median 5)
    >>> partition3(items, 0, 8, 2)         # pivot value 4
    (3, 4)                                 # items[:3] is some order of 1, 1, 2; items[3] == 4
    >>> quicksort(items); items
    [1, 1, 2, 4, 5, 5, 6, 9]
"""

from __future__ import annotations


def median_of_three(items: list, lo: int, hi: int) -> int:
    """Index of the median of items[lo], items[(lo + hi) // 2], items[hi - 1]; <= 3 comparisons."""
    raise NotImplementedError("median_of_three")


def partition3(items: list, lo: int, hi: int, p: int) -> tuple[int, int]:
    """Rearrange items[lo:hi] into < pivot, == pivot, > pivot (pivot items[p]); return (lt, gt)."""
    raise NotImplementedError("partition3")


def quicksort(items: list) -> None:
    """Sort ``items`` in place: median-of-three, three-way partition, smaller part first."""
    raise NotImplementedError("quicksort")
