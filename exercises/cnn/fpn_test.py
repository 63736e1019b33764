"""Public examples for cnn/fpn: a taste of the grading, small enough to read."""

import torch


def test_every_level_gets_out_channels_and_keeps_its_size(kata):
    fpn = kata.FPN([8, 16, 32], 12)
    feats = [torch.randn(2, 8, 16, 12), torch.randn(2, 16, 8, 6), torch.randn(2, 32, 4, 3)]
    assert [tuple(p.shape) for p in fpn(feats)] == [(2, 12, 16, 12), (2, 12, 8, 6), (2, 12, 4, 3)]


def test_odd_sizes_are_upsampled_to_the_lateral_size(kata):
    fpn = kata.FPN([4, 4], 6)
    feats = [torch.randn(1, 4, 13, 9), torch.randn(1, 4, 7, 5)]
    assert [tuple(p.shape) for p in fpn(feats)] == [(1, 6, 13, 9), (1, 6, 7, 5)]


def test_the_coarsest_level_is_its_lateral_smoothed(kata):
    fpn = kata.FPN([3, 5], 4)
    feats = [torch.randn(1, 3, 6, 6), torch.randn(1, 5, 3, 3)]
    with torch.no_grad():
        expected = fpn.smooth[1](fpn.lateral[1](feats[1]))
        torch.testing.assert_close(fpn(feats)[1], expected)
