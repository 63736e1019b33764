"""Public examples for dist/syncbn_simulated: a taste of the grading, small enough to read.

Run them with ``pytest exercises/dist/syncbn_simulated_test.py``; the hidden grader runs many
more cases when you run ``pytest exercises/dist``.
"""

import numpy as np


def test_local_stats_are_a_count_and_two_sums(kata):
    x = np.array([[1.0, 10.0], [3.0, 20.0], [5.0, 30.0]])
    count, total, total_sq = kata.local_stats(x)
    assert count == 3
    np.testing.assert_allclose(total, [9.0, 60.0])
    np.testing.assert_allclose(total_sq, [35.0, 1400.0])


def test_two_uneven_devices_use_the_statistics_of_the_whole_batch(kata):
    shards = [np.array([[0.0]]), np.array([[2.0], [4.0]])]
    outs = kata.syncbn_forward(shards, np.ones(1), np.zeros(1), eps=0.0)
    # whole batch [0, 2, 4]: mean 2, biased variance 8/3
    std = np.sqrt(8.0 / 3.0)
    np.testing.assert_allclose(outs[0], [[-2.0 / std]])
    np.testing.assert_allclose(outs[1], [[0.0], [2.0 / std]])


def test_combine_stats_adds_before_dividing(kata):
    mean, var = kata.combine_stats(
        [(1, np.array([0.0]), np.array([0.0])), (2, np.array([6.0]), np.array([20.0]))]
    )
    np.testing.assert_allclose(mean, [2.0])
    np.testing.assert_allclose(var, [8.0 / 3.0])
