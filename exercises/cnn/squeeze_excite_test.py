"""Public examples for cnn/squeeze_excite: a taste of the grading, small enough to read."""

import torch


def test_se_block_keeps_the_shape_and_has_two_linear_layers(kata):
    se = kata.SEBlock(8, reduction=2)
    assert se(torch.randn(2, 8, 5, 5)).shape == (2, 8, 5, 5)
    assert sum(p.numel() for p in se.parameters()) == 8 * 4 + 4 + 4 * 8 + 8


def test_positive_input_is_scaled_down_channel_by_channel(kata):
    se = kata.SEBlock(4, reduction=2)
    x = torch.rand(1, 4, 3, 3) + 1.0
    ratio = se(x) / x
    # one gate per channel, the same at every position, strictly between 0 and 1
    assert torch.allclose(ratio, ratio[:, :, :1, :1].expand_as(ratio))
    assert bool((ratio > 0).all()) and bool((ratio < 1).all())


def test_residual_block_keeps_the_shape(kata):
    block = kata.SEResidualBlock(6, reduction=3)
    assert block(torch.randn(1, 6, 4, 7)).shape == (1, 6, 4, 7)
