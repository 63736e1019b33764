"""Public examples for optim/second_order: a taste of the grading, small enough to read.

Run them with ``pytest exercises/optim/second_order_test.py``; the hidden grader runs many more
cases (random SPD systems, Rosenbrock, long L-BFGS histories) when you run
``pytest exercises/optim``.
"""

import numpy as np


def test_damped_newton_step_on_a_diagonal_hessian(kata):
    grad, hess = np.array([2.0, -3.0]), np.diag([2.0, 1.0])
    np.testing.assert_allclose(kata.newton_step(grad, hess), [-1.0, 3.0])
    np.testing.assert_allclose(kata.newton_step(grad, hess, 2.0), [-0.5, 1.0])


def test_cg_needs_one_iteration_per_distinct_eigenvalue(kata):
    A = np.diag([1.0, 1.0, 4.0])
    x, iterations = kata.conjugate_gradient(lambda v: A @ v, np.ones(3))
    np.testing.assert_allclose(x, [1.0, 1.0, 0.25])
    assert iterations == 2


def test_bfgs_update_satisfies_the_secant_condition(kata):
    s, y = np.array([1.0, 0.0]), np.array([2.0, 1.0])
    H = kata.bfgs_update(np.eye(2), s, y)
    np.testing.assert_allclose(H @ y, s)
    np.testing.assert_allclose(H, H.T)
