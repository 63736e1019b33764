"""Mutant of bn/batchnorm_backward: Drops the gradient that flows through the batch mean."""

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
    inv_std = 1.0 / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    x_hat = (x - mean) * inv_std

    dbeta = dout.sum(axis=axes)
    dgamma = (dout * x_hat).sum(axis=axes)
    # Staged backward through x_hat and var; the path through the mean is forgotten.
    dx_hat = gamma.reshape(per_channel) * dout
    dvar = (dx_hat * (x - mean)).sum(axis=axes, keepdims=True) * -0.5 * inv_std**3
    dx = dx_hat * inv_std + dvar * 2 * (x - mean) / m
    return dx.astype(x.dtype, copy=False), dgamma.astype(x.dtype), dbeta.astype(x.dtype)
