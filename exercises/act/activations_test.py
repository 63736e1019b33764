"""Public examples for act/activations: a taste of the grading, small enough to read.

Run them with ``pytest exercises/act/activations_test.py``; the hidden grader compares every
function with torch and autograd, at ordinary and at extreme inputs.
"""

import numpy as np


def test_sigmoid_is_exact_at_extreme_inputs(kata):
    s = np.asarray(kata.sigmoid(np.array([-1000.0, 0.0, 1000.0])))
    np.testing.assert_array_equal(s, [0.0, 0.5, 1.0])


def test_sigmoid_grad_takes_the_saved_output(kata):
    s = np.asarray(kata.sigmoid(np.array([0.0, 2.0])))
    np.testing.assert_allclose(kata.sigmoid_grad(s), s * (1 - s))
    np.testing.assert_allclose(kata.sigmoid_grad(np.array([0.5])), [0.25])


def test_relu_grad_is_zero_at_zero(kata):
    np.testing.assert_array_equal(kata.relu_grad(np.array([-1.0, 0.0, 2.0])), [0.0, 0.0, 1.0])
