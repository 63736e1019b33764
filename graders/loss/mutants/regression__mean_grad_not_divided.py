"""Mutant of loss/regression: The 'mean' gradient is not divided by the number of elements."""

from __future__ import annotations

import numpy as np

REDUCTIONS = ("none", "mean", "sum")


def _reduce(elementwise: np.ndarray, derivative: np.ndarray, reduction: str):
    """Apply the reduction to the losses, and the same linear map's factor to the derivatives."""
    if reduction == "none":
        return elementwise, derivative
    if reduction == "sum":
        return float(elementwise.sum()), derivative
    if reduction == "mean":
        # Each element enters the mean with weight 1/n, so its gradient does too.
        n = elementwise.size
        return float(elementwise.sum() / n), derivative
    raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _check_reduction(reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")


def l1_loss(pred, target, reduction="mean"):
    _check_reduction(reduction)
    d = np.asarray(pred, dtype=np.float64) - np.asarray(target, dtype=np.float64)
    # np.sign(0) == 0: the subgradient torch picks at the kink.
    return _reduce(np.abs(d), np.sign(d), reduction)


def mse_loss(pred, target, reduction="mean"):
    _check_reduction(reduction)
    d = np.asarray(pred, dtype=np.float64) - np.asarray(target, dtype=np.float64)
    # torch's MSE has no 1/2, so the 2 of the square stays in the derivative.
    return _reduce(d * d, 2.0 * d, reduction)


def smooth_l1_loss(pred, target, reduction="mean", beta=1.0):
    _check_reduction(reduction)
    if beta < 0:
        raise ValueError(f"beta must be >= 0, got {beta}")
    d = np.asarray(pred, dtype=np.float64) - np.asarray(target, dtype=np.float64)
    ad = np.abs(d)
    if beta == 0:
        # The quadratic zone |d| < 0 is empty: plain L1, and no 0/0 from d / beta.
        return _reduce(ad, np.sign(d), reduction)
    small = ad < beta  # quadratic near zero (small residuals), linear for outliers
    loss = np.where(small, 0.5 * d * d / beta, ad - 0.5 * beta)
    grad = np.where(small, d / beta, np.sign(d))
    return _reduce(loss, grad, reduction)


def huber_loss(pred, target, reduction="mean", delta=1.0):
    _check_reduction(reduction)
    if delta <= 0:
        raise ValueError(f"delta must be > 0, got {delta}")
    d = np.asarray(pred, dtype=np.float64) - np.asarray(target, dtype=np.float64)
    ad = np.abs(d)
    small = ad < delta
    # Huber = delta * smooth_l1(beta=delta): the tails keep slope delta, not 1.
    loss = np.where(small, 0.5 * d * d, delta * (ad - 0.5 * delta))
    grad = np.where(small, d, delta * np.sign(d))
    return _reduce(loss, grad, reduction)
