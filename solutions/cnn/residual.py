"""Residual blocks (basic and bottleneck) and the input gradient of plain vs residual stacks."""

from __future__ import annotations

import torch
from torch import nn


def projection(in_channels: int, out_channels: int, stride: int) -> nn.Module | None:
    # The identity can only be added when the branch keeps the shape; otherwise a strided 1x1
    # conv (with its own BN, as torch's ResNet) maps x to the branch's shape.
    if stride == 1 and in_channels == out_channels:
        return None
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
        nn.BatchNorm2d(out_channels),
    )


class BasicBlock(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        # bias=False: the BN that follows has its own shift.
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.downsample = projection(in_channels, out_channels, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        # The ReLU comes after the addition: a ReLU on the branch alone would make the
        # residual non-negative and the block could only ever increase its input.
        return torch.relu(out + shortcut)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, in_channels: int, width: int, stride: int = 1) -> None:
        super().__init__()
        out_channels = width * self.expansion
        self.conv1 = nn.Conv2d(in_channels, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        # The stride sits on the 3x3 (torch's "ResNet v1.5"): a strided 1x1 would skip 3/4 of
        # the input positions without looking at them.
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.downsample = projection(in_channels, out_channels, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        out = torch.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return torch.relu(out + shortcut)


def input_gradient(weights: list[torch.Tensor], x: torch.Tensor, residual: bool) -> torch.Tensor:
    # Forward, keeping each layer's tanh output: tanh' = 1 - tanh^2 needs nothing else.
    h, activations = x, []
    for w in weights:
        a = torch.tanh(h @ w.T)
        activations.append(a)
        h = h + a if residual else a
    # Backward: d sum(h_L) / d h_L is all ones.
    g = torch.ones_like(h)
    for w, a in zip(reversed(weights), reversed(activations), strict=True):
        through_layer = (g * (1 - a * a)) @ w
        # The skip adds the identity to each layer's Jacobian, so g is carried through
        # unchanged in addition to the (possibly vanishing) path through the layer.
        g = g + through_layer if residual else through_layer
    return g
