"""Mutant of ml/logistic_regression: naive sigmoid, and BCE as the log of its probabilities."""

from __future__ import annotations

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))


def bce_loss(X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float) -> float:
    p = sigmoid(X @ w + b)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def gradients(X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float) -> tuple[np.ndarray, float]:
    residual = sigmoid(X @ w + b) - y
    return X.T @ residual / len(y), float(np.mean(residual))


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
