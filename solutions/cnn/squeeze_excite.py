"""Reference solution for cnn/squeeze_excite."""

from __future__ import annotations

import torch
from torch import nn


class SEBlock(nn.Module):
    def __init__(self, channels: int, reduction: int = 4) -> None:
        super().__init__()
        hidden = channels // reduction
        if hidden < 1:
            raise ValueError(f"reduction {reduction} leaves no hidden unit for {channels} channels")
        self.fc1 = nn.Linear(channels, hidden)
        self.fc2 = nn.Linear(hidden, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Squeeze: one number per channel, the average over every position.
        s = x.mean(dim=(2, 3))
        # Excite: a bottleneck MLP and a sigmoid give each channel its own gate in (0, 1);
        # a softmax would make the channels compete, which SE does not intend.
        gate = torch.sigmoid(self.fc2(torch.relu(self.fc1(s))))
        return x * gate[:, :, None, None]


class SEResidualBlock(nn.Module):
    def __init__(self, channels: int, reduction: int = 4) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        self.se = SEBlock(channels, reduction)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch = self.conv2(torch.relu(self.conv1(x)))
        # Recalibrate the residual branch only, before the addition: the identity path stays
        # unscaled, so the gradient through the skip connection is never shrunk by a gate.
        return torch.relu(x + self.se(branch))
