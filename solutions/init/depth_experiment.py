"""Reference solution: the initialisation experiment (see the exercise for the statement)."""

from __future__ import annotations

import itertools
import math

import numpy as np

ACTIVATIONS = {
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
    "linear": lambda z: z,
}


def _std(init: str | float, fan_in: int, fan_out: int) -> float:
    if init == "xavier":
        return math.sqrt(2.0 / (fan_in + fan_out))
    if init == "he":
        return math.sqrt(2.0 / fan_in)
    if isinstance(init, str):
        raise ValueError(f"unknown init {init!r}")
    return float(init)


def make_weights(
    widths: list[int], init: str | float, rng: np.random.Generator
) -> list[np.ndarray]:
    weights = []
    for fan_in, fan_out in itertools.pairwise(widths):
        # One draw per layer, in layer order: the contract that makes the numbers reproducible.
        weights.append(rng.standard_normal((fan_out, fan_in)) * _std(init, fan_in, fan_out))
    return weights


def activation_stds(x: np.ndarray, weights: list[np.ndarray], activation: str) -> list[float]:
    f = ACTIVATIONS[activation]
    h = np.asarray(x, dtype=np.float64)
    stds = []
    for w in weights:
        h = f(h @ w.T)
        stds.append(float(h.std()))  # over every entry of the layer's output, ddof = 0
    return stds


def depth_experiment(
    init: str | float,
    activation: str,
    depth: int = 20,
    width: int = 100,
    batch: int = 200,
    seed: int = 0,
) -> list[float]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, width))  # drawn before the weights, as the contract says
    weights = make_weights([width] * (depth + 1), init, rng)
    return activation_stds(x, weights, activation)


def train_two_layer(
    x: np.ndarray, y: np.ndarray, w1: np.ndarray, w2: np.ndarray, lr: float, steps: int
) -> tuple[np.ndarray, np.ndarray]:
    w1, w2 = w1.astype(np.float64), w2.astype(np.float64)  # copies: the inputs stay untouched
    for _ in range(steps):
        h = np.tanh(x @ w1.T)
        out = h @ w2.T
        dout = 2.0 * (out - y) / out.size  # derivative of the mean over every entry
        grad_w2 = dout.T @ h
        dz = (dout @ w2) * (1.0 - h**2)  # tanh'(z) = 1 - tanh(z)^2
        grad_w1 = dz.T @ x
        w1 = w1 - lr * grad_w1
        w2 = w2 - lr * grad_w2
    return w1, w2


def symmetric_after_training(
    x: np.ndarray,
    y: np.ndarray,
    w1: np.ndarray,
    w2: np.ndarray,
    lr: float = 0.1,
    steps: int = 10,
) -> bool:
    w1, w2 = train_two_layer(x, y, w1, w2, lr, steps)
    # Identical units get identical gradients, so gradient descent can never tell them apart.
    same_in = np.allclose(w1, w1[:1, :], rtol=1e-9, atol=1e-12)
    same_out = np.allclose(w2, w2[:, :1], rtol=1e-9, atol=1e-12)
    return bool(same_in and same_out)
