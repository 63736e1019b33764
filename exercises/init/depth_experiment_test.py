"""Public examples for init/depth_experiment: a taste of the grading, small enough to read.

Run them with ``pytest exercises/init/depth_experiment_test.py``; the hidden grader runs many more
cases when you run ``pytest exercises/init``.
"""

import numpy as np


def test_make_weights_draws_out_by_in_matrices_in_order(kata):
    weights = kata.make_weights([3, 2, 4], 0.5, np.random.default_rng(0))
    expected_rng = np.random.default_rng(0)
    first = expected_rng.standard_normal((2, 3)) * 0.5
    second = expected_rng.standard_normal((4, 2)) * 0.5
    np.testing.assert_allclose(weights[0], first)
    np.testing.assert_allclose(weights[1], second)


def test_activation_stds_by_hand(kata):
    x = np.array([[1.0, -1.0]])
    # layer 1: relu([1, -1] @ I) = [1, 0], std 0.5; layer 2: relu([1, 0] @ (2 I)) = [2, 0], std 1
    stds = kata.activation_stds(x, [np.eye(2), 2 * np.eye(2)], "relu")
    np.testing.assert_allclose(stds, [0.5, 1.0])


def test_a_constant_init_stays_symmetric(kata):
    gen = np.random.default_rng(3)
    x, y = gen.normal(size=(8, 3)), gen.normal(size=(8, 2))
    w1, w2 = np.full((4, 3), 0.3), np.full((2, 4), 0.3)
    assert bool(kata.symmetric_after_training(x, y, w1, w2))
