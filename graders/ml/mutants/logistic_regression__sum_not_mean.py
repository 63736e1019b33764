"""Mutant of ml/logistic_regression: gradient summed over the batch, not averaged."""

from __future__ import annotations

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def bce_loss(X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float) -> float:
    z = X @ w + b
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def gradients(X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float) -> tuple[np.ndarray, float]:
    # summed: the 1/n of the mean was dropped
    residual = sigmoid(X @ w + b) - y
    return X.T @ residual, float(np.sum(residual))


def train(
    X: np.ndarray, y: np.ndarray, w0: np.ndarray, b0: float, lr: float, steps: int
) -> tuple[np.ndarray, float, np.ndarray]:
    w, b = np.array(w0, dtype=float), float(b0)
    losses = [bce_loss(X, y, w, b)]
    for _ in range(steps):
        grad_w, grad_b = gradients(X, y, w, b)
        w = w - lr * grad_w
        b = b - lr * grad_b
        losses.append(bce_loss(X, y, w, b))
    return w, b, np.array(losses)


def predict(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    return (X @ w + b >= 0).astype(int)
