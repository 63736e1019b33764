"""Public examples for bn/batchnorm_backward: a taste of the grading, small enough to read.

Run them with ``pytest exercises/bn/batchnorm_backward_test.py``; the hidden grader runs many
more cases (against autograd and finite differences) when you run ``pytest exercises/bn``.
"""

import numpy as np


def test_parameter_gradients_are_sums_over_the_batch(kata):
    # x = [[1], [3]]: mean 2, variance 1, so x_hat = [[-1], [1]] when eps = 0
    dout = np.array([[1.0], [0.0]])
    _, dgamma, dbeta = kata.batchnorm_backward(dout, np.array([[1.0], [3.0]]), np.ones(1), eps=0.0)
    np.testing.assert_allclose(dbeta, [1.0])  # sum(dout)
    np.testing.assert_allclose(dgamma, [-1.0])  # sum(dout * x_hat)


def test_a_gradient_that_only_shifts_the_batch_does_not_reach_x(kata):
    # The same dout for every sample asks to move every output up by the same amount, but
    # normalisation removes any shift of the batch: the gradient through the mean cancels it.
    x = np.array([[0.0, 5.0], [1.0, 7.0], [5.0, 6.0]])
    dx, _, dbeta = kata.batchnorm_backward(np.ones_like(x), x, np.array([1.5, 0.5]), eps=0.0)
    np.testing.assert_allclose(dx, np.zeros_like(x), atol=1e-12)
    np.testing.assert_allclose(dbeta, [3.0, 3.0])


def test_a_gradient_along_x_hat_does_not_reach_x(kata):
    # dout proportional to x_hat asks to rescale the channel, which normalisation undoes too:
    # the gradient through the variance cancels it. x = [1, 2, 3] gives
    # x_hat = sqrt(1.5) * [-1, 0, 1].
    x = np.array([[1.0], [2.0], [3.0]])
    dout = np.array([[-1.0], [0.0], [1.0]])
    dx, dgamma, _ = kata.batchnorm_backward(dout, x, np.array([2.0]), eps=0.0)
    np.testing.assert_allclose(dx, np.zeros_like(x), atol=1e-12)
    np.testing.assert_allclose(dgamma, [2.0 * np.sqrt(1.5)])
