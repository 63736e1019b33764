"""DenseNet: dense layers, concatenation, growth rate, and a memory-efficient dense block.

Source questions: Q30: 为什么 densenet 要用 concat 代替相加 (s001-30);
Q29: 如何避免 densenet 中的显存过大问题 (s001-29); Q28: 分类网络的发展史 (s001-28).

In a dense block every layer reads the **concatenation** (on the channel axis) of the block's
input and of all earlier layers' outputs, and adds ``growth`` new channels to it. Implement:

1. ``dense_channels(in_channels, num_layers, growth)``: the number of channels a dense block
   outputs, as a Python int.

2. ``DenseLayer(in_channels, growth)``, an ``nn.Module`` with exactly the submodules
   ``norm = BatchNorm2d(in_channels)`` and
   ``conv = Conv2d(in_channels, growth, 3, padding=1, bias=False)``;
   ``forward(x) = conv(relu(norm(x)))`` (pre-activation: BN, ReLU, then conv), output
   ``(N, growth, H, W)``.

3. ``DenseBlock(in_channels, num_layers, growth, memory_efficient=False)`` with
   ``self.layers = nn.ModuleList`` of ``num_layers`` DenseLayers, layer ``i`` reading
   ``in_channels + i * growth`` channels. ``forward(x)`` feeds layer ``i`` the concatenation
   ``[x, y_0, ..., y_(i-1)]`` (in that order, on dim 1) and returns the concatenation of ``x``
   and every ``y_i``, in that order: ``x`` comes back unchanged in the first channels.

   ``memory_efficient=True`` computes the very same function (identical outputs and identical
   gradients for the input and every parameter) but does not keep the big intermediate tensors
   (each layer's concatenated input and its BN and ReLU outputs) for the backward pass: it
   recomputes them there, with ``torch.utils.checkpoint.checkpoint(..., use_reentrant=False)``
   around each layer's concatenate-BN-ReLU-conv. Promise checked by the grader: in training mode
   with gradients enabled, the memory-efficient forward saves **at most half** as many tensors
   for backward as the plain forward of the same block (counted with
   ``torch.autograd.graph.saved_tensors_hooks``).

Blocks are used as built (training mode: BN normalises with batch statistics). Inputs are
float32 ``(N, in_channels, H, W)``.

Example::

    >>> dense_channels(16, 4, 12)
    64
    >>> block = DenseBlock(16, 4, 12)
    >>> tuple(block(torch.randn(2, 16, 8, 8)).shape)
    (2, 64, 8, 8)
"""

from __future__ import annotations

import torch
from torch import nn


def dense_channels(in_channels: int, num_layers: int, growth: int) -> int:
    """Channels out of a dense block."""
    raise NotImplementedError("dense_channels")


class DenseLayer(nn.Module):
    def __init__(self, in_channels: int, growth: int) -> None:
        super().__init__()
        raise NotImplementedError("DenseLayer.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("DenseLayer.forward")


class DenseBlock(nn.Module):
    def __init__(
        self, in_channels: int, num_layers: int, growth: int, memory_efficient: bool = False
    ) -> None:
        super().__init__()
        raise NotImplementedError("DenseBlock.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("DenseBlock.forward")
