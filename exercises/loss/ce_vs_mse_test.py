"""Public examples for loss/ce_vs_mse: a taste of the grading, small enough to read.

Run them with ``pytest exercises/loss/ce_vs_mse_test.py``; the hidden grader runs many more cases
when you run ``pytest exercises/loss``.
"""

import numpy as np


def test_gradients_at_zero_logit(kata):
    z, y = np.array([0.0]), np.array([1.0])
    np.testing.assert_allclose(kata.mse_sigmoid_grad(z, y), [-0.25])
    np.testing.assert_allclose(kata.bce_grad(z, y), [-0.5])


def test_mse_gradient_vanishes_when_confidently_wrong(kata):
    z, y = np.array([-10.0]), np.array([1.0])
    assert abs(kata.mse_sigmoid_grad(z, y)[0]) < 1e-3
    assert abs(kata.bce_grad(z, y)[0] + 1.0) < 1e-4


def test_train_logit_returns_the_start_and_every_step(kata):
    path = kata.train_logit("bce", 0.0, 1.0, lr=1.0, steps=3)
    assert len(path) == 4
    np.testing.assert_allclose(path[:2], [0.0, 0.5])
