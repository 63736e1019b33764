"""Public examples for optim/first_order: a taste of the grading, small enough to read.

Run them with ``pytest exercises/optim/first_order_test.py``; the hidden grader compares your
steppers with torch.optim over 50 steps of many more cases when you run ``pytest exercises/optim``.
"""

import numpy as np


def test_sgd_momentum_accumulates_the_velocity(kata):
    opt = kata.SGD(lr=0.1, momentum=0.5)
    p = opt.step(np.array([1.0]), np.array([1.0]))  # v = 1
    np.testing.assert_allclose(p, [0.9])
    p = opt.step(p, np.array([1.0]))  # v = 0.5 * 1 + 1 = 1.5
    np.testing.assert_allclose(p, [0.75])


def test_first_adam_step_moves_every_element_by_about_lr(kata):
    # After bias correction m_hat = g and v_hat = g**2, so the first step is lr * g / |g|.
    opt = kata.Adam(lr=0.01)
    p = opt.step(np.array([1.0, 1.0, 1.0]), np.array([100.0, -0.5, 0.001]))
    np.testing.assert_allclose(p, [0.99, 1.01, 0.99], rtol=1e-6)


def test_adamw_shrinks_the_weights_even_without_a_gradient(kata):
    # A zero gradient gives Adam nothing to do; AdamW still multiplies by 1 - lr * weight_decay.
    opt = kata.AdamW(lr=0.1, weight_decay=0.5)
    p = opt.step(np.array([2.0, -4.0]), np.zeros(2))
    np.testing.assert_allclose(p, [2.0 * 0.95, -4.0 * 0.95])
