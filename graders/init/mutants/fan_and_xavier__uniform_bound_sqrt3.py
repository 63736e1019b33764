"""Mutant of init/fan_and_xavier: Xavier uniform bound sqrt(3/(fi+fo)), not sqrt(6/(fi+fo))."""

from __future__ import annotations

import math

import numpy as np


def fan_in_fan_out(shape: tuple[int, ...]) -> tuple[int, int]:
    if len(shape) < 2:
        raise ValueError(f"fans need a weight of at least 2 dimensions, got shape {tuple(shape)}")
    # A conv output sums over in_channels * kernel positions, so the kernel multiplies both fans.
    receptive_field = math.prod(int(k) for k in shape[2:])
    return int(shape[1]) * receptive_field, int(shape[0]) * receptive_field


def lecun_normal(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    fan_in, _ = fan_in_fan_out(shape)
    # Var[w] = 1 / fan_in keeps Var[y] = fan_in * Var[w] * Var[x] equal to Var[x].
    return rng.normal(0.0, math.sqrt(1.0 / fan_in), size=tuple(shape))


def xavier_normal(
    shape: tuple[int, ...], rng: np.random.Generator, gain: float = 1.0
) -> np.ndarray:
    fan_in, fan_out = fan_in_fan_out(shape)
    # The harmonic compromise between the forward (fan_in) and backward (fan_out) conditions.
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return rng.normal(0.0, std, size=tuple(shape))


def xavier_uniform(
    shape: tuple[int, ...], rng: np.random.Generator, gain: float = 1.0
) -> np.ndarray:
    fan_in, fan_out = fan_in_fan_out(shape)
    # U(-b, b) has variance b**2 / 3, so b = sqrt(3) * std gives the Glorot variance.
    bound = gain * math.sqrt(3.0 / (fan_in + fan_out))
    return rng.uniform(-bound, bound, size=tuple(shape))
