"""Mutant of bn/batchnorm_backward: Statistics over the batch axis only, also for images."""

from __future__ import annotations

import numpy as np


def batchnorm_backward(
    dout: np.ndarray,
    x: np.ndarray,
    gamma: np.ndarray,
    eps: float = 1e-5,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    axes = (0, *range(2, x.ndim))
    per_channel = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    # Statistics over the batch axis only: per (c, h, w) for images.
    m = x.shape[0]
    mean = x.mean(axis=0, keepdims=True)
    inv_std = 1.0 / np.sqrt(x.var(axis=0, keepdims=True) + eps)
    x_hat = (x - mean) * inv_std

    dbeta = dout.sum(axis=axes)
    dgamma = (dout * x_hat).sum(axis=axes)
    dx = (gamma.reshape(per_channel) * inv_std / m) * (
        m * dout
        - dout.sum(axis=0, keepdims=True)
        - x_hat * (dout * x_hat).sum(axis=0, keepdims=True)
    )
    return dx.astype(x.dtype, copy=False), dgamma.astype(x.dtype), dbeta.astype(x.dtype)
