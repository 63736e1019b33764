"""Mutant of conv/pooling: unchanged_after_shift rolls axes (1, 2), not the spatial (2, 3)."""

from __future__ import annotations

import numpy as np

IntOrPair = int | tuple[int, int]


def _pair(value: IntOrPair) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def _geometry(shape, kernel_size, stride, padding):
    """Kernel, stride, padding as pairs, and the output size (floor, as torch's default)."""
    kh, kw = _pair(kernel_size)
    sh, sw = _pair(kernel_size if stride is None else stride)
    ph, pw = _pair(padding)
    out_h = (shape[2] + 2 * ph - kh) // sh + 1
    out_w = (shape[3] + 2 * pw - kw) // sw + 1
    return (kh, kw), (sh, sw), (ph, pw), (out_h, out_w)


def _offsets(kernel):
    # Row-major order: the scan order of a window, which decides ties in max-pool backward.
    return [(a, b) for a in range(kernel[0]) for b in range(kernel[1])]


def _window_cells(padded, kernel, stride, out):
    """(kH*kW, N, C, H_out, W_out): the cell at each window offset, for every window at once.

    One strided slice per offset is cheaper than a Python loop over output positions, and
    within one slice no two windows touch the same cell.
    """
    (sh, sw), (oh, ow) = stride, out
    return np.stack(
        [padded[:, :, a : a + sh * oh : sh, b : b + sw * ow : sw] for a, b in _offsets(kernel)]
    )


def _pad(x, padding, value):
    ph, pw = padding
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def max_pool2d(
    x: np.ndarray, kernel_size: IntOrPair, stride: IntOrPair | None = None, padding: IntOrPair = 0
) -> np.ndarray:
    kernel, stride, padding, out = _geometry(x.shape, kernel_size, stride, padding)
    padded = _pad(x, padding, -np.inf)  # a padded cell must never be the maximum
    return _window_cells(padded, kernel, stride, out).max(axis=0).astype(x.dtype, copy=False)


def max_pool2d_backward(
    dout: np.ndarray,
    x: np.ndarray,
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
) -> np.ndarray:
    kernel, stride, padding, out = _geometry(x.shape, kernel_size, stride, padding)
    padded = _pad(x, padding, -np.inf)
    # argmax returns the first maximum along the offsets, i.e. the first in scan order.
    winner = _window_cells(padded, kernel, stride, out).argmax(axis=0)
    dx = np.zeros(padded.shape, dtype=dout.dtype)
    (sh, sw), (oh, ow) = stride, out
    for k, (a, b) in enumerate(_offsets(kernel)):
        # += : with overlapping windows one cell can be the arg-max of several windows.
        dx[:, :, a : a + sh * oh : sh, b : b + sw * ow : sw] += np.where(winner == k, dout, 0)
    ph, pw = padding
    return dx[:, :, ph : ph + x.shape[2], pw : pw + x.shape[3]]


def avg_pool2d(
    x: np.ndarray, kernel_size: IntOrPair, stride: IntOrPair | None = None, padding: IntOrPair = 0
) -> np.ndarray:
    kernel, stride, padding, out = _geometry(x.shape, kernel_size, stride, padding)
    cells = _window_cells(_pad(x, padding, 0), kernel, stride, out)
    # Divide by the full window size: padded zeros count (count_include_pad=True).
    return (cells.sum(axis=0) / (kernel[0] * kernel[1])).astype(x.dtype, copy=False)


def avg_pool2d_backward(
    dout: np.ndarray,
    input_shape: tuple[int, int, int, int],
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
) -> np.ndarray:
    kernel, stride, padding, out = _geometry(input_shape, kernel_size, stride, padding)
    (ph, pw), (sh, sw), (oh, ow) = padding, stride, out
    n, c, h, w = input_shape
    dx = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=dout.dtype)
    share = dout / (kernel[0] * kernel[1])  # each cell contributed 1/(kH*kW) of the mean
    for a, b in _offsets(kernel):
        dx[:, :, a : a + sh * oh : sh, b : b + sw * ow : sw] += share
    # Gradient that lands on padding belongs to no input cell: crop it away.
    return dx[:, :, ph : ph + h, pw : pw + w]


def unchanged_after_shift(
    x: np.ndarray, kernel_size: IntOrPair, shift: tuple[int, int], mode: str = "max"
) -> int:
    pool = {"max": max_pool2d, "avg": avg_pool2d}[mode]
    before = pool(x, kernel_size)
    after = pool(np.roll(x, tuple(shift), axis=(1, 2)), kernel_size)
    return int(np.count_nonzero(before == after))
