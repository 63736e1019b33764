"""Reference solution: an open-addressing hash map and an AVL tree map (see the exercise)."""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from typing import Any

TOMBSTONE = "<deleted>"
_EMPTY = None


class HashMap:
    """A hash map with open addressing, linear probing, tombstones and resizing."""

    def __init__(self) -> None:
        self._table: list[Any] = [_EMPTY] * 8
        self._len = 0
        self._tombstones = 0

    def __len__(self) -> int:
        return self._len

    def _find(self, key: Hashable) -> tuple[int | None, int | None]:
        """(slot holding key or None, first reusable slot on the way or None)."""
        capacity = len(self._table)
        index = hash(key) % capacity
        reusable = None
        # A table never fills up (at most 2/3 used), so an empty slot always ends the walk.
        while True:
            entry = self._table[index]
            if entry is _EMPTY:
                return None, index if reusable is None else reusable
            if entry is TOMBSTONE:
                # Keep walking: the key may sit further along, past the deleted entry.
                if reusable is None:
                    reusable = index
            elif entry[0] == key:
                return index, None
            index = (index + 1) % capacity

    def __contains__(self, key: Hashable) -> bool:
        return self._find(key)[0] is not None

    def __getitem__(self, key: Hashable) -> Any:
        found, _ = self._find(key)
        if found is None:
            raise KeyError(key)
        return self._table[found][1]

    def get(self, key: Hashable, default: Any = None) -> Any:
        found, _ = self._find(key)
        return default if found is None else self._table[found][1]

    def __setitem__(self, key: Hashable, value: Any) -> None:
        found, free = self._find(key)
        if found is not None:
            self._table[found] = (key, value)
            return
        used = self._len + self._tombstones
        if 3 * (used + 1) > 2 * len(self._table):
            self._rebuild()
            found, free = self._find(key)
        assert free is not None
        if self._table[free] is TOMBSTONE:
            self._tombstones -= 1
        self._table[free] = (key, value)
        self._len += 1

    def _rebuild(self) -> None:
        # Size by the live keys: tombstones vanish, so churn does not grow the table.
        capacity = 8
        while 2 * (self._len + 1) > capacity:
            capacity *= 2
        live = [entry for entry in self._table if entry is not _EMPTY and entry is not TOMBSTONE]
        self._table = [_EMPTY] * capacity
        self._tombstones = 0
        for key, value in live:
            index = hash(key) % capacity
            while self._table[index] is not _EMPTY:
                index = (index + 1) % capacity
            self._table[index] = (key, value)

    def __delitem__(self, key: Hashable) -> None:
        found, _ = self._find(key)
        if found is None:
            raise KeyError(key)
        # A tombstone, not an empty slot: keys stored after this one must stay reachable.
        self._table[found] = TOMBSTONE
        self._len -= 1
        self._tombstones += 1

    def slots(self) -> list[Any]:
        return list(self._table)


class _Node:
    __slots__ = ("height", "key", "left", "right", "value")

    def __init__(self, key: Any, value: Any) -> None:
        self.key, self.value = key, value
        self.left: _Node | None = None
        self.right: _Node | None = None
        self.height = 1


def _height(node: _Node | None) -> int:
    return node.height if node is not None else 0


def _update(node: _Node) -> None:
    node.height = 1 + max(_height(node.left), _height(node.right))


def _rotate_right(node: _Node) -> _Node:
    pivot = node.left
    assert pivot is not None
    node.left, pivot.right = pivot.right, node
    _update(node)
    _update(pivot)
    return pivot


def _rotate_left(node: _Node) -> _Node:
    pivot = node.right
    assert pivot is not None
    node.right, pivot.left = pivot.left, node
    _update(node)
    _update(pivot)
    return pivot


def _rebalance(node: _Node) -> _Node:
    """Restore |height(left) - height(right)| <= 1 at ``node``, whose subtrees are AVL trees."""
    _update(node)
    balance = _height(node.left) - _height(node.right)
    if balance > 1:
        assert node.left is not None
        if _height(node.left.left) < _height(node.left.right):  # left-right case
            node.left = _rotate_left(node.left)
        return _rotate_right(node)
    if balance < -1:
        assert node.right is not None
        if _height(node.right.right) < _height(node.right.left):  # right-left case
            node.right = _rotate_right(node.right)
        return _rotate_left(node)
    return node


class OrderedMap:
    """An AVL tree: every node's subtrees differ in height by at most one, so the height stays
    below 1.44 * log2(n + 2)."""

    def __init__(self) -> None:
        self._root: _Node | None = None
        self._len = 0

    def __len__(self) -> int:
        return self._len

    def _node(self, key: Any) -> _Node | None:
        node = self._root
        while node is not None and node.key != key:
            node = node.left if key < node.key else node.right
        return node

    def __contains__(self, key: Any) -> bool:
        return self._node(key) is not None

    def __getitem__(self, key: Any) -> Any:
        node = self._node(key)
        if node is None:
            raise KeyError(key)
        return node.value

    def __setitem__(self, key: Any, value: Any) -> None:
        # Recursion depth is the tree height, about 1.44 log2 n: safe for any realistic n.
        def insert(node: _Node | None) -> _Node:
            if node is None:
                self._len += 1
                return _Node(key, value)
            if key == node.key:
                node.value = value
                return node
            if key < node.key:
                node.left = insert(node.left)
            else:
                node.right = insert(node.right)
            return _rebalance(node)

        self._root = insert(self._root)

    def __delitem__(self, key: Any) -> None:
        def remove_min(node: _Node) -> tuple[_Node | None, _Node]:
            """(the subtree without its smallest node, that node)."""
            if node.left is None:
                return node.right, node
            node.left, smallest = remove_min(node.left)
            return _rebalance(node), smallest

        def remove(node: _Node | None) -> _Node | None:
            if node is None:
                raise KeyError(key)
            if key < node.key:
                node.left = remove(node.left)
            elif node.key < key:
                node.right = remove(node.right)
            else:
                if node.left is None or node.right is None:
                    return node.left or node.right
                # Two children: the in-order successor takes this node's place.
                right, successor = remove_min(node.right)
                successor.left, successor.right = node.left, right
                node = successor
            return _rebalance(node)

        self._root = remove(self._root)
        self._len -= 1

    def _in_order(self) -> Iterator[_Node]:
        stack: list[_Node] = []
        node = self._root
        while stack or node is not None:
            while node is not None:
                stack.append(node)
                node = node.left
            node = stack.pop()
            yield node
            node = node.right

    def __iter__(self) -> Iterator[Any]:
        return (node.key for node in self._in_order())

    def items(self) -> list[tuple[Any, Any]]:
        return [(node.key, node.value) for node in self._in_order()]

    def floor(self, key: Any) -> Any:
        best, node = None, self._root
        while node is not None:
            if node.key == key:
                return node.key
            if node.key < key:
                best, node = node.key, node.right  # a candidate; a larger one may lie right
            else:
                node = node.left
        return best

    def ceiling(self, key: Any) -> Any:
        best, node = None, self._root
        while node is not None:
            if node.key == key:
                return node.key
            if key < node.key:
                best, node = node.key, node.left
            else:
                node = node.right
        return best

    def height(self) -> int:
        return _height(self._root)

    def tree(self) -> tuple | None:
        def shape(node: _Node | None) -> tuple | None:
            if node is None:
                return None
            return (shape(node.left), node.key, shape(node.right))

        return shape(self._root)
