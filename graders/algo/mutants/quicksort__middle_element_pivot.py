"""Mutant of algo/quicksort: the pivot is the middle item of the range, not the median of three."""

from __future__ import annotations


def median_of_three(items: list, lo: int, hi: int) -> int:
    mid = (lo + hi) // 2
    a, b, c = lo, mid, hi - 1
    # Order the three indices by their items with at most three comparisons; nothing moves.
    if items[b] < items[a]:
        a, b = b, a
    if items[c] < items[b]:
        b, c = c, b
        if items[b] < items[a]:
            a, b = b, a
    return b


def _split(items: list, lo: int, hi: int, goes_left) -> int:
    """Hoare-style pass: items with goes_left(x) to the front, the rest to the back.

    Scanning from both ends and swapping only misplaced pairs leaves a run that is already in
    order untouched, which is what keeps median-of-three effective on sorted inputs.
    """
    i, j = lo, hi - 1
    while True:
        while i <= j and goes_left(items[i]):
            i += 1
        while i <= j and not goes_left(items[j]):
            j -= 1
        if i >= j:
            return i
        items[i], items[j] = items[j], items[i]
        i += 1
        j -= 1


def partition3(items: list, lo: int, hi: int, p: int) -> tuple[int, int]:
    pivot = items[p]
    # Two passes, each scanning from both ends: first "< pivot" from the rest, then
    # "== pivot" (not greater) from "> pivot". Each item is compared about once per pass.
    lt = _split(items, lo, hi, lambda x: x < pivot)
    gt = _split(items, lt, hi, lambda x: not pivot < x)
    return lt, gt


def _sort(items: list, lo: int, hi: int) -> None:
    while hi - lo > 1:
        lt, gt = partition3(items, lo, hi, (lo + hi) // 2)
        # Recurse into the smaller outer part, loop on the larger one: each nested call gets
        # at most half of its parent's range, so at most log2(n) calls are ever nested.
        if lt - lo < hi - gt:
            _sort(items, lo, lt)
            lo = gt
        else:
            _sort(items, gt, hi)
            hi = lt


def quicksort(items: list) -> None:
    _sort(items, 0, len(items))
