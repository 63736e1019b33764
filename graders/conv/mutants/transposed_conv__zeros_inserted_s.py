"""Mutant of conv/transposed_conv: inserts S zeros between neighbouring pixels instead of S - 1."""

from __future__ import annotations

import numpy as np


def _pair(value: int | tuple[int, int]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def dilate_input(x: np.ndarray, stride: int | tuple[int, int]) -> np.ndarray:
    n, c, h, w = x.shape
    sh, sw = _pair(stride)
    spread = np.zeros((n, c, (h - 1) * (sh + 1) + 1, (w - 1) * (sw + 1) + 1), dtype=x.dtype)
    spread[:, :, :: sh + 1, :: sw + 1] = x
    return spread


def _correlate(x: np.ndarray, w: np.ndarray, dilation: tuple[int, int]) -> np.ndarray:
    """Stride-1 cross-correlation of x (N, C_in, H, W) with w (C_out, C_in, kH, kW)."""
    c_out, _, kh, kw = w.shape
    dh, dw = dilation
    oh, ow = x.shape[2] - dh * (kh - 1), x.shape[3] - dw * (kw - 1)
    out = np.zeros((x.shape[0], c_out, oh, ow), dtype=np.result_type(x, w))
    # One pass per kernel tap: that tap sees the input shifted by (i*dh, j*dw) at every pixel.
    for i in range(kh):
        for j in range(kw):
            window = x[:, :, i * dh : i * dh + oh, j * dw : j * dw + ow]
            out += np.einsum("oc,nchw->nohw", w[:, :, i, j], window)
    return out


def conv_transpose2d(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    output_padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
) -> np.ndarray:
    _, _, kh, kw = w.shape
    (ph, pw), (oph, opw), (dh, dw) = _pair(padding), _pair(output_padding), _pair(dilation)
    spread = dilate_input(x, stride)
    # Full padding D*(K-1) lets every tap reach every input pixel (each pixel paints a whole
    # patch); the layer's own padding P then trims P from both ends, output_padding adds at the end.
    before_h, before_w = dh * (kh - 1) - ph, dw * (kw - 1) - pw
    padded = np.pad(
        spread, ((0, 0), (0, 0), (before_h, before_h + oph), (before_w, before_w + opw))
    )
    # Scattering a patch with kernel tap k lands it at offset k; gathering with a correlation
    # reads offset K-1-k: hence the 180-degree flip. The layout (C_in, C_out) becomes (C_out, C_in).
    kernel = np.flip(w, axis=(2, 3)).transpose(1, 0, 2, 3)
    out = _correlate(padded, kernel, (dh, dw))
    if b is not None:
        out = out + b.reshape(1, -1, 1, 1)
    return out.astype(x.dtype, copy=False)


def overlap_counts(
    kernel_size: int | tuple[int, int], stride: int | tuple[int, int], n: int | tuple[int, int]
) -> np.ndarray:
    def per_axis(k: int, s: int, size: int) -> np.ndarray:
        counts = np.zeros((size - 1) * s + k, dtype=np.int64)
        for tap in range(k):  # tap `tap` of input pixel i writes to i * s + tap
            counts[tap : tap + (size - 1) * s + 1 : s] += 1
        return counts

    (kh, kw), (sh, sw), (nh, nw) = _pair(kernel_size), _pair(stride), _pair(n)
    # A 2-D patch is the product of its two axes, so the counts are an outer product.
    return np.outer(per_axis(kh, sh, nh), per_axis(kw, sw, nw))
