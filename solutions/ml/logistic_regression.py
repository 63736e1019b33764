"""Reference solution: logistic regression by hand (see the exercise for the statement)."""

from __future__ import annotations

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z, dtype=float)
    # exp of a non-positive number never overflows; both branches reuse e = exp(-|z|).
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _softplus(z: np.ndarray) -> np.ndarray:
    # log(1 + exp(z)) = max(z, 0) + log1p(exp(-|z|)), finite for every finite z
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def bce_loss(X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float) -> float:
    z = X @ w + b
    # -log p = softplus(-z) and -log(1 - p) = softplus(z), and softplus(-z) = softplus(z) - z,
    # so the per-sample loss is softplus(z) - y z: no log of a probability that underflowed to 0.
    return float(np.mean(_softplus(z) - y * z))


def gradients(X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float) -> tuple[np.ndarray, float]:
    # dL/dz = p - y per sample (sigmoid' cancels the 1 / (p (1 - p)) of the log);
    # the loss is a mean, so the gradient is one too.
    residual = sigmoid(X @ w + b) - y
    return X.T @ residual / len(y), float(np.mean(residual))


def train(
    X: np.ndarray, y: np.ndarray, w0: np.ndarray, b0: float, lr: float, steps: int
) -> tuple[np.ndarray, float, np.ndarray]:
    w, b = np.array(w0, dtype=float), float(b0)
    losses = [bce_loss(X, y, w, b)]
    for _ in range(steps):
        grad_w, grad_b = gradients(X, y, w, b)
        # new arrays, not in-place updates, so w0 is never touched
        w = w - lr * grad_w
        b = b - lr * grad_b
        losses.append(bce_loss(X, y, w, b))
    return w, b, np.array(losses)


def predict(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    # p >= 0.5 exactly when the logit is >= 0: no need to evaluate the sigmoid
    return (X @ w + b >= 0).astype(int)
