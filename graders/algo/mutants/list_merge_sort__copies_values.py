"""Mutant of algo/list_merge_sort: sorts a list of the values, writes them back into the nodes."""

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
        if right.value < left.value:
            tail.next, right = right, right.next
        else:
            tail.next, left = left, left.next
        tail = tail.next
    tail.next = left if left is not None else right
    while tail.next is not None:  # walk to the end, so the next pair can be linked after it
        tail = tail.next
    return tail


def _merge_values(left, right):
    merged, i, j = [], 0, 0
    while i < len(left) and j < len(right):
        if right[j] < left[i]:
            merged.append(right[j])
            j += 1
        else:
            merged.append(left[i])
            i += 1
    return merged + left[i:] + right[j:]


def merge_sort_list(head):
    values, node = [], head
    while node is not None:
        values.append(node.value)
        node = node.next
    width = 1
    while width < len(values):
        values = [
            v
            for lo in range(0, len(values), 2 * width)
            for v in _merge_values(values[lo : lo + width], values[lo + width : lo + 2 * width])
        ]
        width *= 2
    node = head
    for value in values:  # same nodes, same links: the values move instead
        node.value = value
        node = node.next
    return head
