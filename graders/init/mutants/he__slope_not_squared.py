"""Mutant of init/he: Leaky ReLU gain sqrt(2 / (1 + a)): the slope is not squared."""

from __future__ import annotations

import math

import numpy as np


def gain(nonlinearity: str, a: float = 0.0) -> float:
    if nonlinearity == "linear":
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        # ReLU keeps half of a symmetric input's second moment: double the variance back.
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        # The negative half keeps a**2 of its second moment: E[f(z)^2] = (1 + a^2) / 2 * E[z^2].
        return math.sqrt(2.0 / (1.0 + a))
    raise ValueError(f"unsupported nonlinearity {nonlinearity!r}")


def _fan(shape: tuple[int, ...], mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    if len(shape) < 2:
        raise ValueError(f"fans need a weight of at least 2 dimensions, got shape {shape}")
    receptive_field = math.prod(shape[2:])
    # fan_in preserves forward activations, fan_out preserves backward gradients.
    return shape[1] * receptive_field if mode == "fan_in" else shape[0] * receptive_field


def _std(shape, mode, nonlinearity, a) -> float:
    return gain(nonlinearity, a) / math.sqrt(_fan(tuple(shape), mode))


def he_normal(
    shape: tuple[int, ...],
    rng: np.random.Generator,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    a: float = 0.0,
) -> np.ndarray:
    return rng.normal(0.0, _std(shape, mode, nonlinearity, a), size=tuple(shape))


def he_uniform(
    shape: tuple[int, ...],
    rng: np.random.Generator,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    a: float = 0.0,
) -> np.ndarray:
    # U(-b, b) has variance b**2 / 3: b = sqrt(3) * std gives the same variance as he_normal.
    bound = math.sqrt(3.0) * _std(shape, mode, nonlinearity, a)
    return rng.uniform(-bound, bound, size=tuple(shape))
