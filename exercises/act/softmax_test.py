"""Public examples for act/softmax: a taste of the grading, small enough to read.

Run them with ``pytest exercises/act/softmax_test.py``; the hidden grader compares with torch
and autograd on many shapes and axes, at logits of +-1e4.
"""

import numpy as np


def test_softmax_rows_sum_to_one(kata):
    p = np.asarray(kata.softmax(np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])))
    np.testing.assert_allclose(p.sum(axis=-1), [1.0, 1.0])
    np.testing.assert_allclose(p[1], [1 / 3, 1 / 3, 1 / 3])


def test_log_softmax_is_finite_where_softmax_underflows(kata):
    np.testing.assert_allclose(kata.log_softmax(np.array([0.0, -1e4])), [0.0, -1e4])


def test_jvp_of_a_uniform_pair(kata):
    s = np.array([0.5, 0.5])
    np.testing.assert_allclose(kata.softmax_jvp(s, np.array([1.0, 0.0])), [0.25, -0.25])
