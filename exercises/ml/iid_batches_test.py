"""Public examples for ml/iid_batches: a taste of the grading, small enough to read.

Run them with ``pytest exercises/ml/iid_batches_test.py``; the hidden grader runs many more
cases when you run ``pytest exercises/ml``.
"""

import numpy as np


def test_sorted_batches_hold_one_class_each(kata):
    y = np.array([1, 0, 1, 0])
    batches = kata.sorted_batches(y, 2)
    assert [b.tolist() for b in batches] == [[1, 3], [0, 2]]
    # p = (1/2, 1/2); a batch of one class is 1/2 (1/2 + 1/2) = 0.5 away from it
    assert np.isclose(kata.label_skew(batches, y, 2), 0.5)


def test_an_epoch_covers_every_sample_once_and_keeps_the_short_last_batch(kata):
    batches = kata.shuffled_batches(10, 4, np.random.default_rng(0))
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(np.concatenate(batches).tolist()) == list(range(10))


def test_batch_norm_statistics_use_the_biased_variance(kata):
    x = np.array([[1.0], [2.0], [3.0], [6.0]])
    means, variances = kata.batch_norm_stats(x, [np.array([0, 1]), np.array([2, 3])])
    np.testing.assert_allclose(means, [[1.5], [4.5]])
    np.testing.assert_allclose(variances, [[0.25], [2.25]])
