"""Public examples for bn/weight_norm: a taste of the grading, small enough to read.

Run them with ``pytest exercises/bn/weight_norm_test.py``; the hidden grader runs many more
cases when you run ``pytest exercises/bn``.
"""

import numpy as np


def test_each_row_gets_the_length_g(kata):
    # Row norms are 5 and 2 (3-4-5 triangle); g rescales each unit row to its own length.
    v = np.array([[3.0, 4.0], [0.0, 2.0]])
    w = kata.weight_norm(v, np.array([[2.0], [1.0]]), dim=0)
    np.testing.assert_allclose(w, [[1.2, 1.6], [0.0, 1.0]])


def test_backward_of_a_single_row(kata):
    # v = (3, 4), ||v|| = 5, g = 2. With dw = (1, 0):
    #   dg = dw . v / ||v|| = 3 / 5
    #   moving v along itself cannot change w, so dv must be orthogonal to v: dv . v = 0.
    v, g, dw = np.array([[3.0, 4.0]]), np.array([[2.0]]), np.array([[1.0, 0.0]])
    dv, dg = kata.weight_norm_backward(v, g, dw, dim=0)
    np.testing.assert_allclose(dg, [[0.6]])
    np.testing.assert_allclose(np.sum(dv * v), 0.0, atol=1e-12)
    np.testing.assert_allclose(dv, [[0.256, -0.192]])


def test_mean_only_batchnorm_centres_without_rescaling(kata):
    # Channel means are 2 and 20; the spread of each channel is kept as it is.
    x = np.array([[1.0, 10.0], [3.0, 30.0]])
    out = kata.mean_only_batchnorm(x, np.array([0.0, 1.0]))
    np.testing.assert_allclose(out, [[-1.0, -9.0], [1.0, 11.0]])
