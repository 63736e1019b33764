"""Mutant of conv/separable_cost: The seed's slip: separable params C_in*C_out + K^2."""

from __future__ import annotations

from torch import Tensor, nn

IntOrPair = int | tuple[int, int]


def _area(kernel_size: IntOrPair) -> int:
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    return kh * kw


def conv_params(
    c_in: int, c_out: int, kernel_size: IntOrPair, groups: int = 1, bias: bool = False
) -> int:
    # Each output channel sees only the c_in / groups channels of its own group.
    return c_out * (c_in // groups) * _area(kernel_size) + (c_out if bias else 0)


def conv_mult_adds(
    c_in: int, c_out: int, kernel_size: IntOrPair, out_size: tuple[int, int], groups: int = 1
) -> int:
    # Every weight is used once at every output position.
    return out_size[0] * out_size[1] * conv_params(c_in, c_out, kernel_size, groups)


def separable_params(c_in: int, c_out: int, kernel_size: IntOrPair, bias: bool = False) -> int:
    # depthwise: c_in kernels of kH x kW, one per channel; pointwise: a (c_out, c_in) matrix.
    # (Not c_in * c_out + K^2: each of the c_in channels has its own spatial kernel.)
    biases = c_in + c_out if bias else 0
    return c_in * c_out + _area(kernel_size) + biases


def separable_mult_adds(
    c_in: int, c_out: int, kernel_size: IntOrPair, out_size: tuple[int, int]
) -> int:
    # The 1x1 layer keeps the depthwise layer's output size.
    depthwise = conv_mult_adds(c_in, c_in, kernel_size, out_size, groups=c_in)
    return depthwise + conv_mult_adds(c_in, c_out, 1, out_size)


def separable_ratio(c_in: int, c_out: int, kernel_size: IntOrPair) -> tuple[float, float]:
    # Without biases every weight costs one multiply-add per output position, so both ratios
    # are (c_in K^2 + c_in c_out) / (c_in c_out K^2) = 1 / c_out + 1 / K^2.
    params = separable_params(c_in, c_out, kernel_size) / conv_params(c_in, c_out, kernel_size)
    mult_adds = separable_mult_adds(c_in, c_out, kernel_size, (1, 1)) / conv_mult_adds(
        c_in, c_out, kernel_size, (1, 1)
    )
    return params, mult_adds


class DepthwiseSeparableConv(nn.Module):
    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntOrPair,
        stride: IntOrPair = 1,
        padding: IntOrPair = 0,
        bias: bool = False,
    ) -> None:
        super().__init__()
        # groups=in_channels: one kH x kW filter per channel, no mixing across channels.
        self.depthwise = nn.Conv2d(
            in_channels,
            in_channels,
            kernel_size,
            stride=stride,
            padding=padding,
            groups=in_channels,
            bias=bias,
        )
        # The 1x1 conv does all the channel mixing; the stride was already applied.
        self.pointwise = nn.Conv2d(in_channels, out_channels, 1, bias=bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.pointwise(self.depthwise(x))
