"""Mutant of ml/svm_multiclass: DAG computes every pair's score first, then walks the list."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

Scorer = Callable[[np.ndarray], np.ndarray]


def predict_one_vs_rest(scorers: Sequence[Scorer], X: np.ndarray) -> np.ndarray:
    scores = np.stack([np.asarray(scorer(X), dtype=np.float64) for scorer in scorers], axis=1)
    # argmax returns the first maximum: ties go to the smallest label.
    return np.argmax(scores, axis=1)


def predict_one_vs_one(
    scorers: Mapping[tuple[int, int], Scorer], n_classes: int, X: np.ndarray
) -> np.ndarray:
    votes = np.zeros((len(X), n_classes), dtype=np.int64)
    rows = np.arange(len(X))
    for i in range(n_classes):
        for j in range(i + 1, n_classes):
            positive = np.asarray(scorers[(i, j)](X)) > 0
            votes[rows, np.where(positive, i, j)] += 1
    return np.argmax(votes, axis=1)  # first maximum: the smallest of the tied labels


def predict_dag(
    scorers: Mapping[tuple[int, int], Scorer], n_classes: int, X: np.ndarray
) -> np.ndarray:
    scores = {pair: np.asarray(scorer(X)) for pair, scorer in scorers.items()}
    predictions = []
    for s in range(len(X)):
        candidates = list(range(n_classes))
        while len(candidates) > 1:
            value = scores[(candidates[0], candidates[-1])][s]
            candidates.pop(-1 if value > 0 else 0)
        predictions.append(candidates[0])
    return np.array(predictions)


def pegasos(X: np.ndarray, y: np.ndarray, *, lam: float, order: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    w = np.zeros(X.shape[1])
    for t, i in enumerate(order, start=1):
        eta = 1.0 / (lam * t)
        violated = y[i] * (w @ X[i]) < 1  # decided with w before the update
        # The regulariser shrinks w on every step, whether or not the hinge is active.
        w = (1.0 - eta * lam) * w
        if violated:
            w = w + eta * y[i] * X[i]
    return w


def hinge_objective(w: np.ndarray, X: np.ndarray, y: np.ndarray, lam: float) -> float:
    margins = y * (np.asarray(X, dtype=np.float64) @ w)
    return float(lam / 2 * (w @ w) + np.maximum(0.0, 1.0 - margins).mean())
