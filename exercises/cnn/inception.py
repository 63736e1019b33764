"""Inception: four parallel branches concatenated on the channel axis, and factorised convs.

Source question: Q28: 分类网络的发展史 (s001-28) -- GoogLeNet / Inception v1-v3.

1. ``InceptionModule(in_channels, c1, c3_reduce, c3, c5_reduce, c5, pool_proj)`` (GoogLeNet),
   an ``nn.Module`` with exactly these submodules (all with bias)::

       branch1        = Conv2d(in_channels, c1, 1)
       branch3_reduce = Conv2d(in_channels, c3_reduce, 1)
       branch3        = Conv2d(c3_reduce, c3, 3, padding=1)
       branch5_reduce = Conv2d(in_channels, c5_reduce, 1)
       branch5        = Conv2d(c5_reduce, c5, 5, padding=2)
       pool_proj      = Conv2d(in_channels, pool_proj, 1)

   and four branches, each conv followed by a ReLU::

       b1 = relu(branch1(x))
       b3 = relu(branch3(relu(branch3_reduce(x))))
       b5 = relu(branch5(relu(branch5_reduce(x))))
       bp = relu(pool_proj(max_pool2d(x, 3, stride=1, padding=1)))

   ``forward(x)`` returns the four concatenated on the **channel axis** in the order
   ``b1, b3, b5, bp``: input ``(N, in_channels, H, W)``, output ``(N, c1 + c3 + c5 + pool_proj,
   H, W)`` (same ``H, W`` for any size, odd ones included).

2. Factorised convolutions (Inception v2/v3), each conv with bias and followed by a ReLU:

   * ``Factorised5x5(in_channels, out_channels)``: ``conv_a = Conv2d(in_channels, out_channels,
     3, padding=1)`` then ``conv_b = Conv2d(out_channels, out_channels, 3, padding=1)``; forward
     ``relu(conv_b(relu(conv_a(x))))``. Its receptive field is 5x5, like one 5x5 conv.
   * ``Asymmetric3x3(in_channels, out_channels)``: ``conv_a = Conv2d(in_channels, out_channels,
     (1, 3), padding=(0, 1))`` then ``conv_b = Conv2d(out_channels, out_channels, (3, 1),
     padding=(1, 0))``; forward ``relu(conv_b(relu(conv_a(x))))``. Receptive field 3x3.

   Both keep ``H`` and ``W``.

3. ``factorisation_params(channels)``: weights (no biases) for ``channels -> channels`` convs, a
   dict of Python ints with keys ``"conv5x5"`` (one 5x5 conv), ``"two_3x3"`` (two stacked 3x3),
   ``"conv3x3"`` (one 3x3) and ``"1x3_then_3x1"`` (a 1x3 then a 3x1).

Example::

    >>> m = InceptionModule(192, 64, 96, 128, 16, 32, 32)      # GoogLeNet's inception (3a)
    >>> tuple(m(torch.randn(1, 192, 28, 28)).shape)
    (1, 256, 28, 28)
    >>> factorisation_params(1)["two_3x3"]
    18
"""

from __future__ import annotations

import torch
from torch import nn


class InceptionModule(nn.Module):
    def __init__(
        self,
        in_channels: int,
        c1: int,
        c3_reduce: int,
        c3: int,
        c5_reduce: int,
        c5: int,
        pool_proj: int,
    ) -> None:
        super().__init__()
        raise NotImplementedError("InceptionModule.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("InceptionModule.forward")


class Factorised5x5(nn.Module):
    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        raise NotImplementedError("Factorised5x5.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("Factorised5x5.forward")


class Asymmetric3x3(nn.Module):
    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        raise NotImplementedError("Asymmetric3x3.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("Asymmetric3x3.forward")


def factorisation_params(channels: int) -> dict[str, int]:
    """Weights of a 5x5, two 3x3, a 3x3, and a 1x3 + 3x1 conv, channels -> channels, no bias."""
    raise NotImplementedError("factorisation_params")
