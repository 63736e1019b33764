"""Public examples for bn/fold_into_conv: a taste of the grading, small enough to read.

Run them with ``pytest exercises/bn/fold_into_conv_test.py``; the hidden grader runs many
more cases when you run ``pytest exercises/bn``.
"""

import pytest
import torch
from torch import nn


def test_conv_bn_relu_has_the_three_layers_in_order_and_no_conv_bias(kata):
    block = kata.conv_bn_relu(3, 8, 3)
    assert [type(m) for m in block] == [nn.Conv2d, nn.BatchNorm2d, nn.ReLU]
    assert block[0].bias is None
    assert block(torch.randn(2, 3, 5, 5)).shape == (2, 8, 5, 5)


def test_folding_a_one_by_one_conv_by_hand(kata):
    conv = nn.Conv2d(1, 1, 1)
    bn = nn.BatchNorm2d(1, eps=0.0).eval()
    with torch.no_grad():
        conv.weight.fill_(2.0)
        conv.bias.fill_(1.0)
        bn.running_mean.fill_(3.0)
        bn.running_var.fill_(4.0)
        bn.weight.fill_(0.5)
        bn.bias.fill_(1.0)
    # bn(conv(x)) = 0.5 * (2 x + 1 - 3) / sqrt(4) + 1 = 0.5 x + 0.5
    folded = kata.fold_bn_into_conv(conv, bn)
    torch.testing.assert_close(folded.weight.detach().flatten(), torch.tensor([0.5]))
    torch.testing.assert_close(folded.bias.detach(), torch.tensor([0.5]))


def test_a_bn_before_the_conv_cannot_be_folded(kata):
    # The pre-activation order: the BN has no conv right before it.
    with pytest.raises(ValueError):
        kata.fold_sequential(nn.Sequential(nn.BatchNorm2d(3), nn.ReLU(), nn.Conv2d(3, 4, 3)))
