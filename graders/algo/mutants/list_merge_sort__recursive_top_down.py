"""Mutant of algo/list_merge_sort: top-down recursion, halves split at the middle."""

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
    if head is None or head.next is None:
        return head
    slow, fast = head, head.next
    while fast is not None and fast.next is not None:
        slow, fast = slow.next, fast.next.next
    second = slow.next
    slow.next = None
    start = Node(None)
    _merge(merge_sort_list(head), merge_sort_list(second), start)
    return start.next
