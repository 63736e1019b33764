"""What a depthwise-separable convolution saves: parameters, multiply-adds, and the module.

Source question: Q31: 深度可分离卷积的时间空间复杂度 (s001-31).

A standard KxK convolution from ``C_in`` to ``C_out`` channels filters space and mixes channels
in one step: every output channel has its own ``C_in x kH x kW`` kernel. A depthwise-separable
convolution (MobileNet, Xception) splits the two jobs:

1. a **depthwise** KxK convolution with ``groups = C_in``: each input channel is filtered by its
   own single ``kH x kW`` kernel, giving ``C_in`` channels (this layer takes the stride and the
   padding);
2. a **pointwise** 1x1 convolution from ``C_in`` to ``C_out`` channels that mixes them.

Count the cost of both designs, per convolution layer in torch's conventions:

* A ``Conv2d(c_in, c_out, (kH, kW), groups=g)`` has ``c_out * (c_in / g) * kH * kW`` weights,
  plus ``c_out`` biases when it has a bias.
* Its multiply-adds for **one sample** (batch size 1) are one per weight per output position:
  ``H_out * W_out * c_out * (c_in / g) * kH * kW``. Biases are not counted as multiply-adds.
* ``kernel_size`` is an int (square) or a pair ``(kH, kW)``; ``out_size`` is the pair
  ``(H_out, W_out)`` of the layer's output (for the separable block: of the depthwise layer,
  which the 1x1 layer keeps). Every count is a Python ``int``.
* ``bias=True`` means *every* convolution has a bias (in the separable block: ``C_in`` biases in
  the depthwise layer and ``C_out`` in the pointwise one).

Implement:

1. ``conv_params(c_in, c_out, kernel_size, groups=1, bias=False)`` and
   ``conv_mult_adds(c_in, c_out, kernel_size, out_size, groups=1)`` for one ``Conv2d``.
2. ``separable_params(c_in, c_out, kernel_size, bias=False)`` and
   ``separable_mult_adds(c_in, c_out, kernel_size, out_size)`` for the depthwise + pointwise pair.
3. ``separable_ratio(c_in, c_out, kernel_size)``: ``(params_ratio, mult_adds_ratio)``, separable
   divided by standard (same ``c_in``, ``c_out``, kernel and output size, no bias), as floats.
4. ``DepthwiseSeparableConv(in_channels, out_channels, kernel_size, stride=1, padding=0,
   bias=False)``, an ``nn.Module`` with two ``nn.Conv2d`` attributes, ``self.depthwise`` (the
   grouped KxK conv, with the stride and padding) and ``self.pointwise`` (the 1x1 conv, stride 1,
   no padding), each with a bias iff ``bias``; ``forward(x)`` returns
   ``self.pointwise(self.depthwise(x))`` for ``x`` of shape ``(N, C_in, H, W)``.

Example, the question's own numbers (C_in = 3, C_out = 16, 3x3 kernel, an 8x8 output)::

    >>> conv_params(3, 16, 3), conv_mult_adds(3, 16, 3, (8, 8))
    (432, 27648)                              # 16 * 3 * 3 * 3, and that once per output pixel
    >>> separable_params(3, 16, 3), separable_mult_adds(3, 16, 3, (8, 8))
    (75, 4800)                                # 3 * 3 * 3 (depthwise) + 3 * 16 (pointwise)
    >>> separable_ratio(3, 16, 3)             # both are 1/16 + 1/9
    (0.1736111111111111, 0.1736111111111111)
"""

from __future__ import annotations

from torch import Tensor, nn

IntOrPair = int | tuple[int, int]


def conv_params(
    c_in: int, c_out: int, kernel_size: IntOrPair, groups: int = 1, bias: bool = False
) -> int:
    """Learnable parameters of ``nn.Conv2d(c_in, c_out, kernel_size, groups=groups, bias=bias)``."""
    # TODO
    raise NotImplementedError("conv_params")


def conv_mult_adds(
    c_in: int, c_out: int, kernel_size: IntOrPair, out_size: tuple[int, int], groups: int = 1
) -> int:
    """Multiply-adds of that conv for one sample whose output is ``out_size`` = (H_out, W_out)."""
    # TODO
    raise NotImplementedError("conv_mult_adds")


def separable_params(c_in: int, c_out: int, kernel_size: IntOrPair, bias: bool = False) -> int:
    """Parameters of a depthwise KxK conv (groups = c_in) followed by a 1x1 conv to c_out."""
    # TODO
    raise NotImplementedError("separable_params")


def separable_mult_adds(
    c_in: int, c_out: int, kernel_size: IntOrPair, out_size: tuple[int, int]
) -> int:
    """Multiply-adds of the depthwise + pointwise pair for one sample."""
    # TODO
    raise NotImplementedError("separable_mult_adds")


def separable_ratio(c_in: int, c_out: int, kernel_size: IntOrPair) -> tuple[float, float]:
    """``(params_ratio, mult_adds_ratio)``: separable over standard, without biases."""
    # TODO
    raise NotImplementedError("separable_ratio")


class DepthwiseSeparableConv(nn.Module):
    """Depthwise KxK conv (groups = in_channels) followed by a pointwise 1x1 conv."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntOrPair,
        stride: IntOrPair = 1,
        padding: IntOrPair = 0,
        bias: bool = False,
    ) -> None:
        super().__init__()
        # TODO: create self.depthwise and self.pointwise (both nn.Conv2d).
        raise NotImplementedError("DepthwiseSeparableConv.__init__")

    def forward(self, x: Tensor) -> Tensor:
        # TODO
        raise NotImplementedError("DepthwiseSeparableConv.forward")
