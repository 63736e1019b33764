"""Convolution as one matrix multiplication: im2col + GEMM.

Source question: Q37: 卷积的实现及其反向传播 (s001-37).

Frameworks compute a convolution by copying every receptive-field patch of the input into a
column of a matrix (im2col), after which the whole layer is ONE matrix product with the
reshaped filters. Implement both steps with NumPy.

``im2col(x, kernel_size, stride=1, padding=0, dilation=1)``

* ``x`` has shape ``(N, C, H, W)``; ``kernel_size``, ``stride``, ``padding`` and ``dilation``
  are each an int or an ``(h, w)`` pair (height first), as in PyTorch.
* ``padding`` adds that many zeros on both sides of each axis; the windows start at
  ``0, S, 2S, ...`` of the padded input; a dilated window takes every ``D``-th position, so its
  taps sit at offsets ``0, D, ..., D * (K - 1)``. The output height is
  ``H_out = (H + 2 * pH - dH * (kH - 1) - 1) // sH + 1`` (likewise the width).
* Return an array of shape ``(N, C * kH * kW, H_out * W_out)``: column ``l = oh * W_out + ow``
  holds the window of output position ``(oh, ow)``, and row ``r = c * kH * kW + i * kW + j`` holds
  channel ``c`` at kernel tap ``(i, j)`` -- the same layout as ``torch.nn.functional.unfold``,
  and the order in which ``w.reshape(C_out, -1)`` lays out a filter.

``conv2d_forward(x, w, b=None, stride=1, padding=0, dilation=1, groups=1)``

* ``w`` has shape ``(C_out, C // groups, kH, kW)`` (PyTorch's layout; kernels need not be
  square), ``b`` has shape ``(C_out,)`` or is ``None``.
* Like PyTorch's ``conv2d``, this is a cross-correlation (the kernel is not flipped):
  ``out[n, o, oh, ow] = b[o] + sum over c, i, j of
  w[o, c, i, j] * x_padded[n, g*C/groups + c, oh*sH + i*dH, ow*sW + j*dW]`` for output channel
  ``o`` in group ``g = o // (C_out / groups)``.
* Return ``(N, C_out, H_out, W_out)`` with the dtype of ``x`` (float32 or float64).
* Build the columns with your ``im2col`` and do the arithmetic as one (batched) matrix product:
  with ``groups``, channel group ``g`` of the columns meets only the filters of group ``g``.
* Vectorise: the amount of Python work may depend on the kernel size and the number of groups
  but NOT on ``N``, ``H`` or ``W`` -- no Python loop over images or output pixels (a loop over
  the ``kH * kW`` kernel taps is fine). The grader counts the Python lines your code runs for a
  small and a large input.
* Do not modify ``x``, ``w`` or ``b``. ``torch.nn.functional.conv2d``, ``unfold`` and the
  ``Conv2d``/``Unfold`` modules are not allowed in this kata.

Example::

    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)       # [[0 1 2] [3 4 5] [6 7 8]]
    >>> im2col(x, 2)                                  # 4 windows of 2x2, one per column
    array([[[0., 1., 3., 4.],
            [1., 2., 4., 5.],
            [3., 4., 6., 7.],
            [4., 5., 7., 8.]]])
    >>> conv2d_forward(x, np.ones((1, 1, 2, 2)), np.array([0.5]))   # window sums + 0.5
    array([[[[ 8.5, 12.5],
             [20.5, 24.5]]]])
"""

from __future__ import annotations

import numpy as np


def im2col(
    x: np.ndarray,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
) -> np.ndarray:
    """Unfold the (padded) windows of ``x`` into columns: (N, C*kH*kW, H_out*W_out)."""
    raise NotImplementedError("im2col")


def conv2d_forward(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
    groups: int = 1,
) -> np.ndarray:
    """2-D convolution (cross-correlation, as in PyTorch) as im2col + one GEMM."""
    raise NotImplementedError("conv2d_forward")
