"""Where batch norm sits, and folding it into the convolution before it.

Source question: Q15: BN 一般加在网络的哪些层，与激活函数的位置如何 (s001-15; also s000-14).

Batch norm usually sits right after a convolution (or linear layer), and the classic place
for the activation is after the BN: ``Conv -> BN -> ReLU``. Pre-activation networks (ResNet
v2) use the other order inside a block, ``BN -> ReLU -> Conv``. At inference time a BN that
directly follows a conv is just a per-channel affine map, so it can be *folded* into the conv's
weights and bias, and the BN layer disappears.

Implement, with ``torch.nn`` modules:

1. ``conv_bn_relu(in_ch, out_ch, k)``: an ``nn.Sequential`` of exactly three modules,
   ``nn.Conv2d(in_ch, out_ch, k, padding=k // 2, bias=False)``, ``nn.BatchNorm2d(out_ch)``,
   ``nn.ReLU()``, in that order. The conv has no bias: the BN right after it subtracts the
   per-channel mean, which would cancel any bias anyway (BN's ``beta`` plays that role).
2. ``bn_relu_conv(in_ch, out_ch, k)``: an ``nn.Sequential`` of ``nn.BatchNorm2d(in_ch)``,
   ``nn.ReLU()``, ``nn.Conv2d(in_ch, out_ch, k, padding=k // 2, bias=True)``. Here the conv
   keeps its bias, since nothing in the block normalises its output.
3. ``fold_bn_into_conv(conv, bn)``: a **new** ``nn.Conv2d`` whose output equals
   ``bn(conv(x))`` with ``bn`` in evaluation mode, i.e. normalised with
   ``bn.running_mean`` and ``bn.running_var`` (whatever mode ``bn`` is in right now).
   BN in evaluation mode computes, per output channel ``c``::

       bn(y)[:, c] = weight[c] * (y[:, c] - running_mean[c]) / sqrt(running_var[c] + eps) + bias[c]

   where ``weight``/``bias`` are ``bn.weight``/``bn.bias`` (taken as 1 and 0 when
   ``bn.affine`` is False) and ``eps`` is ``bn.eps``.

   * The folded conv always has a bias; ``conv`` may or may not have one.
   * Keep everything else of ``conv``: in/out channels, kernel size (possibly non-square),
     stride, padding, dilation, groups, padding mode, dtype and device.
   * Do not modify ``conv`` or ``bn`` (parameters, buffers, training mode).
   * Raise ``ValueError`` when ``bn.num_features`` differs from ``conv.out_channels``.
4. ``fold_sequential(block)``: a new ``nn.Sequential`` in which every ``nn.Conv2d`` that is
   *immediately* followed by an ``nn.BatchNorm2d`` in the same ``nn.Sequential`` is replaced by
   the folded conv, and that BN is dropped. Other modules are kept in order (copies or the
   same objects, as you like); children that are themselves ``nn.Sequential`` are folded the
   same way, recursively. A ``BatchNorm2d`` that does not directly follow a ``Conv2d`` (first in
   its ``Sequential``, or after a ReLU, a pool, another BN...) cannot be folded into a conv:
   raise ``ValueError`` naming it. ``block`` itself must be left unchanged.

Conventions:

* Inputs are ``(N, C, H, W)`` tensors, float32 or float64.
* ``torch.nn.utils.fuse_conv_bn_eval`` / ``fuse_conv_bn_weights`` (and
  ``torch.nn.utils.fusion``'s versions) are not allowed in this kata.

Example (one channel and a 1x1 kernel, so every step can be done by hand)::

    conv:        weight 2, bias 1                            conv(x) = 2 x + 1
    bn (eval):   running_mean 3, running_var 4, eps 0, weight 0.5, bias 1
    bn(conv(x)) = 0.5 * (2 x + 1 - 3) / sqrt(4) + 1 = 0.5 x + 0.5
    fold_bn_into_conv(conv, bn)  ->  a 1x1 conv with weight 0.5 and bias 0.5
"""

from __future__ import annotations

from torch import nn


def conv_bn_relu(in_ch: int, out_ch: int, k: int) -> nn.Sequential:
    """Conv2d (no bias) -> BatchNorm2d -> ReLU; spatial size kept for odd ``k``."""
    # TODO: build the block in the stated order.
    raise NotImplementedError("conv_bn_relu")


def bn_relu_conv(in_ch: int, out_ch: int, k: int) -> nn.Sequential:
    """BatchNorm2d -> ReLU -> Conv2d (with bias): the pre-activation order."""
    # TODO: build the block in the stated order.
    raise NotImplementedError("bn_relu_conv")


def fold_bn_into_conv(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    """A new conv computing ``bn(conv(x))`` with ``bn`` in evaluation mode."""
    # TODO: fold the per-channel affine map of evaluation-mode BN into the weights and bias.
    raise NotImplementedError("fold_bn_into_conv")


def fold_sequential(block: nn.Sequential) -> nn.Sequential:
    """``block`` with every Conv2d -> BatchNorm2d pair folded; ValueError for any other BN."""
    # TODO: walk the children, fold conv-BN pairs, recurse into nested Sequentials.
    raise NotImplementedError("fold_sequential")
