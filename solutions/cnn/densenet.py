"""DenseNet: dense layers (BN-ReLU-Conv), concatenation, growth rate, memory-efficient block."""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint


def dense_channels(in_channels: int, num_layers: int, growth: int) -> int:
    # Every layer appends `growth` new maps to everything that came before.
    return in_channels + num_layers * growth


class DenseLayer(nn.Module):
    def __init__(self, in_channels: int, growth: int) -> None:
        super().__init__()
        # Pre-activation order: the concatenated input is normalised as a whole, since its
        # channels come from layers with different scales.
        self.norm = nn.BatchNorm2d(in_channels)
        self.conv = nn.Conv2d(in_channels, growth, 3, padding=1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(torch.relu(self.norm(x)))


class DenseBlock(nn.Module):
    def __init__(
        self, in_channels: int, num_layers: int, growth: int, memory_efficient: bool = False
    ) -> None:
        super().__init__()
        self.memory_efficient = memory_efficient
        self.layers = nn.ModuleList(
            DenseLayer(in_channels + i * growth, growth) for i in range(num_layers)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = [x]
        for layer in self.layers:

            def run(*inputs: torch.Tensor, layer: nn.Module = layer) -> torch.Tensor:
                return layer(torch.cat(inputs, dim=1))

            if self.memory_efficient and torch.is_grad_enabled():
                # The concatenation, BN and ReLU outputs are as large as everything so far:
                # do not keep them for backward, recompute them there from the feature list.
                new = checkpoint(run, *features, use_reentrant=False)
            else:
                new = run(*features)
            features.append(new)
        return torch.cat(features, dim=1)
