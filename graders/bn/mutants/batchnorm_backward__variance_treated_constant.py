"""Mutant of bn/batchnorm_backward: Treats the batch variance as a constant in the backward pass."""

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
    mean = x.mean(axis=axes, keepdims=True)
    inv_std = 1.0 / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    x_hat = (x - mean) * inv_std

    dbeta = dout.sum(axis=axes)
    dgamma = (dout * x_hat).sum(axis=axes)
    # Backward through x - mean only, as if sqrt(var + eps) were a fixed number.
    dx_hat = gamma.reshape(per_channel) * dout
    dx = inv_std * (dx_hat - dx_hat.mean(axis=axes, keepdims=True))
    return dx.astype(x.dtype, copy=False), dgamma.astype(x.dtype), dbeta.astype(x.dtype)
