"""Public examples for ml/svd: a taste of the grading, small enough to read.

Run them with ``pytest exercises/ml/svd_test.py``; the hidden grader runs many more cases when
you run ``pytest exercises/ml``.
"""

import numpy as np


def test_diagonal_matrix_keeps_its_largest_entries(kata):
    A = np.diag([1.0, 5.0, 3.0])
    # the singular values are 5, 3, 1: rank 2 keeps the 5 and the 3
    np.testing.assert_allclose(kata.low_rank_approximation(A, 2), np.diag([0.0, 5.0, 3.0]))
    U, s, Vt = kata.truncated_svd(A, 2)
    np.testing.assert_allclose(s, [5.0, 3.0])
    assert U.shape == (3, 2) and Vt.shape == (2, 3)


def test_errors_are_the_singular_values_left_out(kata):
    A = np.diag([4.0, 3.0, 0.0, 2.0])
    frobenius, spectral = kata.approximation_errors(A, 1)
    assert np.isclose(frobenius, np.sqrt(3.0**2 + 2.0**2))
    assert np.isclose(spectral, 3.0)


def test_pinv_of_a_rank_one_matrix(kata):
    # A = u v^T with |u| = |v| = 1 and s = 2: the pseudo-inverse is v u^T / 2
    u = np.array([0.6, 0.8])
    v = np.array([0.0, 1.0, 0.0])
    A = 2.0 * np.outer(u, v)
    np.testing.assert_allclose(kata.pinv(A), np.outer(v, u) / 2.0, atol=1e-12)
