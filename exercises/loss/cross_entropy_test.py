"""Public examples for loss/cross_entropy: a taste of the grading, small enough to read.

Run them with ``pytest exercises/loss/cross_entropy_test.py``; the hidden grader runs many more
cases when you run ``pytest exercises/loss``.
"""

import numpy as np


def test_cross_entropy_of_one_sample_is_minus_log_of_its_probability(kata):
    z = np.array([[2.0, 0.0, 0.0]])
    assert np.isclose(kata.cross_entropy(z, np.array([0])), -np.log(np.e**2 / (np.e**2 + 2)))


def test_log_softmax_is_finite_for_huge_logits(kata):
    np.testing.assert_allclose(kata.log_softmax(np.array([[1e4, -1e4]])), [[0.0, -2e4]])


def test_cross_entropy_is_entropy_plus_kl(kata):
    p = np.array([[0.7, 0.2, 0.1], [0.0, 0.5, 0.5]])
    z = np.array([[0.3, -1.0, 2.0], [1.0, 1.0, -3.0]])
    np.testing.assert_allclose(
        kata.soft_cross_entropy(p, z), kata.entropy(p) + kata.kl_divergence(p, z)
    )
