"""Synchronised batch norm over simulated devices: exchange sums, not averages.

Source questions: 多 GPU 或分布式训练时，BN 如何处理 (s001-11); 多 GPU 时，BN 如何处理 (s000-13).

With data parallelism every device holds a *shard* of the batch. Plain batch norm would normalise
each shard with its own statistics, as if the batch were smaller. Synchronised batch norm (SyncBN)
makes every device use the statistics of the *whole* batch, while sending only a few numbers per
channel between devices. Here the devices are simulated: a shard is one NumPy array in a list.

Shards have shape ``(n_i, C)`` or ``(n_i, C, H, W)``, all with the same ``C`` (and ``H, W``); the
``n_i`` differ and may be 0 (a device with no sample this step). Statistics are per channel (axis
1) over every other axis, exactly as single-device batch norm over the concatenated batch.

Implement four functions:

``local_stats(x) -> (count, sum, sum_sq)``
    What one device sends in the forward pass: ``count`` (an int, the number of values per
    channel, ``n_i * H * W``), and the per-channel ``sum`` of ``x`` and ``sum_sq`` of ``x**2``,
    both shape ``(C,)``. An empty shard gives ``(0, zeros, zeros)``.

``combine_stats(stats) -> (mean, var)``
    The all-reduce: from every device's ``(count, sum, sum_sq)``, the mean and the *biased*
    variance (divide by the total count) of the whole batch, each ``(C,)``. Use
    ``var = E[x**2] - mean**2`` (clip tiny negative round-off to 0).

``syncbn_forward(shards, gamma, beta, eps=1e-5) -> outs``
    Training-mode batch norm: ``out = gamma * (x - mean) / sqrt(var + eps) + beta`` on every shard
    with the *global* mean and variance. Returns a list with one array per shard, each the shape of
    its shard.

``syncbn_backward(shards, douts, gamma, eps=1e-5) -> (dxs, dgamma, dbeta)``
    Given ``douts[i] = dL/dout`` for shard ``i``, the gradients of the loss: ``dxs`` (one array
    per shard, its shape), ``dgamma`` and ``dbeta`` (shape ``(C,)``, over the whole batch). In the
    backward pass a device sends only the per-channel sums ``sum(dy)`` and ``sum(dy * x_hat)`` over
    its shard; with ``m`` the total count over all devices and ``std = sqrt(var + eps)``::

        dbeta  = total of sum(dy)            dgamma = total of sum(dy * x_hat)
        dx     = gamma / std * (dy - dbeta / m - x_hat * dgamma / m)

Every result must equal single-device batch norm of the concatenated batch (to about 1e-8).
Beware: averaging the devices' means or variances is *not* the same when shards differ in size
or content; counts and sums are.

Conventions: float64 arrays; ``gamma``, ``beta`` are ``(C,)``; do not modify any input. Write it
with NumPy (or basic torch operations): batch norm functions and modules and automatic
differentiation are not allowed here.

Example (``C = 1``, two devices, ``eps = 0``): shards ``[[0.]]`` and ``[[2.], [4.]]``. The
devices send ``(1, [0], [0])`` and ``(2, [6], [20])``; the totals ``(3, [6], [20])`` give mean 2
and variance ``20/3 - 4 = 8/3``, so the outputs (``gamma = 1``, ``beta = 0``) are
``[[-1.2247]]`` and ``[[0.], [1.2247]]``. Averaging the two devices' means would give
``(0 + 3) / 2 = 1.5`` instead of 2.
"""

from __future__ import annotations

import numpy as np


def local_stats(x: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """``(count, sum, sum_sq)`` of one shard: count per channel, and two ``(C,)`` arrays."""
    # TODO: what a device sends to the others in the forward pass.
    raise NotImplementedError("local_stats")


def combine_stats(
    stats: list[tuple[int, np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray]:
    """Global ``(mean, biased var)``, each ``(C,)``, from every device's local statistics."""
    # TODO: reduce the devices' statistics, then turn them into a mean and a variance.
    raise NotImplementedError("combine_stats")


def syncbn_forward(
    shards: list[np.ndarray], gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5
) -> list[np.ndarray]:
    """Batch norm of every shard with the statistics of the whole batch; one output per shard."""
    # TODO: exchange statistics, then normalise each shard on its own device.
    raise NotImplementedError("syncbn_forward")


def syncbn_backward(
    shards: list[np.ndarray], douts: list[np.ndarray], gamma: np.ndarray, eps: float = 1e-5
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """``(dxs, dgamma, dbeta)``: one input gradient per shard, and the (C,) parameter gradients."""
    # TODO: exchange the gradient sums, then finish each shard's dx on its own device.
    raise NotImplementedError("syncbn_backward")
