"""MobileNet blocks: depthwise-separable convolution (v1) and the inverted residual (v2)."""

from __future__ import annotations

import torch
from torch import nn


def separable_cost(c_in: int, c_out: int, k: int, h_out: int, w_out: int) -> dict[str, int]:
    # Depthwise: one k x k filter per input channel. Pointwise: a 1x1 conv mixing channels.
    standard = k * k * c_in * c_out
    depthwise, pointwise = k * k * c_in, c_in * c_out
    positions = h_out * w_out
    return {
        "standard_params": standard,
        "separable_params": depthwise + pointwise,
        "standard_macs": standard * positions,
        "separable_macs": (depthwise + pointwise) * positions,
    }


class DepthwiseSeparable(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        # groups=in_channels: each channel is filtered on its own, no mixing across channels.
        self.depthwise = nn.Conv2d(
            in_channels, in_channels, 3, stride, 1, groups=in_channels, bias=False
        )
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.pointwise = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.bn1(self.depthwise(x)))
        return torch.relu(self.bn2(self.pointwise(x)))


class InvertedResidual(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, stride: int, expand_ratio: int) -> None:
        super().__init__()
        hidden = in_channels * expand_ratio
        # The skip needs identical input and output shapes.
        self.use_residual = stride == 1 and in_channels == out_channels
        if expand_ratio == 1:  # nothing to expand: the depthwise conv reads the input directly
            self.expand_conv, self.expand_bn = None, None
        else:
            self.expand_conv = nn.Conv2d(in_channels, hidden, 1, bias=False)
            self.expand_bn = nn.BatchNorm2d(hidden)
        self.dw_conv = nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False)
        self.dw_bn = nn.BatchNorm2d(hidden)
        self.project_conv = nn.Conv2d(hidden, out_channels, 1, bias=False)
        self.project_bn = nn.BatchNorm2d(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x
        if self.expand_conv is not None:
            h = nn.functional.relu6(self.expand_bn(self.expand_conv(h)))
        h = nn.functional.relu6(self.dw_bn(self.dw_conv(h)))
        # Linear bottleneck: no activation after the projection, since a ReLU on the narrow
        # output would destroy information that the low-dimensional features cannot spare.
        h = self.project_bn(self.project_conv(h))
        return x + h if self.use_residual else h
