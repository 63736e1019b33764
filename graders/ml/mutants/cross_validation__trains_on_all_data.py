"""Mutant of ml/cross_validation: cross_val_score fits the model on all the data (leakage)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


def _deal(order: np.ndarray, k: int) -> list[np.ndarray]:
    # Dealing like cards (position p goes to fold p % k) keeps fold sizes within one of each
    # other, and keeps any consecutive run of ``order`` (one class) within one per fold too.
    return [np.sort(order[i::k]) for i in range(k)]


def _check(k: int, n: int) -> None:
    if not 2 <= k <= n:
        raise ValueError(f"need 2 <= k <= {n} samples, got k={k}")


def k_fold(n_samples: int, k: int, rng: np.random.Generator) -> list[np.ndarray]:
    _check(k, n_samples)
    return _deal(rng.permutation(n_samples), k)


def stratified_k_fold(y: np.ndarray, k: int, rng: np.random.Generator) -> list[np.ndarray]:
    y = np.asarray(y)
    _check(k, len(y))
    # Classes one after the other, each shuffled; dealing this sequence continues where the
    # previous class stopped, so the extra samples of different classes land in different folds.
    order = np.concatenate([rng.permutation(np.flatnonzero(y == c)) for c in np.unique(y)])
    return _deal(order, k)


def cross_val_score(
    X: np.ndarray,
    y: np.ndarray,
    fit: Callable[[np.ndarray, np.ndarray], Any],
    predict: Callable[[Any, np.ndarray], np.ndarray],
    folds: Sequence[np.ndarray],
    score: Callable[[np.ndarray, np.ndarray], float],
) -> np.ndarray:
    scores = []
    for fold in folds:
        validation = np.zeros(len(y), dtype=bool)
        validation[np.asarray(fold, dtype=np.int64)] = True
        # A fresh model per round, trained only on the other folds.
        model = fit(X, y)
        scores.append(score(y[validation], predict(model, X[validation])))
    return np.asarray(scores, dtype=np.float64)
