"""MobileNet: depthwise-separable convolution and the inverted residual with a linear bottleneck.

Source questions: Q31: 深度可分离卷积的时间空间复杂度 (s001-31); Q28: 分类网络的发展史 (s001-28).

1. ``separable_cost(c_in, c_out, k, h_out, w_out)`` returns a dict of Python ints comparing a
   standard ``k x k`` convolution (``c_in -> c_out``, no bias) with its depthwise-separable
   version (a ``k x k`` depthwise conv, one filter per input channel, then a 1x1 pointwise conv
   ``c_in -> c_out``; no biases), for an output of ``h_out x w_out`` positions::

       {"standard_params": ..., "separable_params": ...,
        "standard_macs": ..., "separable_macs": ...}

   ``macs`` counts multiply-accumulates: one per weight per output position.

2. ``DepthwiseSeparable(in_channels, out_channels, stride=1)`` (MobileNet v1), an ``nn.Module``
   with exactly these submodules, applied in this order::

       depthwise = Conv2d(in_channels, in_channels, 3, stride=stride, padding=1,
                          groups=in_channels, bias=False);   bn1 = BatchNorm2d(in_channels); ReLU
       pointwise = Conv2d(in_channels, out_channels, 1, bias=False)
                                                          ;   bn2 = BatchNorm2d(out_channels); ReLU

3. ``InvertedResidual(in_channels, out_channels, stride, expand_ratio)`` (MobileNet v2), with
   ``hidden = in_channels * expand_ratio`` and exactly these submodules::

       expand_conv  = Conv2d(in_channels, hidden, 1, bias=False)
       expand_bn    = BatchNorm2d(hidden)
                      (both None when expand_ratio == 1: no expansion)
       dw_conv      = Conv2d(hidden, hidden, 3, stride=stride, padding=1, groups=hidden,
                             bias=False)
       dw_bn        = BatchNorm2d(hidden)
       project_conv = Conv2d(hidden, out_channels, 1, bias=False)
       project_bn   = BatchNorm2d(out_channels)

   forward: expand (conv, BN, ReLU6), depthwise (conv, BN, ReLU6), then the projection (conv,
   BN) which is LINEAR: no activation after it. The attribute ``use_residual`` (a bool) is True
   exactly when ``stride == 1`` and ``in_channels == out_channels``; then the block returns
   ``x + projection``, otherwise the projection alone.

Blocks are used as built (training mode). ``nn.Conv2d``, ``nn.BatchNorm2d``, ``torch.relu``,
``nn.functional.relu6`` and friends are all fine to use.

Example::

    >>> separable_cost(32, 64, 3, 10, 10)["separable_params"]      # 3*3*32 + 32*64
    2336
    >>> block = InvertedResidual(16, 16, stride=1, expand_ratio=6)
    >>> block.use_residual, tuple(block(torch.randn(2, 16, 8, 8)).shape)
    (True, (2, 16, 8, 8))
"""

from __future__ import annotations

import torch
from torch import nn


def separable_cost(c_in: int, c_out: int, k: int, h_out: int, w_out: int) -> dict[str, int]:
    """Parameters and multiply-accumulates of a standard vs a depthwise-separable conv."""
    raise NotImplementedError("separable_cost")


class DepthwiseSeparable(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        raise NotImplementedError("DepthwiseSeparable.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("DepthwiseSeparable.forward")


class InvertedResidual(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, stride: int, expand_ratio: int) -> None:
        super().__init__()
        raise NotImplementedError("InvertedResidual.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("InvertedResidual.forward")
