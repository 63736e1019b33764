"""Mutant of dist/syncbn_simulated: finishes dx with each device's own sums and count."""

from __future__ import annotations

import numpy as np


def _axes(x: np.ndarray) -> tuple[int, ...]:
    return (0, *range(2, x.ndim))


def _per_channel(x: np.ndarray) -> tuple[int, ...]:
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def local_stats(x: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    # Sums (not means) are what add up across devices: an empty shard simply contributes zeros.
    count = x.size // x.shape[1]
    return count, x.sum(axis=_axes(x)), (x * x).sum(axis=_axes(x))


def combine_stats(
    stats: list[tuple[int, np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray]:
    # The all-reduce: add counts and sums, and only then divide, so every value weighs the same
    # whichever device holds it.
    count = sum(c for c, _, _ in stats)
    total = sum(s for _, s, _ in stats)
    total_sq = sum(q for _, _, q in stats)
    mean = total / count
    var = np.maximum(total_sq / count - mean * mean, 0.0)  # E[x^2] - mean^2 may round below 0
    return mean, var


def syncbn_forward(
    shards: list[np.ndarray], gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5
) -> list[np.ndarray]:
    mean, var = combine_stats([local_stats(x) for x in shards])
    outs = []
    for x in shards:  # each device normalises its own shard with the global statistics
        shape = _per_channel(x)
        x_hat = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
        outs.append(gamma.reshape(shape) * x_hat + beta.reshape(shape))
    return outs


def syncbn_backward(
    shards: list[np.ndarray], douts: list[np.ndarray], gamma: np.ndarray, eps: float = 1e-5
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    stats = [local_stats(x) for x in shards]
    mean, var = combine_stats(stats)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hats = [
        (x - mean.reshape(_per_channel(x))) * inv_std.reshape(_per_channel(x)) for x in shards
    ]
    # Second exchange: each device sums dy and dy * x_hat over its shard; the totals are dbeta
    # and dgamma, and they are all a device needs to finish its own dx.
    dbeta = sum(dy.sum(axis=_axes(dy)) for dy in douts)
    dgamma = sum((dy * xh).sum(axis=_axes(dy)) for dy, xh in zip(douts, x_hats, strict=True))
    dxs = []
    for dy, xh in zip(douts, x_hats, strict=True):
        shape = _per_channel(dy)
        m = max(dy.size // dy.shape[1], 1)
        local_dbeta = dy.sum(axis=_axes(dy)).reshape(shape)
        local_dgamma = (dy * xh).sum(axis=_axes(dy)).reshape(shape)
        dxs.append(
            (gamma * inv_std).reshape(shape) * (dy - local_dbeta / m - xh * local_dgamma / m)
        )
    return dxs, dgamma, dbeta
