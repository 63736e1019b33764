"""Public examples for ml/whitening: a taste of the grading, small enough to read.

Run them with ``pytest exercises/ml/whitening_test.py``; the hidden grader runs many more cases
when you run ``pytest exercises/ml``.
"""

import numpy as np


def test_channel_means_are_taken_over_samples_and_pixels(kata):
    images = np.zeros((2, 2, 1, 2))
    images[:, 0] = [[[1.0, 3.0]], [[5.0, 7.0]]]  # channel 0: mean 4
    images[:, 1] = 10.0  # channel 1: mean 10
    centred, mean = kata.mean_subtraction(images, "channel")
    np.testing.assert_allclose(mean, [4.0, 10.0])
    np.testing.assert_allclose(centred[:, 0, 0], [[-3.0, -1.0], [1.0, 3.0]])
    np.testing.assert_allclose(centred[:, 1], 0.0)


def test_zca_of_uncorrelated_features_only_rescales_them(kata):
    # variances 4/3 and 16/3 (n - 1 = 3), no correlation: W = diag(sqrt(3/4), sqrt(3/16))
    X = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 4.0], [2.0, 4.0]])
    mean, W = kata.zca_whitening(X, eps=0.0)
    np.testing.assert_allclose(mean, [1.0, 2.0])
    np.testing.assert_allclose(W, np.diag([np.sqrt(3 / 4), np.sqrt(3 / 16)]), atol=1e-12)


def test_pca_whitening_puts_the_largest_variance_first(kata):
    # same data: the second feature has the larger variance, so it becomes row 0
    X = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 4.0], [2.0, 4.0]])
    _, W = kata.pca_whitening(X, eps=0.0)
    np.testing.assert_allclose(
        np.abs(W), [[0.0, np.sqrt(3 / 16)], [np.sqrt(3 / 4), 0.0]], atol=1e-12
    )
