"""Public examples for cnn/vgg_stacking: a taste of the grading, small enough to read.

Run them with ``pytest exercises/cnn/vgg_stacking_test.py``; the hidden grader runs many more.
"""

import torch


def test_two_3x3_see_5x5(kata):
    assert kata.stacked_receptive_field(2) == 5


def test_three_3x3_have_fewer_weights_than_one_7x7(kata):
    assert kata.conv_stack_params(3, 64, 3, bias=False) == 3 * 9 * 64 * 64
    assert kata.conv_stack_params(1, 64, 7, bias=False) == 49 * 64 * 64


def test_vgg_block_halves_the_size(kata):
    assert tuple(kata.VGGBlock(3, 8, 2)(torch.randn(1, 3, 10, 10)).shape) == (1, 8, 5, 5)
