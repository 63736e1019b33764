"""Public examples for loss/regression: a taste of the grading, small enough to read.

Run them with ``pytest exercises/loss/regression_test.py``; the hidden grader runs many more cases
when you run ``pytest exercises/loss``.
"""

import numpy as np


def test_smooth_l1_is_quadratic_near_zero_and_linear_far_away(kata):
    pred, target = np.array([0.0, 0.5, 3.0]), np.zeros(3)
    loss, grad = kata.smooth_l1_loss(pred, target, reduction="none", beta=1.0)
    np.testing.assert_allclose(loss, [0.0, 0.125, 2.5])
    np.testing.assert_allclose(grad, [0.0, 0.5, 1.0])


def test_mse_mean_gradient_is_two_residuals_over_n(kata):
    pred, target = np.array([1.0, 2.0, 4.0, 0.0]), np.array([0.0, 2.0, 2.0, 1.0])
    loss, grad = kata.mse_loss(pred, target, reduction="mean")
    assert np.isclose(loss, (1 + 0 + 4 + 1) / 4)
    np.testing.assert_allclose(grad, 2 * (pred - target) / 4)


def test_huber_tails_have_slope_delta(kata):
    loss, grad = kata.huber_loss(np.array([0.0, 0.5, 3.0]), np.zeros(3), reduction="sum", delta=2.0)
    assert np.isclose(loss, 0.0 + 0.125 + 2.0 * (3.0 - 1.0))
    np.testing.assert_allclose(grad, [0.0, 0.5, 2.0])
