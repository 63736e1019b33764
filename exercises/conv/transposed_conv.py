"""Transposed convolution ("deconvolution") by zero insertion, and its checkerboard.

Source question: Q38: 反卷积的实现及其问题 (s001-38).

A transposed convolution maps each input pixel to a ``K x K`` patch of the output, scaled by
the kernel, with patches ``S`` pixels apart; where patches overlap they add up. The same result
comes from an ordinary stride-1 convolution: spread the input out by inserting zeros, pad it,
and slide the kernel rotated by 180 degrees over it. Implement that construction with NumPy.

``dilate_input(x, stride)``
    ``x`` is ``(N, C, H, W)``, ``stride`` an int or an ``(sH, sW)`` pair. Insert ``sH - 1``
    rows of zeros between neighbouring rows and ``sW - 1`` columns between neighbouring
    columns (none before the first or after the last): the result has shape
    ``(N, C, (H - 1) * sH + 1, (W - 1) * sW + 1)``.

``conv_transpose2d(x, w, b=None, stride=1, padding=0, output_padding=0, dilation=1)``
    PyTorch's ``conv_transpose2d``. ``w`` has PyTorch's transposed layout
    ``(C_in, C_out, kH, kW)`` (input channels FIRST), ``b`` is ``(C_out,)`` or ``None``;
    ``stride``, ``padding``, ``output_padding`` and ``dilation`` are ints or ``(h, w)``
    pairs. Along each axis (kernel ``K``, stride ``S``, padding ``P``, dilation ``D``):

    1. ``dilate_input`` with the stride;
    2. pad with ``D * (K - 1) - P`` zeros before and ``D * (K - 1) - P + output_padding``
       after (``output_padding`` only adds at the end);
    3. correlate, stride 1 and dilation ``D``, with the kernel flipped along both spatial axes
       and its two channel axes swapped to ``(C_out, C_in, kH, kW)``; add the bias.

    The output length is ``(H - 1) * S - 2P + D * (K - 1) + 1 + output_padding``. You may
    assume ``0 <= P <= D * (K - 1)`` and ``0 <= output_padding < max(S, D)``. No groups.

``overlap_counts(kernel_size, stride, n)``
    How many (input pixel, kernel tap) pairs write to each output pixel of a transposed conv
    of an ``n x n`` input (no padding): an int array of shape ``(L_h, L_w)`` with
    ``L = (n - 1) * S + K`` per axis. ``kernel_size``, ``stride`` and ``n`` are ints or
    ``(h, w)`` pairs. Away from the borders this map is uniform exactly when ``K % S == 0``;
    otherwise it alternates, the checkerboard that transposed-conv upsampling paints on images.

Do not modify the inputs; return arrays of the dtype of ``x`` (``overlap_counts``: integers).
PyTorch's convolutions (``conv2d``, ``conv_transpose2d`` and their modules), ``fold``/``unfold``
and autograd are not allowed in this kata: write the stride-1 correlation yourself (a loop over
the kernel taps, each adding a shifted slice times a ``(C_out, C_in)`` matrix, is enough).

Example (one channel, stride 2, a 1x2 kernel)::

    >>> x = np.array([[[[1.0, 2.0]]]])
    >>> dilate_input(x, 2)
    array([[[[1., 0., 2.]]]])
    >>> conv_transpose2d(x, np.array([[[[10.0, 1.0]]]]), stride=2)
    array([[[[10.,  1., 20.,  2.]]]])
    >>> overlap_counts(3, 2, 3)[0]                  # K=3, S=2: every other pixel is hit twice
    array([1, 1, 2, 1, 2, 1, 1])
"""

from __future__ import annotations

import numpy as np


def dilate_input(x: np.ndarray, stride: int | tuple[int, int]) -> np.ndarray:
    """Insert ``stride - 1`` zeros between neighbouring pixels along H and W."""
    raise NotImplementedError("dilate_input")


def conv_transpose2d(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    output_padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
) -> np.ndarray:
    """PyTorch's conv_transpose2d by zero insertion, padding and a flipped-kernel correlation."""
    raise NotImplementedError("conv_transpose2d")


def overlap_counts(
    kernel_size: int | tuple[int, int], stride: int | tuple[int, int], n: int | tuple[int, int]
) -> np.ndarray:
    """Number of (input pixel, kernel tap) pairs writing to each output pixel."""
    raise NotImplementedError("overlap_counts")
