"""Reference solution: MSE on a sigmoid versus BCE, gradients by hand (statement: the exercise)."""

from __future__ import annotations

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    # exp of a non-positive number only: no overflow for z = -1e4.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def mse_sigmoid_loss(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (sigmoid(z) - np.asarray(y, dtype=np.float64)) ** 2


def mse_sigmoid_grad(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    s = sigmoid(z)
    # The chain rule keeps the sigmoid's derivative s (1 - s): it vanishes when s saturates,
    # however wrong the prediction is.
    return 2.0 * (s - np.asarray(y, dtype=np.float64)) * s * (1.0 - s)


def bce_grad(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    # d/ds of BCE is (s - y) / (s (1 - s)), which cancels the sigmoid's derivative exactly.
    return sigmoid(z) - np.asarray(y, dtype=np.float64)


def weight_gradients(w: np.ndarray, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X, dtype=np.float64)
    z = X @ np.asarray(w, dtype=np.float64)
    n = X.shape[0]
    # dz_i/dw = x_i, and the mean contributes 1/n.
    return X.T @ mse_sigmoid_grad(z, y) / n, X.T @ bce_grad(z, y) / n


def train_logit(loss: str, z0: float, y: float, lr: float, steps: int) -> np.ndarray:
    grads = {"mse": mse_sigmoid_grad, "bce": bce_grad}
    if loss not in grads:
        raise ValueError(f"loss must be 'mse' or 'bce', got {loss!r}")
    grad = grads[loss]
    path = [float(z0)]
    for _ in range(steps):
        z = path[-1]
        path.append(z - lr * float(grad(np.array(z), np.array(y))))
    return np.array(path)
