"""Mutant of reg/l1_l2: ISTA thresholds by lam instead of lr * lam."""

from __future__ import annotations

import numpy as np


def l1_penalty(w: np.ndarray, lam: float) -> float:
    return float(lam * np.abs(w).sum())


def l2_penalty(w: np.ndarray, lam: float) -> float:
    # The 1/2 makes the gradient lam * w rather than 2 * lam * w.
    return float(0.5 * lam * np.square(w).sum())


def l1_subgradient(w: np.ndarray, lam: float) -> np.ndarray:
    # np.sign(0) is 0: the subgradient we pick at the kink.
    return lam * np.sign(w)


def l2_gradient(w: np.ndarray, lam: float) -> np.ndarray:
    return lam * np.asarray(w, dtype=np.float64)


def decay_step(w: np.ndarray, grad: np.ndarray, lr: float, lam: float) -> np.ndarray:
    # w - lr * (grad + lam * w): the penalty's share is a constant shrink factor.
    return (1.0 - lr * lam) * w - lr * grad


def soft_threshold(w: np.ndarray, t: float) -> np.ndarray:
    # Clamp at zero instead of overshooting: that clamp is what produces exact zeros.
    return np.sign(w) * np.maximum(np.abs(w) - t, 0.0)


def lasso_ista(X: np.ndarray, y: np.ndarray, lam: float, lr: float, steps: int) -> np.ndarray:
    n, d = X.shape
    w = np.zeros(d)
    for _ in range(steps):
        z = w - lr * (X.T @ (X @ w - y)) / n
        w = soft_threshold(z, lam)
    return w
