"""Public examples for cnn/inception: a taste of the grading, small enough to read.

Run them with ``pytest exercises/cnn/inception_test.py``; the hidden grader runs many more.
"""

import torch


def test_googlenet_3a_output_channels(kata):
    m = kata.InceptionModule(192, 64, 96, 128, 16, 32, 32)
    assert tuple(m(torch.randn(1, 192, 7, 7)).shape) == (1, 64 + 128 + 32 + 32, 7, 7)


def test_factorised_blocks_keep_the_spatial_size(kata):
    x = torch.randn(2, 3, 9, 6)
    assert tuple(kata.Factorised5x5(3, 4)(x).shape) == (2, 4, 9, 6)
    assert tuple(kata.Asymmetric3x3(3, 4)(x).shape) == (2, 4, 9, 6)


def test_two_3x3_are_cheaper_than_one_5x5(kata):
    p = kata.factorisation_params(10)
    assert p["conv5x5"] == 2500 and p["two_3x3"] == 1800
