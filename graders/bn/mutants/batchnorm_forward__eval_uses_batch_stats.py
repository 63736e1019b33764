"""Mutant of bn/batchnorm_forward: Normalises with batch statistics in evaluation mode too."""

from __future__ import annotations

import numpy as np


def batchnorm_forward(
    x: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    running_mean: np.ndarray,
    running_var: np.ndarray,
    *,
    training: bool,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    axes = (0, *range(2, x.ndim))
    # (1, C) or (1, C, 1, 1): per-channel vectors broadcast against x
    per_channel = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    if training:
        count = x.size // x.shape[1]  # m, the number of values per channel
        if count <= 1:
            # One value per channel: the batch variance is 0 and m - 1 = 0, as torch refuses.
            raise ValueError(
                f"Expected more than 1 value per channel when training, got input size {x.shape}"
            )
        mean = x.mean(axis=axes)
        var = x.var(axis=axes)
        new_mean = (1 - momentum) * running_mean + momentum * mean
        # The running estimate is unbiased even though the batch is normalised with the biased one.
        new_var = (1 - momentum) * running_var + momentum * var * count / (count - 1)
    else:
        mean, var = x.mean(axis=axes), x.var(axis=axes)
        new_mean, new_var = running_mean.copy(), running_var.copy()
    x_hat = (x - mean.reshape(per_channel)) / np.sqrt(var.reshape(per_channel) + eps)
    out = gamma.reshape(per_channel) * x_hat + beta.reshape(per_channel)
    return out.astype(x.dtype, copy=False), new_mean, new_var
