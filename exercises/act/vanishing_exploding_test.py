"""Public examples for act/vanishing_exploding: a taste of the grading, small enough to read.

Run them with ``pytest exercises/act/vanishing_exploding_test.py``; the hidden grader compares
with autograd and with torch's clipping utilities.
"""

import math

import numpy as np


def test_clip_grad_norm_uses_one_norm_over_all_tensors(kata):
    clipped, total = kata.clip_grad_norm([np.array([3.0]), np.array([4.0])], max_norm=1.0)
    assert math.isclose(total, 5.0)
    np.testing.assert_allclose(np.concatenate(clipped), [3 / (5 + 1e-6), 4 / (5 + 1e-6)])


def test_clip_grad_value_clamps_both_sides(kata):
    (clipped,) = kata.clip_grad_value([np.array([-3.0, 0.5, 2.0])], 1.0)
    np.testing.assert_allclose(clipped, [-1.0, 0.5, 1.0])


def test_one_linear_relu_layer(kata):
    # loss = sum(relu(x @ W.T)) with everything positive: d loss / d W = ones.T @ x
    x = np.array([[1.0, 2.0]])
    w = np.array([[1.0, 1.0]])
    norms = np.asarray(kata.layer_grad_norms([w], x, "relu"))
    np.testing.assert_allclose(norms, [math.sqrt(5.0)])


def test_spectral_radius_of_a_rotation_is_one(kata):
    assert math.isclose(kata.spectral_radius(np.array([[0.0, -1.0], [1.0, 0.0]])), 1.0)
