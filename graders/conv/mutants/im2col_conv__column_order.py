"""Mutant of conv/im2col_conv: im2col rows are (tap, channel), the weights (channel, tap)."""

from __future__ import annotations

import numpy as np


def _pair(value: int | tuple[int, int]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def _out_size(size: int, kernel: int, stride: int, pad: int, dilation: int) -> int:
    return (size + 2 * pad - dilation * (kernel - 1) - 1) // stride + 1


def im2col(
    x: np.ndarray,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
) -> np.ndarray:
    n, c, h, w = x.shape
    (kh, kw), (sh, sw) = _pair(kernel_size), _pair(stride)
    (ph, pw), (dh, dw) = _pair(padding), _pair(dilation)
    oh, ow = _out_size(h, kh, sh, ph, dh), _out_size(w, kw, sw, pw, dw)
    # Pad once, before any striding: padding belongs to the input, stride to the window starts.
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    cols = np.empty((n, kh, kw, c, oh, ow), dtype=x.dtype)
    # One strided slice per kernel tap (i, j) picks that tap for every window at once, so the
    # Python loop runs kh * kw times whatever the image size.
    for i in range(kh):
        top = i * dh
        for j in range(kw):
            left = j * dw
            cols[:, i, j] = padded[
                :, :, top : top + sh * (oh - 1) + 1 : sh, left : left + sw * (ow - 1) + 1 : sw
            ]
    return cols.reshape(n, c * kh * kw, oh * ow)


def conv2d_forward(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
    groups: int = 1,
) -> np.ndarray:
    n, c, h, width = x.shape
    c_out, c_per_group, kh, kw = w.shape
    if c % groups or c_out % groups or c // groups != c_per_group:
        raise ValueError(f"{c} input and {c_out} output channels do not split into {groups} groups")
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
    oh, ow = _out_size(h, kh, sh, ph, dh), _out_size(width, kw, sw, pw, dw)
    cols = im2col(x, (kh, kw), stride, padding, dilation)  # (N, C*kh*kw, L)
    # Group g sees only its own block of input channels: the rows of cols are grouped by channel
    # first, so splitting the row axis into (groups, rows per group) keeps each block together.
    cols = cols.reshape(n, groups, c_per_group * kh * kw, oh * ow)
    weights = w.reshape(groups, c_out // groups, c_per_group * kh * kw)
    # One batched GEMM: (G, Cout/G, K) @ (N, G, K, L) -> (N, G, Cout/G, L).
    out = np.matmul(weights, cols).reshape(n, c_out, oh, ow)
    if b is not None:
        out = out + b.reshape(1, c_out, 1, 1)
    return out.astype(x.dtype, copy=False)
