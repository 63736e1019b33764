"""Public examples for python/iterators: a taste of the grading, small enough to read.

Run them with ``pytest exercises/python/iterators_test.py``; the hidden grader runs many more
cases when you run ``pytest exercises/python``.
"""

import itertools


def test_peek_leaves_the_item_for_next(kata):
    p = kata.Peekable("ab")
    assert p.peek() == "a"
    assert next(p) == "a"
    assert list(p) == ["b"]
    assert list(p) == []  # single pass: the iterator is used up


def test_batched_last_batch_is_shorter_and_endless_input_is_fine(kata):
    assert list(kata.batched(range(7), 3)) == [(0, 1, 2), (3, 4, 5), (6,)]
    assert next(kata.batched(itertools.count(), 2)) == (0, 1)


def test_pipeline_and_running_average(kata):
    assert list(kata.batch_means([" 1", "# note", "", "3", "5.5"], 2)) == [2.0, 5.5]
    avg = kata.running_average()
    assert next(avg) is None
    assert [avg.send(10), avg.send(20), avg.send(3)] == [10.0, 15.0, 11.0]
