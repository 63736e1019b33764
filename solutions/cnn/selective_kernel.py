"""Reference solution for cnn/selective_kernel."""

from __future__ import annotations

import torch
from torch import nn


class SKConv(nn.Module):
    def __init__(
        self, channels: int, branches: int = 2, reduction: int = 2, min_hidden: int = 4
    ) -> None:
        super().__init__()
        # Branch m is a 3x3 conv with dilation m + 1: receptive fields 3, 5, 7, ... at the cost
        # of a 3x3 kernel; padding = dilation keeps H and W.
        self.branches = nn.ModuleList(
            nn.Conv2d(channels, channels, 3, padding=m + 1, dilation=m + 1) for m in range(branches)
        )
        hidden = max(channels // reduction, min_hidden)
        self.fc = nn.Linear(channels, hidden)
        self.select = nn.ModuleList(nn.Linear(hidden, channels) for _ in range(branches))

    def forward(
        self, x: torch.Tensor, return_attention: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        # Split: every branch sees the whole input.
        maps = torch.stack([torch.relu(conv(x)) for conv in self.branches], dim=1)  # N,M,C,H,W
        # Fuse: add the branches, then one number per channel by global average pooling.
        s = maps.sum(dim=1).mean(dim=(2, 3))
        z = torch.relu(self.fc(s))
        # Select: one logit per branch and channel; the softmax runs over the branches, so for
        # each channel the branch weights are a convex combination (they sum to 1).
        logits = torch.stack([fc(z) for fc in self.select], dim=1)  # N, M, C
        attention = torch.softmax(logits, dim=1)
        out = (attention[..., None, None] * maps).sum(dim=1)
        return (out, attention) if return_attention else out
