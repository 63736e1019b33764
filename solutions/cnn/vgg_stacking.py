"""VGG: stacked 3x3 convolutions versus one large kernel, and a VGG block."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def stacked_receptive_field(n: int, k: int = 3) -> int:
    # Each stride-1 k x k conv widens the window by k - 1 pixels; one pixel to start with.
    return 1 + n * (k - 1)


def conv_stack_params(n: int, channels: int, k: int, bias: bool = True) -> int:
    # One k x k filter per (input, output) channel pair, plus a bias per output channel.
    return n * (k * k * channels * channels + (channels if bias else 0))


class VGGBlock(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, num_convs: int) -> None:
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv2d(in_channels if i == 0 else out_channels, out_channels, 3, padding=1)
            for i in range(num_convs)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # A ReLU after every conv: without them the stack collapses to one linear 5x5/7x7 conv
        # and loses the extra non-linearity that is half the point of stacking.
        for conv in self.convs:
            x = F.relu(conv(x))
        return F.max_pool2d(x, 2, stride=2)
