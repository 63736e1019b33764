"""Mutant of algo/sorting: the insertion scan moves past equal items (unstable)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def bubble_sort(items: list) -> None:
    n = len(items)
    for end in range(n - 1, 0, -1):
        # After each pass the largest remaining item has bubbled to items[end].
        swapped = False
        for j in range(end):
            if items[j + 1] < items[j]:  # strict: equal neighbours never swap, so it is stable
                items[j], items[j + 1] = items[j + 1], items[j]
                swapped = True
        if not swapped:  # a pass without swaps proves the prefix sorted: n - 1 on sorted input
            return


def selection_sort(items: list) -> None:
    n = len(items)
    for i in range(n - 1):
        smallest = i
        for j in range(i + 1, n):
            if items[j] < items[smallest]:
                smallest = j
        # The long-distance swap can jump an item over its equals: not stable.
        items[i], items[smallest] = items[smallest], items[i]


def insertion_sort(items: list) -> None:
    for i in range(1, len(items)):
        current = items[i]
        j = i
        # Stop at the first item that is not greater: equal items keep their order, and sorted
        # input costs one comparison per item.
        while j > 0 and current <= items[j - 1]:
            items[j] = items[j - 1]
            j -= 1
        items[j] = current


def shell_sort(items: list) -> None:
    n = len(items)
    gap = n // 2
    while gap > 0:
        # An insertion sort of every gap-th item: far moves first, then the final gap-1 pass
        # finds the list nearly sorted.
        for i in range(gap, n):
            current = items[i]
            j = i
            while j >= gap and current < items[j - gap]:
                items[j] = items[j - gap]
                j -= gap
            items[j] = current
        gap //= 2


def _sift_down(items: list, root: int, end: int) -> None:
    """Restore the max-heap property below ``root`` in items[:end]."""
    while 2 * root + 1 < end:
        child = 2 * root + 1
        if child + 1 < end and items[child] < items[child + 1]:
            child += 1
        if not items[root] < items[child]:
            return
        items[root], items[child] = items[child], items[root]
        root = child


def heap_sort(items: list) -> None:
    n = len(items)
    # Bottom-up heapify: sift down every internal node, last one first (O(n) in total).
    for root in range(n // 2 - 1, -1, -1):
        _sift_down(items, root, n)
    for end in range(n - 1, 0, -1):
        items[0], items[end] = items[end], items[0]  # the maximum goes to its final slot
        _sift_down(items, 0, end)


def _merge(left: list, right: list) -> list:
    merged = []
    i = j = 0
    while i < len(left) and j < len(right):
        # Take from the right only when it is strictly smaller: ties come from the left, which
        # is what makes merge sort stable.
        if right[j] < left[i]:
            merged.append(right[j])
            j += 1
        else:
            merged.append(left[i])
            i += 1
    merged.extend(left[i:])
    merged.extend(right[j:])
    return merged


def merge_sort(items: list) -> list:
    if len(items) <= 1:
        return list(items)
    mid = len(items) // 2
    return _merge(merge_sort(items[:mid]), merge_sort(items[mid:]))


def counting_sort(items: list, key: Callable[[Any], int]) -> list:
    keys = [key(item) for item in items]
    if not keys:
        return []
    size = max(keys) + 1  # the only comparisons: n - 1 to find the range
    starts = [0] * size
    for k in keys:
        starts[k] += 1
    total = 0
    for k in range(size):  # prefix sums: starts[k] = first output slot of key k
        starts[k], total = total, total + starts[k]
    out: list = [None] * len(items)
    # front to back, filling each key's slots in order: stable
    for item, k in zip(items, keys, strict=True):
        out[starts[k]] = item
        starts[k] += 1
    return out


def radix_sort(items: list, key: Callable[[Any], int], base: int = 10) -> list:
    keys = [key(item) for item in items]
    if not keys:
        return []
    largest = max(keys)
    order = list(range(len(items)))
    place = 1
    while True:
        # One stable counting pass per digit, least significant first: the order left by the
        # lower digits survives among items whose current digit ties.
        order = counting_sort(order, lambda i, place=place: keys[i] // place % base)
        place *= base
        if place > largest:
            break
    return [items[i] for i in order]


def bucket_sort(items: list, key: Callable[[Any], float]) -> list:
    n = len(items)
    buckets: list[list] = [[] for _ in range(n)]
    for item in items:
        k = key(item)
        buckets[int(k * n)].append((k, item))
    out = []
    for bucket in buckets:
        # Uniform keys leave about one item per bucket: insertion sort costs O(1) per bucket.
        for i in range(1, len(bucket)):
            current = bucket[i]
            j = i
            while j > 0 and current[0] < bucket[j - 1][0]:
                bucket[j] = bucket[j - 1]
                j -= 1
            bucket[j] = current
        out.extend(item for _, item in bucket)
    return out


def stable_sorts() -> set[str]:
    # selection (long swaps), shell (gap moves) and heap (moves through the heap) are not.
    return {"bubble", "insertion", "merge", "counting", "radix", "bucket"}
