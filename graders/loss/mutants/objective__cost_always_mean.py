"""Mutant of loss/objective: The cost is always the mean, whatever the reduction."""

from __future__ import annotations

import numpy as np


def _residuals(w, b, X, y):
    return np.asarray(X, dtype=np.float64) @ np.asarray(w, dtype=np.float64) + b - y


def per_sample_loss(w, b, X, y):
    return _residuals(w, b, X, y) ** 2


def _scale(n: int, reduction: str) -> float:
    """The factor that turns a sum over the batch into the requested reduction."""
    if reduction == "mean":
        return 1.0 / n
    if reduction == "sum":
        return 1.0 / n
    raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")


def cost(w, b, X, y, reduction="mean"):
    losses = per_sample_loss(w, b, X, y)
    return float(losses.sum() * _scale(len(losses), reduction))


def regulariser(w, lam, kind="l2"):
    w = np.asarray(w, dtype=np.float64)
    if kind == "l2":
        return float(lam * np.sum(w * w))
    if kind == "l1":
        return float(lam * np.sum(np.abs(w)))
    raise ValueError(f"kind must be 'l2' or 'l1', got {kind!r}")


def objective(w, b, X, y, lam, kind="l2", reduction="mean"):
    # The penalty belongs to the parameters: added once, whatever the batch size.
    return cost(w, b, X, y, reduction) + regulariser(w, lam, kind)


def objective_grad(w, b, X, y, lam, kind="l2", reduction="mean"):
    w = np.asarray(w, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    r = _residuals(w, b, X, y)
    scale = _scale(len(r), reduction)
    grad_w = 2.0 * scale * (X.T @ r)
    grad_b = float(2.0 * scale * r.sum())
    if kind == "l2":
        grad_w = grad_w + 2.0 * lam * w
    elif kind == "l1":
        grad_w = grad_w + lam * np.sign(w)  # sign(0) = 0: a valid subgradient of |w| at 0
    else:
        raise ValueError(f"kind must be 'l2' or 'l1', got {kind!r}")
    return grad_w, grad_b  # the bias is not regularised
