"""Mutant of bn/norm_family: Puts channel c in group c % G instead of consecutive blocks."""

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
    n, c = x.shape[:2]
    if num_groups < 1 or c % num_groups:
        # Checked explicitly: reshape(n, G, -1) would succeed whenever G divides C*H*W and
        # silently mix channels from two groups.
        raise ValueError(f"group_norm: {c} channels cannot be split into {num_groups} equal groups")
    # Channel c goes to group c % G: (N, C/G, G, ...) and reduce over every axis but 0 and 2.
    grouped = x.reshape((n, c // num_groups, num_groups, *x.shape[2:]))
    axes = (1, *range(3, grouped.ndim))
    out = _normalise(grouped, axes, eps).reshape(x.shape)
    # The affine parameters stay per channel, not per group.
    if gamma is not None:
        out = out * _per_channel(gamma, x.ndim)
    if beta is not None:
        out = out + _per_channel(beta, x.ndim)
    return out.astype(x.dtype, copy=False)
