"""Mutant of bn/weight_norm: Returns the unit direction v / ||v|| and never multiplies by g."""

from __future__ import annotations

import numpy as np


def _reduced_axes(v: np.ndarray, dim: int | None) -> tuple[int, ...]:
    """Every axis except ``dim``: each slice along ``dim`` (a row, a filter) gets its own norm."""
    return tuple(axis for axis in range(v.ndim) if axis != dim)


def _norm(v: np.ndarray, dim: int | None) -> np.ndarray:
    # keepdims gives the shape of g (1 on every reduced axis), so it broadcasts against v
    return np.sqrt((v * v).sum(axis=_reduced_axes(v, dim), keepdims=True))


def weight_norm(v: np.ndarray, g: np.ndarray, dim: int | None = 0) -> np.ndarray:
    # g carries the length, v / ||v|| only the direction.
    return v / _norm(v, dim)


def weight_norm_backward(
    v: np.ndarray, g: np.ndarray, dw: np.ndarray, dim: int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    axes = _reduced_axes(v, dim)
    norm = _norm(v, dim)
    direction = v / norm
    # w = g * direction, so dL/dg is the projection of dw onto the unit direction.
    dg = (dw * direction).sum(axis=axes, keepdims=True)
    # ||v|| depends on v: only the part of dw orthogonal to v survives, scaled by g / ||v||.
    # (Moving v along itself changes the norm, not the direction, so w cannot change.)
    dv = g / norm * (dw - dg * direction)
    return dv, dg.reshape(np.shape(g))


def mean_only_batchnorm(x: np.ndarray, beta: np.ndarray) -> np.ndarray:
    axes = (0, *range(2, x.ndim))
    per_channel = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    # Centre with the batch mean only: the scale is left to the weight-normalised layer before it.
    return x - x.mean(axis=axes, keepdims=True) + np.asarray(beta).reshape(per_channel)
