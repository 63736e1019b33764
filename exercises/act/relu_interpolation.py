"""Why ReLU nets can fit any function: build one that passes exactly through given points.

Source question: 为什么激活函数能让神经网络能拟合任何函数？ (s003-09). A piecewise-linear
function can approximate any continuous function, and a sum of ReLUs is exactly a
piecewise-linear function: each unit ``relu(x - x_k)`` adds a kink at ``x_k``.

Implement ``relu_interpolant(knots_x, knots_y)`` returning the parameters ``(w1, b1, w2, b2)``
of a one-hidden-layer ReLU network on scalars::

    f(x) = sum_j w2[j] * relu(w1[j] * x + b1[j]) + b2

(``w1``, ``b1``, ``w2`` float arrays of shape ``(H,)``, ``b2`` a float), computed in closed form
(no training), such that ``f`` is the piecewise-linear interpolant of the knots:

* ``f(x_k) = y_k`` at every knot (up to rounding);
* ``f`` is linear between consecutive knots (in sorted order of x);
* ``f`` is flat outside: ``f(x) = y`` of the leftmost knot for ``x`` left of every knot, and
  ``y`` of the rightmost knot right of every knot;
* ``H <= n``, the number of knots (one unit per knot is enough).

The knots come in any order (sort them yourself, without modifying the input arrays). A single
knot gives the constant function ``y_0`` (``H`` may then be 0 or 1). Raise ``ValueError`` when
two knots share the same ``x``, when there is no knot, or when the arrays differ in length.

Hint of the idea: left of the first knot every unit is off and ``f`` is the constant ``b2``; at
each knot the slope of ``f`` changes by ``w2[j] * w1[j]`` of the unit whose kink sits there.

Example::

    >>> w1, b1, w2, b2 = relu_interpolant(np.array([0.0, 1.0, 3.0]), np.array([1.0, 2.0, 0.0]))
    >>> # slopes: 0 (left), 1 on [0, 1], -1 on [1, 3], 0 (right): changes +1, -2, +1
    >>> x = np.array([-5.0, 0.0, 0.5, 1.0, 2.0, 3.0, 9.0])
    >>> np.maximum(np.outer(x, w1) + b1, 0) @ w2 + b2
    array([1. , 1. , 1.5, 2. , 1. , 0. , 0. ])
"""

from __future__ import annotations

import numpy as np


def relu_interpolant(
    knots_x: np.ndarray, knots_y: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(w1, b1, w2, b2) of a one-hidden-layer ReLU net through the knots, flat outside."""
    raise NotImplementedError("relu_interpolant")
