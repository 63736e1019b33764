"""Reference solution: metrics for imbalanced classes (see the exercise for the statement)."""

from __future__ import annotations

import numpy as np


def confusion_matrix(
    y_true: np.ndarray, y_pred: np.ndarray, n_classes: int | None = None
) -> np.ndarray:
    y_true, y_pred = np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)
    if n_classes is None:
        n_classes = int(max(y_true.max(), y_pred.max())) + 1
    # Each (true, predicted) pair is one cell of a flattened K x K grid; bincount counts them all.
    flat = np.bincount(y_true * n_classes + y_pred, minlength=n_classes * n_classes)
    return flat.reshape(n_classes, n_classes)


def _binary_counts(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[int, int, int]:
    truth, guess = np.asarray(y_true) == 1, np.asarray(y_pred) == 1
    return int(np.sum(truth & guess)), int(np.sum(~truth & guess)), int(np.sum(truth & ~guess))


def precision(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    tp, fp, _ = _binary_counts(y_true, y_pred)
    # A classifier that never says "positive" makes no positive claim that could be right.
    return tp / (tp + fp) if tp + fp else 0.0


def recall(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    tp, _, fn = _binary_counts(y_true, y_pred)
    return tp / (tp + fn) if tp + fn else 0.0


def f_beta(y_true: np.ndarray, y_pred: np.ndarray, beta: float = 1.0) -> float:
    p, r = precision(y_true, y_pred), recall(y_true, y_pred)
    # beta squared: recall is treated as beta times as important as precision.
    b2 = beta * beta
    denominator = b2 * p + r
    return (1 + b2) * p * r / denominator if denominator > 0 else 0.0


def cohen_kappa(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    counts = confusion_matrix(y_true, y_pred).astype(np.float64)
    n = counts.sum()
    observed = np.trace(counts) / n
    # Two raters who label independently with these marginals would agree this often by chance.
    expected = float(counts.sum(axis=1) @ counts.sum(axis=0)) / (n * n)
    if expected >= 1.0:
        return 0.0
    return float((observed - expected) / (1.0 - expected))


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n, tied values sharing the mean of the ranks they occupy."""
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    # Boundaries of runs of equal values in sorted order.
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], len(values)]
    run_ranks = (starts + 1 + ends) / 2.0  # mean of the ranks starts+1 .. ends
    ranks = np.empty(len(values))
    ranks[order] = np.repeat(run_ranks, ends - starts)
    return ranks


def roc_auc(y_true: np.ndarray, scores: np.ndarray) -> float:
    positive = np.asarray(y_true) == 1
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError("roc_auc needs both classes in y_true")
    ranks = _average_ranks(np.asarray(scores, dtype=np.float64))
    # Mann-Whitney: the positives' rank sum minus its minimum counts the (positive, negative)
    # pairs won by the positive; average ranks give a tie half a win.
    u = ranks[positive].sum() - n_pos * (n_pos + 1) / 2
    return float(u / (n_pos * n_neg))


def majority_baseline(y_true: np.ndarray) -> dict[str, float]:
    y_true = np.asarray(y_true)
    majority = int(np.argmax(np.bincount(y_true, minlength=2)))  # argmax: a tie goes to 0
    y_pred = np.full_like(y_true, majority)
    return {
        "accuracy": float(np.mean(y_true == y_pred)),
        "precision": precision(y_true, y_pred),
        "recall": recall(y_true, y_pred),
        "f1": f_beta(y_true, y_pred, 1.0),
        "kappa": cohen_kappa(y_true, y_pred),
    }
