"""Mutant of conv/pooling: Backward writes each window's gradient with = instead of +=."""

from __future__ import annotations

import numpy as np


def _pair(value):
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def _setup(shape, kernel_size, stride, padding):
    kh, kw = _pair(kernel_size)
    sh, sw = _pair(kernel_size if stride is None else stride)
    ph, pw = _pair(padding)
    out_h = (shape[2] + 2 * ph - kh) // sh + 1
    out_w = (shape[3] + 2 * pw - kw) // sw + 1
    return kh, kw, sh, sw, ph, pw, out_h, out_w


def _windows(shape, kernel_size, stride, padding):
    kh, kw, sh, sw, _, _, out_h, out_w = _setup(shape, kernel_size, stride, padding)
    for i in range(out_h):
        for j in range(out_w):
            yield i, j, slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw)


def _pad(x, ph, pw, value):
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def max_pool2d(x, kernel_size, stride=None, padding=0):
    _, _, _, _, ph, pw, out_h, out_w = _setup(x.shape, kernel_size, stride, padding)
    padded = _pad(x, ph, pw, -np.inf)
    out = np.empty((x.shape[0], x.shape[1], out_h, out_w), dtype=x.dtype)
    for i, j, rows, cols in _windows(x.shape, kernel_size, stride, padding):
        out[:, :, i, j] = padded[:, :, rows, cols].max(axis=(2, 3))
    return out


def max_pool2d_backward(dout, x, kernel_size, stride=None, padding=0):
    kh, kw, _, _, ph, pw, _, _ = _setup(x.shape, kernel_size, stride, padding)
    padded = _pad(x, ph, pw, -np.inf)
    dx = np.zeros(padded.shape, dtype=dout.dtype)
    for i, j, rows, cols in _windows(x.shape, kernel_size, stride, padding):
        window = padded[:, :, rows, cols].reshape(x.shape[0], x.shape[1], -1)
        mask = np.zeros(window.shape, dtype=dout.dtype)
        np.put_along_axis(mask, window.argmax(axis=-1)[..., None], 1, axis=-1)
        dx[:, :, rows, cols] = mask.reshape(-1, x.shape[1], kh, kw) * dout[:, :, i, j, None, None]
    return dx[:, :, ph : ph + x.shape[2], pw : pw + x.shape[3]]


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    _, _, _, _, ph, pw, out_h, out_w = _setup(x.shape, kernel_size, stride, padding)
    padded = _pad(x, ph, pw, 0)
    out = np.empty((x.shape[0], x.shape[1], out_h, out_w), dtype=x.dtype)
    for i, j, rows, cols in _windows(x.shape, kernel_size, stride, padding):
        out[:, :, i, j] = padded[:, :, rows, cols].mean(axis=(2, 3))
    return out


def avg_pool2d_backward(dout, input_shape, kernel_size, stride=None, padding=0):
    kh, kw, _, _, ph, pw, _, _ = _setup(input_shape, kernel_size, stride, padding)
    n, c, h, w = input_shape
    dx = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=dout.dtype)
    for i, j, rows, cols in _windows(input_shape, kernel_size, stride, padding):
        dx[:, :, rows, cols] = dout[:, :, i, j, None, None] / (kh * kw)
    return dx[:, :, ph : ph + h, pw : pw + w]


def unchanged_after_shift(x, kernel_size, shift, mode="max"):
    pool = {"max": max_pool2d, "avg": avg_pool2d}[mode]
    before = pool(x, kernel_size)
    after = pool(np.roll(x, tuple(shift), axis=(2, 3)), kernel_size)
    return int(np.count_nonzero(before == after))
