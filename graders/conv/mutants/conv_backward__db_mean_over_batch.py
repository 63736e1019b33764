"""Mutant of conv/conv_backward: db averages over the batch instead of summing."""

from __future__ import annotations

from typing import Any

import numpy as np


def _pair(value: int | tuple[int, int]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def _out_size(size: int, kernel: int, stride: int, pad: int, dilation: int) -> int:
    return (size + 2 * pad - dilation * (kernel - 1) - 1) // stride + 1


def _tap_slices(i, j, oh, ow, stride, dilation):
    """The strided slice of the padded input that kernel tap (i, j) reads for every window."""
    (sh, sw), (dh, dw) = stride, dilation
    return (
        slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
        slice(j * dw, j * dw + sw * (ow - 1) + 1, sw),
    )


def im2col(
    x: np.ndarray,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
) -> np.ndarray:
    n, c, h, w = x.shape
    (kh, kw), stride, (ph, pw), dilation = (
        _pair(kernel_size),
        _pair(stride),
        _pair(padding),
        _pair(dilation),
    )
    oh, ow = (
        _out_size(h, kh, stride[0], ph, dilation[0]),
        _out_size(w, kw, stride[1], pw, dilation[1]),
    )
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    cols = np.empty((n, c, kh, kw, oh, ow), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            rows, columns = _tap_slices(i, j, oh, ow, stride, dilation)
            cols[:, :, i, j] = padded[:, :, rows, columns]
    return cols.reshape(n, c * kh * kw, oh * ow)


def col2im(
    cols: np.ndarray,
    x_shape: tuple[int, int, int, int],
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
) -> np.ndarray:
    n, c, h, w = x_shape
    (kh, kw), stride, (ph, pw), dilation = (
        _pair(kernel_size),
        _pair(stride),
        _pair(padding),
        _pair(dilation),
    )
    oh, ow = (
        _out_size(h, kh, stride[0], ph, dilation[0]),
        _out_size(w, kw, stride[1], pw, dilation[1]),
    )
    cols = cols.reshape(n, c, kh, kw, oh, ow)
    padded = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            rows, columns = _tap_slices(i, j, oh, ow, stride, dilation)
            # += and not =: windows overlap whenever the stride is below the kernel's span, and
            # a pixel's gradient is the sum over every window that copied it. (Within one tap
            # the strided slice hits each pixel at most once, so the in-place add is safe.)
            padded[:, :, rows, columns] += cols[:, :, i, j]
    # Explicit stop indices: a slice like [p:-p] would be empty when p == 0.
    return padded[:, :, ph : ph + h, pw : pw + w]


def conv2d_forward(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
) -> tuple[np.ndarray, Any]:
    n, _, h, width = x.shape
    c_out, _, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
    oh, ow = _out_size(h, kh, sh, ph, dh), _out_size(width, kw, sw, pw, dw)
    cols = im2col(x, (kh, kw), stride, padding, dilation)  # (N, C*kh*kw, L)
    out = w.reshape(c_out, -1) @ cols + b.reshape(1, c_out, 1)
    # The columns are kept: dw needs them, and rebuilding them would redo the forward's work.
    cache = (x.shape, w, cols, (kh, kw), stride, padding, dilation)
    return out.reshape(n, c_out, oh, ow).astype(x.dtype, copy=False), cache


def conv2d_backward(dout: np.ndarray, cache: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x_shape, w, cols, kernel, stride, padding, dilation = cache
    n, c_out = dout.shape[:2]
    grad = dout.reshape(n, c_out, -1)  # (N, C_out, L)
    db = grad.sum(axis=2).mean(axis=0)
    dw = np.einsum("nol,nkl->ok", grad, cols).reshape(w.shape)
    dcols = w.reshape(c_out, -1).T @ grad  # (N, C*kh*kw, L): one gradient per copied pixel
    dx = col2im(dcols, x_shape, kernel, stride, padding, dilation)
    return dx, dw, db
