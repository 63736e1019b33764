"""Public examples for cnn/mobilenet: a taste of the grading, small enough to read.

Run them with ``pytest exercises/cnn/mobilenet_test.py``; the hidden grader runs many more.
"""

import torch


def test_separable_parameters(kata):
    cost = kata.separable_cost(32, 64, 3, 10, 10)
    assert cost["standard_params"] == 3 * 3 * 32 * 64
    assert cost["separable_params"] == 3 * 3 * 32 + 32 * 64


def test_inverted_residual_keeps_the_shape_and_uses_the_skip(kata):
    block = kata.InvertedResidual(16, 16, stride=1, expand_ratio=6)
    assert block.use_residual
    assert tuple(block(torch.randn(2, 16, 8, 8)).shape) == (2, 16, 8, 8)


def test_stride_two_has_no_skip(kata):
    block = kata.InvertedResidual(16, 16, stride=2, expand_ratio=6)
    assert not block.use_residual
    assert tuple(block(torch.randn(1, 16, 7, 7)).shape) == (1, 16, 4, 4)
