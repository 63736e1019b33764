"""Mutant of act/relu_interpolation: repeated x values are not refused."""

from __future__ import annotations

import numpy as np


def relu_interpolant(
    knots_x: np.ndarray, knots_y: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    x = np.asarray(knots_x, dtype=np.float64)
    y = np.asarray(knots_y, dtype=np.float64)
    if x.ndim != 1 or x.shape != y.shape or x.size == 0:
        raise ValueError("knots_x and knots_y must be 1-D arrays of the same, nonzero length")
    order = np.argsort(x, kind="stable")  # a sorted copy: the inputs stay as they are
    x, y = x[order], y[order]
    # Slope of each segment, with 0 before the first knot and after the last (flat outside).
    slopes = np.concatenate([[0.0], np.diff(y) / np.diff(x), [0.0]])
    # One unit relu(x - x_k) per knot; its output weight is the change of slope at x_k. Left of
    # x_0 every unit is off, so the constant b2 = y_0 is the whole function there.
    w1 = np.ones_like(x)
    b1 = -x
    w2 = np.diff(slopes)
    return w1, b1, w2, float(y[0])
