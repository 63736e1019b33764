"""Public examples for reg/l1_l2: a taste of the grading, small enough to read.

Run them with ``pytest exercises/reg/l1_l2_test.py``; the hidden grader runs many more cases.
"""

import numpy as np


def test_soft_threshold_gives_exact_zeros_inside_the_threshold(kata):
    out = kata.soft_threshold(np.array([3.0, -0.5, 0.5, -2.0]), 1.0)
    np.testing.assert_array_equal(out, [2.0, 0.0, 0.0, -1.0])


def test_l1_subgradient_is_zero_at_zero(kata):
    out = kata.l1_subgradient(np.array([-2.0, 0.0, 3.0]), 0.1)
    np.testing.assert_allclose(out, [-0.1, 0.0, 0.1])


def test_weight_decay_shrinks_the_weights_by_one_minus_lr_lam(kata):
    out = kata.decay_step(np.array([1.0, -2.0]), np.array([0.0, 0.0]), lr=0.1, lam=0.5)
    np.testing.assert_allclose(out, [0.95, -1.9])
