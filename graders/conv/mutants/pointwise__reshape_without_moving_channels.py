"""Mutant of conv/pointwise: Flattens x to (N*H*W, C_in) without moving the channel axis last."""

from __future__ import annotations

import numpy as np


def pointwise_conv(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
    # torch stores the kernel as (C_out, C_in, 1, 1): drop the two unit axes, keep (out, in).
    matrix = weight.reshape(weight.shape[0], weight.shape[1])
    # Contract the input-channel axis of the matrix with the channel axis of every pixel.
    n, c_in, h, w = x.shape
    out = (x.reshape(-1, c_in) @ matrix.T).reshape(n, -1, h, w)
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1)
    return out.astype(x.dtype, copy=False)


def pointwise_params(c_in: int, c_out: int, bias: bool = True) -> int:
    # Exactly a Linear(c_in, c_out) shared by every pixel.
    return c_in * c_out + (c_out if bias else 0)


def _conv_params(c_in: int, c_out: int, kh: int, kw: int, bias: bool) -> int:
    return c_out * c_in * kh * kw + (c_out if bias else 0)


def bottleneck_params(
    c_in: int, c_mid: int, c_out: int, kernel_size: int | tuple[int, int], bias: bool = True
) -> tuple[int, int]:
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    direct = _conv_params(c_in, c_out, kh, kw, bias)
    # The 1x1 reduction is cheap; the expensive KxK kernel then sees only c_mid channels.
    reduced = pointwise_params(c_in, c_mid, bias) + _conv_params(c_mid, c_out, kh, kw, bias)
    return direct, reduced
