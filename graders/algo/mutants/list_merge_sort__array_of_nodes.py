"""Mutant of algo/list_merge_sort: sorts a Python list of the nodes, then relinks them."""

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


def merge_sort_list(head):
    nodes, node = [], head
    while node is not None:
        nodes.append(node)
        node = node.next
    width = 1
    while width < len(nodes):
        merged = []
        for lo in range(0, len(nodes), 2 * width):
            left, right = nodes[lo : lo + width], nodes[lo + width : lo + 2 * width]
            i = j = 0
            while i < len(left) and j < len(right):
                if right[j].value < left[i].value:
                    merged.append(right[j])
                    j += 1
                else:
                    merged.append(left[i])
                    i += 1
            merged += left[i:] + right[j:]
        nodes = merged
        width *= 2
    if not nodes:
        return None
    for a, b in zip(nodes, [*nodes[1:], None], strict=True):
        a.next = b
    return nodes[0]
