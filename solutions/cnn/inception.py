"""Inception: four parallel branches concatenated on channels, and factorised convolutions."""

from __future__ import annotations

import torch
import torch.nn.functional as F
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
        self.branch1 = nn.Conv2d(in_channels, c1, 1)
        # 1x1 "reduce" convs shrink the channels before the expensive 3x3 and 5x5 convs.
        self.branch3_reduce = nn.Conv2d(in_channels, c3_reduce, 1)
        self.branch3 = nn.Conv2d(c3_reduce, c3, 3, padding=1)
        self.branch5_reduce = nn.Conv2d(in_channels, c5_reduce, 1)
        self.branch5 = nn.Conv2d(c5_reduce, c5, 5, padding=2)
        self.pool_proj = nn.Conv2d(in_channels, pool_proj, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b1 = F.relu(self.branch1(x))
        b3 = F.relu(self.branch3(F.relu(self.branch3_reduce(x))))
        b5 = F.relu(self.branch5(F.relu(self.branch5_reduce(x))))
        # stride 1 and padding 1 keep the pooled map the same size as the other branches
        bp = F.relu(self.pool_proj(F.max_pool2d(x, 3, stride=1, padding=1)))
        # Same H and W in every branch: they can only be stacked along the channel axis.
        return torch.cat([b1, b3, b5, bp], dim=1)


class Factorised5x5(nn.Module):
    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        # Two stacked 3x3 convs see a 5x5 window with 18 instead of 25 weights per channel pair.
        self.conv_a = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.conv_b = nn.Conv2d(out_channels, out_channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.conv_b(F.relu(self.conv_a(x))))


class Asymmetric3x3(nn.Module):
    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        # 1x3 then 3x1: a 3x3 window with 6 instead of 9 weights per channel pair.
        self.conv_a = nn.Conv2d(in_channels, out_channels, (1, 3), padding=(0, 1))
        self.conv_b = nn.Conv2d(out_channels, out_channels, (3, 1), padding=(1, 0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.conv_b(F.relu(self.conv_a(x))))


def factorisation_params(channels: int) -> dict[str, int]:
    c2 = channels * channels  # weights per kernel position, C in and C out, no bias
    return {
        "conv5x5": 25 * c2,
        "two_3x3": 2 * 9 * c2,
        "conv3x3": 9 * c2,
        "1x3_then_3x1": 3 * c2 + 3 * c2,
    }
