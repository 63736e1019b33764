"""Public examples for algo/list_merge_sort: a taste of the grading, small enough to read.

Run them with ``pytest exercises/algo/list_merge_sort_test.py``; the hidden grader also counts
comparisons, measures memory and sorts 100 000 nodes with almost no room for recursion.
"""

import itertools


def linked(kata, values):
    nodes = [kata.Node(v) for v in values]
    for a, b in itertools.pairwise(nodes):
        a.next = b
    return nodes


def walk(head):
    out = []
    while head is not None:
        out.append(head)
        head = head.next
    return out


def test_sorts_by_relinking_the_same_nodes(kata):
    nodes = linked(kata, [3, 1, 2])
    head = kata.merge_sort_list(nodes[0])
    result = walk(head)
    assert [node.value for node in result] == [1, 2, 3]
    assert result == [nodes[1], nodes[2], nodes[0]]  # the same objects, relinked
    assert result[-1].next is None


def test_equal_values_keep_their_order(kata):
    nodes = linked(kata, [2, 1, 2, 1])
    result = walk(kata.merge_sort_list(nodes[0]))
    assert [id(node) for node in result] == [id(nodes[i]) for i in (1, 3, 0, 2)]


def test_empty_and_single_node_lists(kata):
    assert kata.merge_sort_list(None) is None
    (only,) = linked(kata, [7])
    assert kata.merge_sort_list(only) is only
    assert only.next is None
