"""Mutant of act/softmax: The maximum subtracted is the whole array's, not each slice's."""

from __future__ import annotations

import numpy as np


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    x = np.asarray(x)
    # Softmax is unchanged by a shift along the axis; shifting by the max makes every exponent
    # <= 0 (no overflow) and one of them exactly 0 (the sum is >= 1, never 0 / 0).
    shifted = x - x.max()
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    x = np.asarray(x)
    # log(softmax) would take log(0) = -inf where softmax underflows; the log of the sum of the
    # shifted exponentials is always finite since one term is exactly 1.
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax_jvp(s: np.ndarray, v: np.ndarray, axis: int = -1) -> np.ndarray:
    s, v = np.asarray(s), np.asarray(v)
    # J = diag(s) - s s^T along the axis, so J v = s * v - s * (s . v) without forming J.
    return s * (v - (s * v).sum(axis=axis, keepdims=True))
