"""Public examples for ml/logistic_regression: a taste of the grading, small enough to read.

Run them with ``pytest exercises/ml/logistic_regression_test.py``; the hidden grader runs many
more cases when you run ``pytest exercises/ml``.
"""

import numpy as np


def test_sigmoid_of_zero_and_of_huge_logits(kata):
    out = kata.sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    np.testing.assert_allclose(out, [0.0, 0.5, 1.0])


def test_loss_and_gradient_at_the_origin(kata):
    # w = 0, b = 0: p = 1/2 for every sample, so the loss is log 2 and
    # the gradient is the mean of (p - y) x = mean(-0.5 * 1, 0.5 * -1) = -0.5
    X = np.array([[1.0], [-1.0]])
    y = np.array([1, 0])
    assert np.isclose(kata.bce_loss(X, y, np.zeros(1), 0.0), np.log(2))
    grad_w, grad_b = kata.gradients(X, y, np.zeros(1), 0.0)
    np.testing.assert_allclose(grad_w, [-0.5])
    assert np.isclose(grad_b, 0.0)


def test_one_training_step_by_hand(kata):
    # from the previous example, one step with lr = 2 moves w from 0 to 0 - 2 * (-0.5) = 1
    X = np.array([[1.0], [-1.0]])
    y = np.array([1, 0])
    w, b, losses = kata.train(X, y, np.zeros(1), 0.0, lr=2.0, steps=1)
    np.testing.assert_allclose(w, [1.0])
    assert np.isclose(b, 0.0)
    # losses[0] at the start, losses[1] = log(1 + e^-1) after the step (both samples alike)
    np.testing.assert_allclose(losses, [np.log(2), np.log1p(np.exp(-1.0))])
