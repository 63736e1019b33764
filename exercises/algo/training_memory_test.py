"""Public examples for algo/training_memory: a taste of the grading, small enough to read.

Run them with ``pytest exercises/algo/training_memory_test.py``; the hidden grader compares your
counts with what torch's autograd really saves when you run ``pytest exercises/algo``.
"""

import numpy as np
import torch


def test_sigmoid_backward_needs_only_the_output(kata):
    y = np.array([0.5, 0.25, 0.9])  # sigmoid outputs
    grad = kata.sigmoid_backward(y, np.array([1.0, 2.0, 1.0]))
    np.testing.assert_allclose(grad, [0.25, 2 * 0.25 * 0.75, 0.9 * 0.1])


def test_a_single_linear_layer_saves_only_its_input(kata):
    # x (3, 4) float32 is read by dW = grad_out.T @ x; the output (3, 2) is read by nobody
    assert kata.saved_activation_bytes(3, [4, 2], "sigmoid", torch.float32) == 3 * 4 * 4


def test_inference_saves_nothing_and_adam_keeps_two_states(kata):
    assert kata.saved_activation_bytes(4, [5, 7, 3], "tanh", torch.float32, grad_enabled=False) == 0
    memory = kata.training_memory(4, [5, 7, 3], "sigmoid", torch.float32, "adam")
    assert memory["parameters"] == (5 * 7 + 7 + 7 * 3 + 3) * 4
    assert memory["optimizer_state"] == 2 * memory["parameters"]
