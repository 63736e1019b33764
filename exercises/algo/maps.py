"""Two ways to build a map: an open-addressing hash table and a balanced search tree.

Source question: 几种实现 map 类型的方法区别 (s001-44).

A hash table finds a key in O(1) expected time but keeps no order; a balanced binary search
tree costs O(log n) per operation but keeps its keys sorted, so it can answer "the largest key
<= k" and list its items in order. Write one of each. Keys are hashable and mutually comparable
(the grader uses ints, including negative ones, and strings); values are anything.

``HashMap`` -- open addressing with linear probing
--------------------------------------------------

* The table is a list of ``capacity`` slots, each one of: ``None`` (empty, never used), the
  string ``TOMBSTONE`` (a deleted entry), or a tuple ``(key, value)`` (a live entry).
* A new map has capacity 8. The capacity is always a power of two.
* Key ``k`` starts at its home slot ``hash(k) % capacity`` and probes linearly:
  ``home, home + 1, home + 2, ...`` (mod ``capacity``). Different keys may share a hash (in
  Python ``hash(-1) == hash(-2)``): compare keys, not hashes.
* A lookup walks the probe sequence until it finds the key or reaches an empty slot; it steps
  over tombstones. Deleting a key replaces its entry with ``TOMBSTONE``: emptying the slot would
  cut the probe sequence of every key stored after it.
* Resizing: call a slot *used* when it holds a live entry or a tombstone. Before adding a key
  that is not in the map, if ``3 * (used + 1) > 2 * capacity`` (more than two thirds of the slots
  would be used), rebuild: a fresh table whose capacity is the smallest power of two ``>= 8``
  with ``2 * (len + 1) <= capacity``, into which every live entry is re-inserted (tombstones are
  dropped). Deleting never resizes. This sizes the new table by the live keys, so a table full
  of tombstones is cleaned rather than grown.

The grader accepts any resizing rule that keeps these invariants after every operation: the
capacity is a power of two ``>= 8``; at most two thirds of the slots are used; the capacity is at
most ``max(8, 8 * the largest len the map has had)``; every live key sits on its own probe
sequence with no empty slot between its home slot and its slot.

API: ``m[k] = v`` (insert or overwrite), ``m[k]`` (``KeyError`` when absent), ``del m[k]``
(``KeyError`` when absent), ``k in m``, ``len(m)``, ``m.get(k, default=None)``, and
``m.slots()``: the table as a new list of ``capacity`` entries in the form above.

``OrderedMap`` -- a self-balancing binary search tree
-----------------------------------------------------

An AVL tree or a red-black tree: the height must stay at most ``2 * log2(len + 1)`` after every
operation, insertions in sorted order and long runs of deletions included. An unbalanced BST
(height ``n`` after ``n`` sorted insertions) does not qualify, and neither does a treap or skip
list, whose height is only bounded in expectation.

API: the same mapping operations as ``HashMap`` (``m[k] = v``, ``m[k]``, ``del m[k]``, ``in``,
``len``), plus

* ``floor(k)``: the largest key ``<= k`` in the map, or ``None`` if there is none;
  ``ceiling(k)``: the smallest key ``>= k``, or ``None``. ``k`` need not be in the map (and may be
  a float between integer keys); when it is, both return ``k`` itself.
* ``iter(m)``: the keys in ascending order; ``m.items()``: a list of ``(key, value)`` pairs in
  ascending key order.
* ``height()``: the number of nodes on the longest root-to-leaf path (0 when empty, 1 for one
  key).
* ``tree()``: the tree's shape as nested tuples: ``None`` for an empty subtree, otherwise
  ``(left, key, right)``.

Not allowed: the ``bisect`` module (the grader uses it as its reference), and storing the map in
a Python ``dict`` or a sorted list.

Example::

    >>> m = HashMap()
    >>> for k in (1, 9, 17):            # all three have home slot 1 in a table of 8
    ...     m[k] = str(k)
    >>> del m[9]
    >>> m.slots()[:5]
    [None, (1, '1'), '<deleted>', (17, '17'), None]
    >>> m[17]                           # found by probing past the tombstone in slot 2
    '17'
    >>> t = OrderedMap()
    >>> for k in (10, 20, 30):          # sorted insertions: a rotation keeps the height at 2
    ...     t[k] = k * k
    >>> t.tree(), t.height()
    (((None, 10, None), 20, (None, 30, None)), 2)
    >>> t.floor(25), t.ceiling(25), t.floor(20), t.floor(5)
    (20, 30, 20, None)
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from typing import Any

TOMBSTONE = "<deleted>"


class HashMap:
    """A hash map with open addressing, linear probing, tombstones and resizing."""

    def __init__(self) -> None:
        # TODO: an empty table of 8 slots.
        raise NotImplementedError("HashMap.__init__")

    def __len__(self) -> int:
        raise NotImplementedError("HashMap.__len__")

    def __contains__(self, key: Hashable) -> bool:
        raise NotImplementedError("HashMap.__contains__")

    def __getitem__(self, key: Hashable) -> Any:
        """The value stored under ``key``; ``KeyError`` when absent."""
        raise NotImplementedError("HashMap.__getitem__")

    def __setitem__(self, key: Hashable, value: Any) -> None:
        """Insert ``key`` or overwrite its value, resizing first when the table is too full."""
        raise NotImplementedError("HashMap.__setitem__")

    def __delitem__(self, key: Hashable) -> None:
        """Remove ``key``, leaving a tombstone; ``KeyError`` when absent."""
        raise NotImplementedError("HashMap.__delitem__")

    def get(self, key: Hashable, default: Any = None) -> Any:
        raise NotImplementedError("HashMap.get")

    def slots(self) -> list[Any]:
        """The table: one entry per slot, ``None``, ``TOMBSTONE`` or ``(key, value)``."""
        raise NotImplementedError("HashMap.slots")


class OrderedMap:
    """A map kept in a self-balancing binary search tree (AVL or red-black)."""

    def __init__(self) -> None:
        raise NotImplementedError("OrderedMap.__init__")

    def __len__(self) -> int:
        raise NotImplementedError("OrderedMap.__len__")

    def __contains__(self, key: Any) -> bool:
        raise NotImplementedError("OrderedMap.__contains__")

    def __getitem__(self, key: Any) -> Any:
        """The value stored under ``key``; ``KeyError`` when absent."""
        raise NotImplementedError("OrderedMap.__getitem__")

    def __setitem__(self, key: Any, value: Any) -> None:
        """Insert ``key`` or overwrite its value, rebalancing on the way back up."""
        raise NotImplementedError("OrderedMap.__setitem__")

    def __delitem__(self, key: Any) -> None:
        """Remove ``key`` and rebalance; ``KeyError`` when absent."""
        raise NotImplementedError("OrderedMap.__delitem__")

    def __iter__(self) -> Iterator[Any]:
        """The keys in ascending order."""
        raise NotImplementedError("OrderedMap.__iter__")

    def items(self) -> list[tuple[Any, Any]]:
        """``(key, value)`` pairs in ascending key order."""
        raise NotImplementedError("OrderedMap.items")

    def floor(self, key: Any) -> Any:
        """The largest key ``<= key``, or ``None``."""
        raise NotImplementedError("OrderedMap.floor")

    def ceiling(self, key: Any) -> Any:
        """The smallest key ``>= key``, or ``None``."""
        raise NotImplementedError("OrderedMap.ceiling")

    def height(self) -> int:
        """Nodes on the longest root-to-leaf path: 0 when empty, 1 for a single key."""
        raise NotImplementedError("OrderedMap.height")

    def tree(self) -> tuple | None:
        """The shape: ``None`` for an empty subtree, else ``(left, key, right)``."""
        raise NotImplementedError("OrderedMap.tree")
