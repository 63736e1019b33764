"""Public examples for conv/separable_cost: a taste of the grading, small enough to read.

Run them with ``pytest exercises/conv/separable_cost_test.py``; the hidden grader compares your
counts with torch modules' real parameter counts and with multiply-adds counted on a forward pass.
"""

import torch


def test_the_questions_example(kata):
    # C_in = 3, C_out = 16, 3x3 kernel, 8x8 output
    assert kata.conv_params(3, 16, 3) == 16 * 3 * 3 * 3
    assert kata.conv_mult_adds(3, 16, 3, (8, 8)) == 8 * 8 * 16 * 3 * 3 * 3
    assert kata.separable_params(3, 16, 3) == 3 * 3 * 3 + 3 * 16
    assert kata.separable_mult_adds(3, 16, 3, (8, 8)) == 8 * 8 * (3 * 3 * 3 + 3 * 16)


def test_a_grouped_conv_with_biases(kata):
    # groups=2: each of the 6 output channels sees 4 / 2 = 2 input channels
    assert kata.conv_params(4, 6, 3, groups=2, bias=True) == 6 * 2 * 3 * 3 + 6


def test_the_module_matches_its_parameter_count(kata):
    module = kata.DepthwiseSeparableConv(4, 8, 3, padding=1, bias=True)
    assert sum(p.numel() for p in module.parameters()) == kata.separable_params(4, 8, 3, bias=True)
    assert module(torch.zeros(2, 4, 5, 5)).shape == (2, 8, 5, 5)
