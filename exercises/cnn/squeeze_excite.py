"""Squeeze-and-excitation: the SE block, and an SE-ResNet block with SE on the residual branch.

Source questions: Q32: 怎样将 SE 嵌入到 Residual block 中 (s001-32); Q28: 分类网络的发展史
(s001-28), the SENet part.

An SE block recalibrates the channels of a feature map: it *squeezes* each channel to one number
by global average pooling, *excites* those numbers through a small bottleneck MLP ending in a
sigmoid, and multiplies every channel by its own gate in (0, 1).

Implement two ``torch.nn.Module`` classes, with exactly these submodules (the grader reads their
weights by these names):

1. ``SEBlock(channels, reduction=4)``, with ``hidden = channels // reduction`` (raise
   ``ValueError`` when that is 0):

   * ``self.fc1 = nn.Linear(channels, hidden)``
   * ``self.fc2 = nn.Linear(hidden, channels)``

   ``forward(x)`` for ``x`` of shape ``(N, C, H, W)``::

       s = mean of x over H and W                      # (N, C), the squeeze
       g = sigmoid(fc2(relu(fc1(s))))                  # (N, C), one gate per sample and channel
       out[n, c, h, w] = x[n, c, h, w] * g[n, c]

2. ``SEResidualBlock(channels, reduction=4)``, a basic residual block with an identity shortcut
   (same channels in and out, stride 1; no normalisation layers in this kata):

   * ``self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)`` (with bias)
   * ``self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)`` (with bias)
   * ``self.se = SEBlock(channels, reduction)``

   ``forward(x) = relu(x + se(conv2(relu(conv1(x)))))``: the SE block rescales the residual
   branch **before** the addition; the identity path ``x`` reaches the sum unscaled, and the
   final ReLU acts on the sum. So when the branch outputs zeros (``conv2``'s weight and bias all
   zero), the block returns ``relu(x)`` exactly.

Both keep the shape of ``x``; inputs are float32 (the modules' default dtype).

Example::

    >>> se = SEBlock(8, reduction=2)                  # fc1: 8 -> 4, fc2: 4 -> 8
    >>> sum(p.numel() for p in se.parameters())       # 8*4 + 4 + 4*8 + 8
    76
    >>> block = SEResidualBlock(8, reduction=2)
    >>> block(torch.randn(2, 8, 5, 5)).shape
    torch.Size([2, 8, 5, 5])
"""

from __future__ import annotations

import torch
from torch import nn


class SEBlock(nn.Module):
    """Squeeze (global average pool), excite (FC-ReLU-FC-sigmoid), scale each channel."""

    def __init__(self, channels: int, reduction: int = 4) -> None:
        super().__init__()
        raise NotImplementedError("SEBlock.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("SEBlock.forward")


class SEResidualBlock(nn.Module):
    """relu(x + SE(conv2(relu(conv1(x))))): SE on the residual branch, before the addition."""

    def __init__(self, channels: int, reduction: int = 4) -> None:
        super().__init__()
        raise NotImplementedError("SEResidualBlock.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("SEResidualBlock.forward")
