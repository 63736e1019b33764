"""Mutant of ml/iid_batches: batch variances use the unbiased (m - 1) estimate."""

from __future__ import annotations

import numpy as np


def _cut(order: np.ndarray, batch_size: int) -> list[np.ndarray]:
    # The last, shorter batch is kept: dropping it would leave samples out of the epoch.
    return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]


def sorted_batches(y: np.ndarray, batch_size: int) -> list[np.ndarray]:
    return _cut(np.argsort(np.asarray(y), kind="stable"), batch_size)


def shuffled_batches(n: int, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    return _cut(rng.permutation(n), batch_size)


def epoch_schedule(
    n: int, batch_size: int, n_epochs: int, rng: np.random.Generator
) -> list[list[np.ndarray]]:
    # A new permutation per epoch: with one fixed order, every epoch would repeat the same
    # batches, and their particular mix of samples would bias every pass the same way.
    return [shuffled_batches(n, batch_size, rng) for _ in range(n_epochs)]


def label_skew(batches: list[np.ndarray], y: np.ndarray, n_classes: int) -> float:
    y = np.asarray(y)
    # The reference is the whole data set's label distribution, not a uniform one.
    overall = np.bincount(y, minlength=n_classes) / len(y)
    distances = [
        0.5 * np.abs(np.bincount(y[batch], minlength=n_classes) / len(batch) - overall).sum()
        for batch in batches
    ]
    return float(np.mean(distances))


def batch_norm_stats(x: np.ndarray, batches: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=np.float64)
    means = np.stack([x[batch].mean(axis=0) for batch in batches])
    variances = np.stack([x[batch].var(axis=0, ddof=1) for batch in batches])
    return means, variances


def mean_shift(x: np.ndarray, batches: list[np.ndarray]) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    means, _ = batch_norm_stats(x, batches)
    return np.abs(means - x.mean(axis=0)).mean(axis=0) / x.std(axis=0)
