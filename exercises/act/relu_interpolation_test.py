"""Public examples for act/relu_interpolation: a taste of the grading, small enough to read.

Run them with ``pytest exercises/act/relu_interpolation_test.py``; the hidden grader checks many
knot sets (unsorted, uneven, large), between and outside the knots.
"""

import numpy as np


def net(params, x):
    w1, b1, w2, b2 = (np.asarray(p, dtype=float) for p in params)
    return np.maximum(np.outer(x, w1) + b1, 0) @ w2 + b2


def test_three_knots(kata):
    params = kata.relu_interpolant(np.array([0.0, 1.0, 3.0]), np.array([1.0, 2.0, 0.0]))
    x = np.array([-5.0, 0.0, 0.5, 1.0, 2.0, 3.0, 9.0])
    np.testing.assert_allclose(net(params, x), [1.0, 1.0, 1.5, 2.0, 1.0, 0.0, 0.0], atol=1e-12)


def test_two_knots_make_a_ramp(kata):
    params = kata.relu_interpolant(np.array([2.0, 4.0]), np.array([0.0, 1.0]))
    np.testing.assert_allclose(net(params, np.array([0.0, 3.0, 10.0])), [0.0, 0.5, 1.0])
