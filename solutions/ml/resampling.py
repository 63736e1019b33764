"""Reference solution: over/under-sampling, SMOTE and class weights (see the exercise)."""

from __future__ import annotations

import numpy as np


def random_oversample(
    X: np.ndarray, y: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    counts = np.bincount(y)
    chosen = [np.arange(len(y))]  # every original sample, once
    for label, count in enumerate(counts):
        members = np.flatnonzero(y == label)
        # With replacement: a small class may need many more copies than it has samples.
        chosen.append(rng.choice(members, size=counts.max() - count, replace=True))
    index = np.concatenate(chosen)
    return X[index], y[index]


def random_undersample(
    X: np.ndarray, y: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    counts = np.bincount(y)
    index = np.concatenate(
        [
            rng.choice(np.flatnonzero(y == label), size=counts.min(), replace=False)
            for label in range(len(counts))
        ]
    )
    return X[index], y[index]


def smote(
    X: np.ndarray,
    y: np.ndarray,
    *,
    minority: int,
    n_new: int,
    k: int,
    rng: np.random.Generator,
) -> np.ndarray:
    M = np.asarray(X[y == minority], dtype=np.float64)
    if not 1 <= k < len(M):
        raise ValueError(f"need 1 <= k < {len(M)} (the number of minority samples), got k={k}")
    # Neighbours are searched among the minority samples only: a segment towards a sample of
    # another class would put synthetic minority points inside the other class's region.
    distances = np.linalg.norm(M[:, None, :] - M[None, :, :], axis=-1)
    np.fill_diagonal(distances, np.inf)  # a sample is not its own neighbour
    neighbours = np.argsort(distances, axis=1, kind="stable")[:, :k]
    anchors = rng.integers(0, len(M), size=n_new)
    partners = neighbours[anchors, rng.integers(0, k, size=n_new)]
    gaps = rng.random((n_new, 1))
    return M[anchors] + gaps * (M[partners] - M[anchors])


def class_weights(y: np.ndarray) -> np.ndarray:
    counts = np.bincount(y).astype(np.float64)
    # n / (K n_c): each class's samples together weigh n / K, as if the classes were balanced.
    return len(y) / (len(counts) * counts)


def weighted_cross_entropy(logits: np.ndarray, y: np.ndarray, weights: np.ndarray) -> float:
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)  # log-softmax is shift invariant; this avoids overflow
    log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    per_sample = -log_probs[np.arange(len(y)), y]
    w = np.asarray(weights, dtype=np.float64)[y]
    return float((w * per_sample).sum() / w.sum())
