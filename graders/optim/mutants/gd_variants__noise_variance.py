"""Mutant of optim/gd_variants: gradient_noise returns the mean squared distance (no sqrt)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np


def minibatches(
    n_samples: int,
    batch_size: int,
    *,
    epochs: int = 1,
    shuffle: bool = True,
    drop_last: bool = False,
    rng: np.random.Generator | None = None,
) -> Iterator[np.ndarray]:
    for _ in range(epochs):
        # A fresh order every epoch: reusing one permutation would make every epoch see the
        # same sequence of batches, and the "stochastic" in SGD would only happen once.
        order = rng.permutation(n_samples) if shuffle else np.arange(n_samples)
        for start in range(0, n_samples, batch_size):
            batch = order[start : start + batch_size]
            if drop_last and len(batch) < batch_size:
                break
            yield batch


def updates_per_epoch(n_samples: int, batch_size: int, *, drop_last: bool = False) -> int:
    full, rest = divmod(n_samples, batch_size)
    return full + (1 if rest and not drop_last else 0)


def _gradient(X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    """Gradient of 0.5 * mean((X @ w + b - y) ** 2) with respect to (w, b), as one vector."""
    r = X @ w + b - y
    return np.append(X.T @ r / len(y), r.mean())


def train_linear_regression(
    X: np.ndarray,
    y: np.ndarray,
    *,
    batch_size: int,
    lr: float,
    epochs: int,
    rng: np.random.Generator,
    drop_last: bool = False,
) -> tuple[np.ndarray, float, list[float]]:
    n, d = X.shape
    w, b = np.zeros(d), 0.0
    history = []
    for _ in range(epochs):
        # One epoch at a time: the generator draws this epoch's order from rng.
        for batch in minibatches(n, batch_size, drop_last=drop_last, rng=rng):
            # batch_size = n: one exact step per epoch (batch GD); 1: n noisy steps (SGD).
            g = _gradient(X[batch], y[batch], w, b)
            w, b = w - lr * g[:-1], b - lr * g[-1]
        history.append(float(0.5 * np.mean((X @ w + b - y) ** 2)))
    return w, float(b), history


def gradient_noise(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    b: float,
    batch_size: int,
    *,
    trials: int,
    rng: np.random.Generator,
) -> float:
    full = _gradient(X, y, w, b)
    squared = []
    for _ in range(trials):
        # Without replacement: a batch of all n samples is then exactly the full gradient.
        batch = rng.choice(len(y), size=batch_size, replace=False)
        squared.append(np.sum((_gradient(X[batch], y[batch], w, b) - full) ** 2))
    return float(np.mean(squared))


def noise_exponent(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    b: float,
    batch_sizes: Sequence[int],
    *,
    trials: int,
    rng: np.random.Generator,
) -> float:
    noise = [gradient_noise(X, y, w, b, m, trials=trials, rng=rng) for m in batch_sizes]
    slope, _ = np.polyfit(np.log(batch_sizes), np.log(noise), 1)
    return float(slope)
