"""Public examples for bn/fold_into_conv: a taste of the grading, small enough to read.

Run them with ``pytest exercises/bn/fold_into_conv_test.py``; the hidden grader runs many
more cases when you run ``pytest exercises/bn``. katakit runs your code in a process of its own,
and a torch module cannot travel between processes: each ``@probe`` function below is sent to
your code's process, builds the modules there, calls your functions and returns plain data.
"""

import torch

from katakit.sandbox import probe


@probe
def conv_bn_relu_facts(kata):
    block = kata.conv_bn_relu(3, 8, 3)
    out = block(torch.randn(2, 3, 5, 5))
    return [type(m).__name__ for m in block], block[0].bias is None, tuple(out.shape)


@probe
def fold_by_hand(kata):
    from torch import nn

    conv = nn.Conv2d(1, 1, 1)
    bn = nn.BatchNorm2d(1, eps=0.0).eval()
    with torch.no_grad():
        conv.weight.fill_(2.0)
        conv.bias.fill_(1.0)
        bn.running_mean.fill_(3.0)
        bn.running_var.fill_(4.0)
        bn.weight.fill_(0.5)
        bn.bias.fill_(1.0)
    folded = kata.fold_bn_into_conv(conv, bn)
    return folded.weight.detach().flatten(), folded.bias.detach()


@probe
def fold_pre_activation_block(kata):
    from torch import nn

    try:
        kata.fold_sequential(nn.Sequential(nn.BatchNorm2d(3), nn.ReLU(), nn.Conv2d(3, 4, 3)))
    except ValueError:
        return "ValueError"
    return "no error"


def test_conv_bn_relu_has_the_three_layers_in_order_and_no_conv_bias(kata):
    kinds, no_conv_bias, out_shape = conv_bn_relu_facts(kata)
    assert kinds == ["Conv2d", "BatchNorm2d", "ReLU"]
    assert no_conv_bias
    assert out_shape == (2, 8, 5, 5)


def test_folding_a_one_by_one_conv_by_hand(kata):
    # bn(conv(x)) = 0.5 * (2 x + 1 - 3) / sqrt(4) + 1 = 0.5 x + 0.5
    weight, bias = fold_by_hand(kata)
    torch.testing.assert_close(weight, torch.tensor([0.5]))
    torch.testing.assert_close(bias, torch.tensor([0.5]))


def test_a_bn_before_the_conv_cannot_be_folded(kata):
    # The pre-activation order: the BN has no conv right before it.
    assert fold_pre_activation_block(kata) == "ValueError"
