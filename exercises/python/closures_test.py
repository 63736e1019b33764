"""Public examples for python/closures: a taste of the grading, small enough to read.

Run them with ``pytest exercises/python/closures_test.py``; the hidden grader runs many more
cases when you run ``pytest exercises/python``.
"""


def test_two_counters_count_on_their_own(kata):
    first, second = kata.make_counter(), kata.make_counter(10, 5)
    assert [first(), first(), second(), first(), second()] == [1, 2, 15, 3, 20]


def test_averager_returns_the_mean_so_far(kata):
    average = kata.make_averager()
    assert [average(10), average(20), average(3)] == [10.0, 15.0, 11.0]


def test_each_multiplier_keeps_its_own_factor(kata):
    assert [f(2) for f in kata.make_multipliers(4)] == [0, 2, 4, 6]
