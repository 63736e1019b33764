"""Public examples for loss/objective: a taste of the grading, small enough to read.

Run them with ``pytest exercises/loss/objective_test.py``; the hidden grader runs many more cases
when you run ``pytest exercises/loss``.
"""

import numpy as np


def test_loss_cost_and_objective_of_a_tiny_batch(kata):
    X, y = np.array([[1.0], [2.0]]), np.array([1.0, 1.0])
    w, b = np.array([1.0]), 0.0
    np.testing.assert_allclose(kata.per_sample_loss(w, b, X, y), [0.0, 1.0])
    assert np.isclose(kata.cost(w, b, X, y), 0.5)
    assert np.isclose(kata.cost(w, b, X, y, reduction="sum"), 1.0)
    assert np.isclose(kata.objective(w, b, X, y, lam=0.1), 0.6)


def test_regulariser_does_not_depend_on_the_batch(kata):
    w = np.array([3.0, -4.0])
    assert np.isclose(kata.regulariser(w, 0.5, "l2"), 12.5)
    assert np.isclose(kata.regulariser(w, 0.5, "l1"), 3.5)
