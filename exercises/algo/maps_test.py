"""Public examples for algo/maps: a taste of the grading, small enough to read.

Run them with ``pytest exercises/algo/maps_test.py``; the hidden grader runs long random
operation sequences against a dict and a sorted list when you run ``pytest exercises/algo``.
"""

import math

import pytest


def test_deleting_the_middle_of_a_probe_chain_leaves_a_tombstone(kata):
    m = kata.HashMap()
    for key in (1, 9, 17):  # home slot 1 for all three in a table of 8 slots
        m[key] = str(key)
    del m[9]
    assert m.slots()[1:4] == [(1, "1"), kata.TOMBSTONE, (17, "17")]
    assert m[17] == "17"  # found by walking past the tombstone
    assert 9 not in m and len(m) == 2
    with pytest.raises(KeyError):
        m[9]


def test_sorted_insertions_stay_balanced(kata):
    t = kata.OrderedMap()
    for key in (1, 2, 3):  # a plain BST would become a chain of height 3
        t[key] = key * key
    assert t.tree() == ((None, 1, None), 2, (None, 3, None))
    for key in range(4, 16):
        t[key] = key * key
    assert t.height() <= 2 * math.log2(15 + 1)  # AVL gives 4 here
    assert list(t) == list(range(1, 16))
    assert t.items()[:2] == [(1, 1), (2, 4)]


def test_floor_and_ceiling(kata):
    t = kata.OrderedMap()
    for key in (10, 20, 30):
        t[key] = None
    assert (t.floor(25), t.ceiling(25)) == (20, 30)
    assert (t.floor(20), t.ceiling(20)) == (20, 20)  # a key is its own floor and ceiling
    assert (t.floor(5), t.ceiling(35)) == (None, None)
