"""Convolution backward pass with im2col and col2im.

Source question: Q37: 卷积的实现及其反向传播 (s001-37).

With the columns ``X = im2col(x)`` of shape ``(N, C*kH*kW, L)`` (``L = H_out * W_out``) and the
filters as a matrix ``Wm = w.reshape(C_out, C*kH*kW)``, the forward pass is ``Y = Wm @ X + b``.
Given the upstream gradient ``dY`` (``dout``, the shape of the output), the backward pass is
three matrix expressions:

* ``db``: ``dY`` summed over everything except the output channel;
* ``dw``: ``dY @ X^T``, summed over the batch, reshaped to the shape of ``w``;
* ``dx``: ``dX = Wm^T @ dY`` has the shape of the columns; ``col2im`` sends every entry back to
  the input pixel it was copied from. A pixel that sat in several windows (whenever the stride
  is smaller than the dilated kernel) receives the SUM of all its copies' gradients. Gradients
  that land in the padding are dropped; pixels that no window reached get 0.

Implement, with NumPy:

``conv2d_forward(x, w, b, stride=1, padding=0, dilation=1) -> (out, cache)``
    ``x`` is ``(N, C, H, W)``, ``w`` is ``(C_out, C, kH, kW)`` (kernels need not be square),
    ``b`` is ``(C_out,)``; ``stride``, ``padding`` and ``dilation`` are ints or ``(h, w)``
    pairs. ``out`` is PyTorch's ``conv2d(x, w, b, stride, padding, dilation)`` (a
    cross-correlation, no groups). ``cache`` is anything you like: design it so the backward
    pass has what it needs and nothing is recomputed (``conv2d_backward`` must not call
    ``im2col`` again).
``col2im(cols, x_shape, kernel_size, stride=1, padding=0, dilation=1) -> x``
    The adjoint of ``im2col``: ``cols`` is ``(N, C*kH*kW, H_out*W_out)`` in the layout of
    ``torch.nn.functional.unfold`` (row ``c*kH*kW + i*kW + j``, column ``oh*W_out + ow``);
    return an array of shape ``x_shape = (N, C, H, W)`` in which every entry of ``cols`` has been
    ADDED to the input pixel it came from (what ``torch.nn.functional.fold`` computes).
``conv2d_backward(dout, cache) -> (dx, dw, db)``
    Gradients of ``sum(out * dout)`` with respect to ``x``, ``w`` and ``b``, with the shapes of
    ``x``, ``w`` and ``b``.

``im2col`` is a helper for your forward pass (copy yours from ``conv/im2col_conv``); it is not
graded here. No Python loop over images or output pixels in ``col2im``, ``conv2d_forward`` or
``conv2d_backward`` (loops over the kernel taps are fine): the grader counts the Python lines
your code runs for a small and a large input. Do not modify your inputs. Use the dtype of
``x``; the grader works in float64. ``torch``'s convolution, unfold/fold and autograd are not
allowed in this kata.

Example (1-D in spirit: a 1x3 input, a 1x2 kernel of ones, stride 1)::

    >>> x = np.array([[[[1.0, 2.0, 3.0]]]])
    >>> out, cache = conv2d_forward(x, np.ones((1, 1, 1, 2)), np.zeros(1))
    >>> out                                   # [1 + 2, 2 + 3]
    array([[[[3., 5.]]]])
    >>> dx, dw, db = conv2d_backward(np.array([[[[1.0, 10.0]]]]), cache)
    >>> dx                                    # the middle pixel is in both windows: 1 + 10
    array([[[[ 1., 11., 10.]]]])
    >>> dw, db                                # [1*1 + 2*10, 2*1 + 3*10], 1 + 10
    (array([[[[21., 32.]]]]), array([11.]))
"""

from __future__ import annotations

from typing import Any

import numpy as np


def im2col(
    x: np.ndarray,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
) -> np.ndarray:
    """Helper (not graded): the windows of ``x`` as columns, (N, C*kH*kW, H_out*W_out)."""
    raise NotImplementedError("im2col")


def conv2d_forward(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
) -> tuple[np.ndarray, Any]:
    """PyTorch's conv2d as im2col + GEMM; returns ``(out, cache)``."""
    raise NotImplementedError("conv2d_forward")


def col2im(
    cols: np.ndarray,
    x_shape: tuple[int, int, int, int],
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
) -> np.ndarray:
    """Add every column entry back onto its input pixel: (N, C*kH*kW, L) -> x_shape."""
    raise NotImplementedError("col2im")


def conv2d_backward(dout: np.ndarray, cache: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients ``(dx, dw, db)`` of ``sum(out * dout)``."""
    raise NotImplementedError("conv2d_backward")
