"""Mutant of algo/list_merge_sort: the merge takes the right node on ties."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(eq=False)
class Node:
    """One node of a singly linked list."""

    value: Any
    next: Node | None = None

    def __repr__(self) -> str:
        return f"Node({self.value!r})"


def _cut(node, count):
    """Detach the first ``count`` nodes starting at ``node``; return the node after them."""
    for _ in range(count - 1):
        if node is None:
            return None
        node = node.next
    if node is None:
        return None
    rest = node.next
    node.next = None
    return rest


def _merge(left, right, tail):
    """Append the merge of two sorted chains after ``tail``; return the merged chain's last node."""
    while left is not None and right is not None:
        # Ties take the left node: equal values keep their input order (stability).
        if left.value < right.value:
            tail.next, left = left, left.next
        else:
            tail.next, right = right, right.next
        tail = tail.next
    tail.next = left if left is not None else right
    while tail.next is not None:  # walk to the end, so the next pair can be linked after it
        tail = tail.next
    return tail


def merge_sort_list(head):
    length, node = 0, head
    while node is not None:
        length += 1
        node = node.next
    # A scratch head node saves special-casing the first merge of each pass; it is the only
    # extra object, and it never appears in the result.
    start = Node(None, head)
    width = 1
    while width < length:
        # One pass merges neighbouring sorted runs of ``width`` nodes into runs of 2 * width.
        tail, rest = start, start.next
        while rest is not None:
            left = rest
            right = _cut(left, width)
            rest = _cut(right, width)
            tail = _merge(left, right, tail)
        width *= 2
    return start.next
