"""Public examples for ml/svm_multiclass: a taste of the grading, small enough to read.

Run them with ``pytest exercises/ml/svm_multiclass_test.py``; the hidden grader runs many more
cases (and counts every scorer evaluation) when you run ``pytest exercises/ml``.
"""

import numpy as np


def constant(value):
    return lambda rows: np.full(len(rows), float(value))


# 0 beats 1, 2 beats 0, 1 beats 2: a cycle
CYCLE = {(0, 1): constant(1), (0, 2): constant(-1), (1, 2): constant(1)}
X = np.zeros((2, 1))


def test_one_vs_one_breaks_a_three_way_tie_towards_the_smallest_label(kata):
    np.testing.assert_array_equal(kata.predict_one_vs_one(CYCLE, 3, X), [0, 0])


def test_dag_asks_first_against_last(kata):
    # (0, 2) says 2, so 0 leaves the list [0, 1, 2]; then (1, 2) says 1
    np.testing.assert_array_equal(kata.predict_dag(CYCLE, 3, X), [1, 1])


def test_pegasos_first_two_steps(kata):
    w = kata.pegasos(np.eye(2), np.array([1, -1]), lam=1.0, order=np.array([0, 1]))
    # t=1: eta=1 and (1 - eta*lam) = 0, so w = x_0 = [1, 0]; t=2: w = w/2 - x_1/2
    np.testing.assert_allclose(w, [0.5, -0.5])
