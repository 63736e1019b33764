"""VGG: why stack small 3x3 convolutions instead of using one large kernel.

Source question: Q28: 分类网络的发展史 (s001-28) -- VGG.

Two stacked 3x3 convolutions see a 5x5 window of the input, three see 7x7, like one 5x5 or 7x7
conv, but with fewer weights and more non-linearities. Implement:

1. ``stacked_receptive_field(n, k=3)``: the side of the square window of the input that one
   output pixel of ``n`` stacked ``k x k`` convolutions (stride 1, no dilation) depends on, as a
   Python int. ``n = 0`` (no conv) gives 1.

2. ``conv_stack_params(n, channels, k, bias=True)``: the number of parameters of ``n`` stacked
   ``k x k`` convs, each ``channels -> channels`` (with a bias per output channel when ``bias``),
   as a Python int. E.g. compare ``conv_stack_params(3, C, 3)`` with ``conv_stack_params(1, C, 7)``.

3. ``VGGBlock(in_channels, out_channels, num_convs)``, an ``nn.Module`` with
   ``self.convs = nn.ModuleList`` of ``num_convs`` convolutions ``Conv2d(c, out_channels, 3,
   padding=1)`` (with bias; ``c = in_channels`` for the first, ``out_channels`` after), each
   followed by a ReLU, then a 2x2 max pooling with stride 2. Input ``(N, in_channels, H, W)``,
   output ``(N, out_channels, H // 2, W // 2)`` (odd sizes are floored, as max_pool2d does).

Example::

    >>> stacked_receptive_field(3), conv_stack_params(3, 64, 3), conv_stack_params(1, 64, 7)
    (7, 110784, 200768)
    >>> tuple(VGGBlock(3, 64, 2)(torch.randn(1, 3, 32, 32)).shape)
    (1, 64, 16, 16)
"""

from __future__ import annotations

import torch
from torch import nn


def stacked_receptive_field(n: int, k: int = 3) -> int:
    """Receptive field of n stacked k x k stride-1 convolutions."""
    raise NotImplementedError("stacked_receptive_field")


def conv_stack_params(n: int, channels: int, k: int, bias: bool = True) -> int:
    """Parameters of n stacked k x k convs, channels -> channels."""
    raise NotImplementedError("conv_stack_params")


class VGGBlock(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, num_convs: int) -> None:
        super().__init__()
        raise NotImplementedError("VGGBlock.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("VGGBlock.forward")
