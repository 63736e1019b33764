"""Synchronised batch norm with torch.distributed: all-reduce statistics forward and backward.

Source question: 多 GPU 或分布式训练时，BN 如何处理 (s001-11).

In data-parallel training every process (a *rank*) runs the same model on its own shard of the
batch. ``torch.distributed`` connects the ranks: after ``dist.init_process_group(...)``,
``dist.all_reduce(t)`` replaces the tensor ``t`` in every rank, in place, by the sum of all ranks'
``t``. Write ``SyncBatchNorm``, a batch-norm module for such a process group whose training-mode
statistics are those of the *whole* batch, across all ranks.

``SyncBatchNorm(num_features, eps=1e-5, momentum=0.1)`` -- an ``nn.Module`` with:

* ``weight`` and ``bias``: ``nn.Parameter`` of shape ``(C,)``, initialised to ones and zeros;
* buffers ``running_mean`` (zeros) and ``running_var`` (ones), shape ``(C,)``
  (``register_buffer``, so ``.double()`` and ``.to(device)`` convert them);
* ``forward(x)`` for ``x`` of shape ``(n, C)`` or ``(n, C, H, W)``; ``n`` differs between ranks.

Training mode (``self.training``):

1. Forward: every rank all-reduces its per-channel ``count`` (values per channel), ``sum(x)``
   and ``sum(x**2)``; from the totals, ``mean`` and the biased ``var = E[x**2] - mean**2``; then
   ``out = weight * (x - mean) / sqrt(var + eps) + bias`` on the rank's own ``x``.
2. Running statistics, as torch keeps them: ``running_mean = (1 - momentum) * running_mean +
   momentum * mean`` and ``running_var`` likewise with the *unbiased* variance of the whole batch,
   ``var * m / (m - 1)`` where ``m`` is the total count over all ranks.
3. Backward (through ``out.backward(...)`` or any loss): each rank all-reduces the per-channel
   sums ``sum(dy)`` and ``sum(dy * x_hat)``; with the totals and the total count ``m``::

       dx = weight / sqrt(var + eps) * (dy - sum_dy / m - x_hat * sum_dy_xhat / m)

   ``weight.grad`` and ``bias.grad`` hold **this rank's share**: ``sum(dy * x_hat)`` and
   ``sum(dy)`` over the rank's own shard only, as ``torch.nn.SyncBatchNorm`` does (summed over
   ranks they give the full-batch gradients; DistributedDataParallel then reduces them like any
   other parameter's gradient).

Evaluation mode: normalise with the running statistics; no communication.

A custom ``torch.autograd.Function`` is the natural tool: its ``forward`` does the first
all-reduce, its ``backward`` the second (autograd cannot see through ``dist.all_reduce``).
``SyncBatchNormFunction`` below is a suggested shape; only ``SyncBatchNorm`` is graded.

The grader runs 2 to 4 ranks on the CPU with the gloo backend, gives each rank a shard of
different size (one may hold a single sample), and compares every rank's output, input gradient,
parameter gradients and running statistics with ``torch.nn.functional.batch_norm`` of the
concatenated batch (float64, to about 1e-7). Every rank must make the same collective calls in
the same order; a rank that raises, hangs or exits fails the kata, and all ranks are stopped.
``torch.nn.SyncBatchNorm``, ``torch.nn.functional.batch_norm`` and torch's batch-norm kernels
are not allowed. Use ``dist.all_reduce(t, group=None)`` (the default group).

Example: two ranks hold ``[[0.], [2.]]`` and ``[[4.]]``. Rank 0 sends ``(2, 2, 4)``, rank 1
``(1, 4, 16)``; both receive ``(3, 6, 20)``, so mean 2 and var ``20/3 - 4 = 8/3`` in both; rank 1
outputs ``2 / sqrt(8/3) = 1.2247`` (``eps`` aside), not 0 as plain batch norm of its single
value would.
"""

from __future__ import annotations

import torch
import torch.distributed as dist
from torch import nn


class SyncBatchNormFunction(torch.autograd.Function):
    """Suggested: forward all-reduces (count, sum, sum of squares); backward the gradient sums."""

    @staticmethod
    def forward(
        ctx,
        x: torch.Tensor,
        weight: torch.Tensor,
        bias: torch.Tensor,
        eps: float,
        group: dist.ProcessGroup | None = None,
    ):
        # TODO: all-reduce the statistics, normalise, save what backward needs in ctx.
        raise NotImplementedError("SyncBatchNormFunction.forward")

    @staticmethod
    def backward(ctx, *grad_outputs: torch.Tensor):
        # TODO: all-reduce sum(dy) and sum(dy * x_hat); one gradient per forward input.
        raise NotImplementedError("SyncBatchNormFunction.backward")


class SyncBatchNorm(nn.Module):
    """Batch norm whose training statistics span every rank of the default process group."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1) -> None:
        super().__init__()
        # TODO: weight, bias (Parameters), running_mean, running_var (buffers), eps, momentum.
        raise NotImplementedError("SyncBatchNorm.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: (n, C) or (n, C, H, W) on this rank; returns the output for this rank's shard."""
        # TODO: training mode: synchronised statistics and running-statistics update;
        # evaluation mode: the running statistics.
        raise NotImplementedError("SyncBatchNorm.forward")
