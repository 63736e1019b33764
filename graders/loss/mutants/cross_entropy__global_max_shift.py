"""Mutant of loss/cross_entropy: log_softmax shifted by the array's maximum, not each row's."""

from __future__ import annotations

import numpy as np

REDUCTIONS = ("none", "mean", "sum")


def log_softmax(logits: np.ndarray) -> np.ndarray:
    z = np.asarray(logits, dtype=np.float64)
    # After the shift the largest exponent is exp(0) = 1: no overflow, and the sum is >= 1,
    # so its log is finite. Staying in log space avoids log(0) for tiny probabilities.
    shifted = z - z.max()
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _reduce(losses: np.ndarray, reduction: str, denominator: float):
    if reduction == "none":
        return losses
    if reduction == "sum":
        return float(losses.sum())
    if reduction == "mean":
        return float(losses.sum() / denominator)
    raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")


def cross_entropy(logits, target, weight=None, label_smoothing=0.0, reduction="mean"):
    log_q = log_softmax(logits)
    n, c = log_q.shape
    target = np.asarray(target, dtype=np.int64)
    w = np.ones(c) if weight is None else np.asarray(weight, dtype=np.float64)
    # Smoothed target: the one-hot mixed with the uniform distribution over all C classes.
    t = np.full((n, c), label_smoothing / c)
    t[np.arange(n), target] += 1.0 - label_smoothing
    losses = -(t * w * log_q).sum(axis=-1)
    # torch's weighted mean: the total divided by the weights of the true classes.
    return _reduce(losses, reduction, w[target].sum())


def bce_with_logits(logits, target, reduction="mean"):
    z = np.asarray(logits, dtype=np.float64)
    y = np.asarray(target, dtype=np.float64)
    # -y log s(z) - (1 - y) log(1 - s(z)) = softplus(z) - y z, and
    # softplus(z) = max(z, 0) + log1p(exp(-|z|)) never exponentiates a positive number.
    losses = np.maximum(z, 0.0) - y * z + np.log1p(np.exp(-np.abs(z)))
    return _reduce(losses, reduction, losses.size)


def _p_log(p: np.ndarray, log_x: np.ndarray) -> np.ndarray:
    """p * log_x with the limit 0 where p == 0 (log_x may be -inf or huge there)."""
    return np.where(p > 0, p * np.where(p > 0, log_x, 0.0), 0.0)


def entropy(p: np.ndarray) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    with np.errstate(divide="ignore"):
        log_p = np.log(p)
    return -_p_log(p, log_p).sum(axis=-1)


def kl_divergence(p: np.ndarray, logits: np.ndarray) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    with np.errstate(divide="ignore"):
        log_p = np.log(p)
    # p is the reference distribution: the expectation is taken under p, not under q.
    return _p_log(p, log_p - log_softmax(logits)).sum(axis=-1)


def soft_cross_entropy(p: np.ndarray, logits: np.ndarray) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    return -_p_log(p, log_softmax(logits)).sum(axis=-1)
