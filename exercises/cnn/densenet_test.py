"""Public examples for cnn/densenet: a taste of the grading, small enough to read.

Run them with ``pytest exercises/cnn/densenet_test.py``; the hidden grader runs many more.
"""

import torch


def test_channel_formula(kata):
    assert kata.dense_channels(16, 4, 12) == 16 + 4 * 12


def test_block_output_starts_with_its_input(kata):
    block = kata.DenseBlock(3, 2, 5)
    x = torch.randn(2, 3, 6, 6)
    y = block(x)
    assert tuple(y.shape) == (2, 3 + 2 * 5, 6, 6)
    assert torch.equal(y[:, :3], x)


def test_memory_efficient_block_has_the_same_output_shape(kata):
    block = kata.DenseBlock(3, 2, 5, memory_efficient=True)
    x = torch.randn(2, 3, 6, 6, requires_grad=True)
    assert tuple(block(x).shape) == (2, 13, 6, 6)
