"""Mutant of bn/batchnorm_backward: Leaves eps out of the backward pass."""

from __future__ import annotations

import numpy as np


def batchnorm_backward(
    dout: np.ndarray,
    x: np.ndarray,
    gamma: np.ndarray,
    eps: float = 1e-5,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    axes = (0, *range(2, x.ndim))
    # (1, C) or (1, C, 1, 1): per-channel vectors broadcast against x
    per_channel = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    m = x.size // x.shape[1]
    mean = x.mean(axis=axes, keepdims=True)
    # eps only matters in the forward pass, or so this mutant believes
    inv_std = 1.0 / np.sqrt(x.var(axis=axes, keepdims=True))
    x_hat = (x - mean) * inv_std

    dbeta = dout.sum(axis=axes)
    dgamma = (dout * x_hat).sum(axis=axes)
    # dL/dx_hat = gamma * dout. Through the mean, every x gets -mean(dL/dx_hat); through the
    # variance, -x_hat * mean(dL/dx_hat * x_hat). Both means are dbeta/m and dgamma/m scaled by
    # gamma, so the whole chain collapses to one line.
    dx = (gamma.reshape(per_channel) * inv_std / m) * (
        m * dout - dbeta.reshape(per_channel) - x_hat * dgamma.reshape(per_channel)
    )
    return dx.astype(x.dtype, copy=False), dgamma.astype(x.dtype), dbeta.astype(x.dtype)
