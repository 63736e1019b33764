"""Batch normalisation, forward pass (training and evaluation).

Source question: 如何进行 BN (s001-09; also s000-09, s003-07, s003-08, s002-24, s002-28,
s002-29).

Implement ``batchnorm_forward`` for inputs of shape ``(N, C)`` or ``(N, C, H, W)``. Every
statistic is per channel ``c`` (axis 1), taken over all the other axes: over ``N`` for 2-D
inputs, over ``N, H, W`` for 4-D inputs.

Training mode (``training=True``):

1. ``mean`` and ``var`` of the batch, per channel. ``var`` is the *biased* variance (divide by
   the number of values ``m`` per channel), and this is what normalises the batch.
2. ``x_hat = (x - mean) / sqrt(var + eps)`` -- ``eps`` goes *inside* the square root.
3. ``out = gamma * x_hat + beta``.
4. New running statistics, in PyTorch's convention::

       running_mean = (1 - momentum) * running_mean + momentum * mean
       running_var  = (1 - momentum) * running_var  + momentum * var * m / (m - 1)

   The running variance stores the *unbiased* estimate (divide by ``m - 1``).
5. With a single value per channel (``m == 1``, e.g. ``x`` of shape ``(1, C)`` or
   ``(1, C, 1, 1)``) there is no spread to normalise by and no unbiased estimate: raise
   ``ValueError`` (torch says "Expected more than 1 value per channel when training").

Evaluation mode (``training=False``): normalise with ``running_mean`` and ``running_var``
instead of batch statistics, and return the running statistics unchanged.

Conventions:

* ``gamma``, ``beta``, ``running_mean``, ``running_var`` have shape ``(C,)``.
* Do not modify any input array in place; return new arrays.
* The output has the dtype of ``x`` (float32 or float64). The variance must stay accurate for
  float32 inputs with a large mean and a small spread (say mean 100 and standard deviation 0.1),
  where the one-pass formula ``E[x^2] - E[x]^2`` loses every digit.
* Write it with NumPy (or basic torch tensor operations). ``torch.nn.functional.batch_norm``,
  torch's batch norm kernels (``torch.batch_norm``, ``torch.native_batch_norm``, ...) and the
  ``BatchNorm`` modules are not allowed in this kata.

Example::

    >>> x = np.array([[1.0], [3.0]])                     # N=2, C=1: mean 2, biased var 1
    >>> out, rm, rv = batchnorm_forward(x, np.ones(1), np.zeros(1), np.zeros(1), np.ones(1),
    ...                                 training=True, momentum=0.1, eps=0.0)
    >>> out
    array([[-1.],
           [ 1.]])
    >>> rm, rv                                           # unbiased var of the batch is 2
    (array([0.2]), array([1.1]))
"""

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
    """Normalise ``x`` per channel and return ``(out, new_running_mean, new_running_var)``.

    Shapes: ``x`` is (N, C) or (N, C, H, W); ``out`` has the shape of ``x``; the running
    statistics are (C,).
    """
    # TODO: compute the per-channel statistics over every axis except axis 1, normalise,
    # scale and shift, and update the running statistics in training mode.
    raise NotImplementedError("batchnorm_forward")
