"""Max and average pooling: forward, backward, and what a one-pixel shift does to them.

Source question: Q18: Pooling 的作用 (s001-18).

Pooling summarises each window of a feature map by one number. It shrinks the map (less
computation later, a larger receptive field for the layers above) and makes the output
tolerant to small translations: if the maximum of a window moves but stays inside the window,
a max-pooled output does not change at all. Implement pooling with NumPy, forward and backward,
in PyTorch's conventions, then measure that tolerance.

Shapes and conventions (the same for every function):

* ``x`` is a NumPy array of shape ``(N, C, H, W)``, float32 or float64, with finite values.
  Every result has the dtype of the input (``dout`` for the backward passes).
* ``kernel_size``, ``stride`` and ``padding`` are each an int or a pair ``(for H, for W)``;
  an int means the same value for both axes. ``stride=None`` means ``stride = kernel_size``,
  as in torch. ``padding`` is at most half the kernel size on each axis.
* Window ``(i, j)`` of the padded input covers rows ``i*sH .. i*sH + kH - 1`` and columns
  ``j*sW .. j*sW + kW - 1``. The output has ``floor((H + 2 pH - kH) / sH) + 1`` rows (and the
  same formula for columns); windows that would run past the padded input are dropped.
* Max pooling pads with ``-inf`` (a padded cell never wins). Average pooling pads with zeros
  and always divides by ``kH * kW``: padded zeros count (torch's ``count_include_pad=True``).
* Windows may overlap (``stride < kernel_size``): then a cell of ``x`` receives gradient from
  every window that contains it, and the contributions add up.
* Max-pool backward sends each window's gradient to **one** cell, its arg-max. When several
  cells tie for the maximum, the gradient goes to the **first** of them in the window's scan
  order (row by row, top to bottom, left to right within a row) -- what torch does.
* Do not modify the inputs. ``torch.nn.functional.max_pool2d`` / ``avg_pool2d`` and the
  pooling modules are not allowed in this kata.

Functions:

1. ``max_pool2d(x, kernel_size, stride=None, padding=0)`` and ``avg_pool2d(...)``: the pooled
   ``(N, C, H_out, W_out)`` array.
2. ``max_pool2d_backward(dout, x, kernel_size, stride=None, padding=0)``: ``dx``, the gradient
   of the loss with respect to ``x`` given ``dout`` = its gradient with respect to the output.
3. ``avg_pool2d_backward(dout, input_shape, kernel_size, stride=None, padding=0)``: the same
   for average pooling; only the shape of the input is needed.
4. ``unchanged_after_shift(x, kernel_size, shift, mode="max")``: the number of pooled values
   that do not change when the input shifts. Precisely: pool ``x`` and
   ``x_shifted = np.roll(x, shift, axis=(2, 3))`` (``shift = (dy, dx)``: content moves ``dy``
   rows down and ``dx`` columns right, wrapping around) with ``mode`` ``"max"`` or ``"avg"``,
   stride = ``kernel_size`` and no padding, and return, as a Python ``int``, how many of the
   ``N * C * H_out * W_out`` positions hold exactly equal (``==``) values in both.

Example (one row of four values, a 1x2 window)::

    >>> x = np.array([9.0, 1.0, 7.0, 3.0]).reshape(1, 1, 1, 4)
    >>> max_pool2d(x, (1, 2))[0, 0]            # windows [9, 1] and [7, 3]
    array([[9., 7.]])
    >>> max_pool2d_backward(np.ones((1, 1, 1, 2)), x, (1, 2))[0, 0]
    array([[1., 0., 1., 0.]])
    >>> avg_pool2d_backward(np.ones((1, 1, 1, 2)), x.shape, (1, 2))[0, 0]
    array([[0.5, 0.5, 0.5, 0.5]])
    >>> # shifted one column right: [3, 9, 1, 7]; max pools to [9, 7] again, avg [6, 4] != [5, 5]
    >>> unchanged_after_shift(x, (1, 2), (0, 1), "max")
    2
    >>> unchanged_after_shift(x, (1, 2), (0, 1), "avg")
    0
"""

from __future__ import annotations

import numpy as np

IntOrPair = int | tuple[int, int]


def max_pool2d(
    x: np.ndarray, kernel_size: IntOrPair, stride: IntOrPair | None = None, padding: IntOrPair = 0
) -> np.ndarray:
    """Max over each window of ``x`` (padded with -inf): shape (N, C, H_out, W_out)."""
    # TODO: pad, then take the maximum of every window.
    raise NotImplementedError("max_pool2d")


def max_pool2d_backward(
    dout: np.ndarray,
    x: np.ndarray,
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
) -> np.ndarray:
    """Gradient with respect to ``x`` of max pooling, given ``dout`` (N, C, H_out, W_out)."""
    # TODO: route each window's gradient to its first arg-max, adding up over windows.
    raise NotImplementedError("max_pool2d_backward")


def avg_pool2d(
    x: np.ndarray, kernel_size: IntOrPair, stride: IntOrPair | None = None, padding: IntOrPair = 0
) -> np.ndarray:
    """Mean over each window of ``x`` (zero padding counted): shape (N, C, H_out, W_out)."""
    # TODO: pad with zeros, sum every window, divide by the window size.
    raise NotImplementedError("avg_pool2d")


def avg_pool2d_backward(
    dout: np.ndarray,
    input_shape: tuple[int, int, int, int],
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
) -> np.ndarray:
    """Gradient with respect to the input (of shape ``input_shape``) of average pooling."""
    # TODO: share each window's gradient among its cells, adding up over windows.
    raise NotImplementedError("avg_pool2d_backward")


def unchanged_after_shift(
    x: np.ndarray, kernel_size: IntOrPair, shift: tuple[int, int], mode: str = "max"
) -> int:
    """How many pooled values (stride = kernel, no padding) stay equal when ``x`` is rolled."""
    # TODO: pool x and its circularly shifted copy, and count the equal positions.
    raise NotImplementedError("unchanged_after_shift")
