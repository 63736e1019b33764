"""Public examples for bn/batchnorm_forward: a taste of the grading, small enough to read.

Run them with ``pytest exercises/bn/batchnorm_forward_test.py``; the hidden grader runs many
more cases when you run ``pytest exercises/bn``.
"""

import numpy as np


def test_two_samples_one_channel_normalise_to_minus_one_and_one(kata):
    x = np.array([[1.0], [3.0]])
    out, running_mean, running_var = kata.batchnorm_forward(
        x, np.ones(1), np.zeros(1), np.zeros(1), np.ones(1), training=True, momentum=0.1, eps=0.0
    )
    np.testing.assert_allclose(out, [[-1.0], [1.0]])
    np.testing.assert_allclose(running_mean, [0.1 * 2.0])
    # the batch's unbiased variance is 2, so 0.9 * 1 + 0.1 * 2
    np.testing.assert_allclose(running_var, [1.1])


def test_gamma_and_beta_scale_and_shift_each_channel(kata):
    x = np.array([[0.0, 10.0], [2.0, 30.0]])
    out, _, _ = kata.batchnorm_forward(
        x,
        np.array([2.0, 1.0]),
        np.array([0.0, 5.0]),
        np.zeros(2),
        np.ones(2),
        training=True,
        eps=0.0,
    )
    np.testing.assert_allclose(out, [[-2.0, 4.0], [2.0, 6.0]])


def test_evaluation_mode_uses_the_running_statistics(kata):
    x = np.array([[4.0], [6.0]])
    out, _, _ = kata.batchnorm_forward(
        x, np.ones(1), np.zeros(1), np.array([5.0]), np.array([4.0]), training=False, eps=0.0
    )
    np.testing.assert_allclose(out, [[-0.5], [0.5]])
