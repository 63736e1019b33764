"""Mutant of bn/norm_family: Groups with reshape(N, G, -1) and never checks that G divides C."""

from __future__ import annotations

import numpy as np


def _normalise(x: np.ndarray, axes: tuple[int, ...], eps: float) -> np.ndarray:
    """(x - mean) / sqrt(var + eps) with statistics over ``axes``, kept broadcastable."""
    # Accumulate in float64 so float32 inputs keep their precision; the caller casts back.
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=axes, keepdims=True)
    # Every member of the family normalises with the biased (1/m) variance, as batch norm does.
    var = x64.var(axis=axes, keepdims=True)
    return (x64 - mean) / np.sqrt(var + eps)


def _per_channel(values: np.ndarray, ndim: int) -> np.ndarray:
    """(C,) -> (1, C, 1, ..., 1) so a per-channel vector broadcasts against an (N, C, ...) input."""
    return np.asarray(values).reshape((1, -1) + (1,) * (ndim - 2))


def layer_norm(
    x: np.ndarray,
    gamma: np.ndarray | None = None,
    beta: np.ndarray | None = None,
    eps: float = 1e-5,
) -> np.ndarray:
    # One mean and one variance per sample: the batch axis is the only one not reduced.
    out = _normalise(x, tuple(range(1, x.ndim)), eps)
    # gamma and beta have the shape x.shape[1:], so they broadcast against x as they are.
    if gamma is not None:
        out = out * gamma
    if beta is not None:
        out = out + beta
    return out.astype(x.dtype, copy=False)


def instance_norm(
    x: np.ndarray,
    gamma: np.ndarray | None = None,
    beta: np.ndarray | None = None,
    eps: float = 1e-5,
) -> np.ndarray:
    # One mean and one variance per (sample, channel): only the spatial axes are reduced.
    out = _normalise(x, tuple(range(2, x.ndim)), eps)
    if gamma is not None:
        out = out * _per_channel(gamma, x.ndim)
    if beta is not None:
        out = out + _per_channel(beta, x.ndim)
    return out.astype(x.dtype, copy=False)


def group_norm(
    x: np.ndarray,
    num_groups: int,
    gamma: np.ndarray | None = None,
    beta: np.ndarray | None = None,
    eps: float = 1e-5,
) -> np.ndarray:
    n = x.shape[0]
    # Each group is one row of (N, G, -1): consecutive channels stay together.
    grouped = x.reshape(n, num_groups, -1)
    out = _normalise(grouped, (2,), eps).reshape(x.shape)
    # The affine parameters stay per channel, not per group.
    if gamma is not None:
        out = out * _per_channel(gamma, x.ndim)
    if beta is not None:
        out = out + _per_channel(beta, x.ndim)
    return out.astype(x.dtype, copy=False)
