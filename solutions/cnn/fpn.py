"""Reference solution for cnn/fpn."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class FPN(nn.Module):
    def __init__(self, in_channels: list[int], out_channels: int) -> None:
        super().__init__()
        # 1x1 laterals bring every backbone level to the same width, so levels can be added.
        self.lateral = nn.ModuleList(nn.Conv2d(c, out_channels, 1) for c in in_channels)
        # 3x3 smoothing reduces the aliasing of the nearest-neighbour upsampling.
        self.smooth = nn.ModuleList(
            nn.Conv2d(out_channels, out_channels, 3, padding=1) for _ in in_channels
        )

    def forward(self, features: list[torch.Tensor]) -> list[torch.Tensor]:
        laterals = [conv(f) for conv, f in zip(self.lateral, features, strict=True)]
        merged = laterals[-1]
        outputs = [self.smooth[-1](merged)]
        # Top-down: the coarse, semantically strong map is upsampled to the next finer level's
        # size and added to that level's lateral; what travels down is the sum before smoothing.
        for i in range(len(laterals) - 2, -1, -1):
            top_down = F.interpolate(merged, size=laterals[i].shape[-2:], mode="nearest")
            merged = laterals[i] + top_down
            outputs.insert(0, self.smooth[i](merged))
        return outputs
