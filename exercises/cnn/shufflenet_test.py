"""Public examples for cnn/shufflenet: a taste of the grading, small enough to read."""

import torch


def test_shuffle_interleaves_the_groups(kata):
    x = torch.arange(6.0).reshape(1, 6, 1, 1)
    assert kata.channel_shuffle(x, 2).flatten().tolist() == [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]


def test_unshuffle_undoes_the_shuffle(kata):
    x = torch.randn(2, 12, 3, 3)
    back = kata.channel_unshuffle(kata.channel_shuffle(x, 3), 3)
    torch.testing.assert_close(back, x)


def test_grouped_conv_with_one_group_is_a_matrix_product(kata):
    x = torch.randn(1, 4, 2, 2, dtype=torch.float64)
    weight = torch.randn(3, 4, dtype=torch.float64)
    expected = torch.einsum("oi,nihw->nohw", weight, x)
    torch.testing.assert_close(kata.grouped_pointwise_conv(x, weight, None, 1), expected)
