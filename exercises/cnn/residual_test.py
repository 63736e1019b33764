"""Public examples for cnn/residual: a taste of the grading, small enough to read.

Run them with ``pytest exercises/cnn/residual_test.py``; the hidden grader runs many more.
"""

import torch


def test_basic_block_with_stride_two_projects_and_halves_the_size(kata):
    block = kata.BasicBlock(16, 32, stride=2)
    assert tuple(block(torch.randn(2, 16, 9, 9)).shape) == (2, 32, 5, 5)


def test_bottleneck_expands_width_four_times(kata):
    block = kata.Bottleneck(64, 16)
    assert tuple(block(torch.randn(2, 64, 6, 6)).shape) == (2, 64, 6, 6)


def test_one_residual_layer_with_zero_weights_passes_the_gradient_through(kata):
    w = [torch.zeros(3, 3, dtype=torch.float64)]
    x = torch.ones(1, 3, dtype=torch.float64)
    g = kata.input_gradient(w, x, residual=True)
    assert torch.allclose(g, torch.ones(1, 3, dtype=torch.float64))
