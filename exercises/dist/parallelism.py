"""Data parallelism and model (tensor) parallelism: both must reproduce the unsplit computation.

Source question: 模型并行和数据并行的区别与联系 (s001-33).

**Data parallelism** splits the *batch*: every device holds the whole model, computes the
gradient of the mean loss over its own shard, and the gradients are combined. **Model
parallelism** splits the *model*: a weight matrix too large for one device is cut into blocks,
each device multiplies by its block, and the partial results are gathered or reduced. Either
way, the result must equal the computation on one device.

Data parallel (tensors are torch tensors; a shard is a pair ``(x, y)`` whose first dim is its
number of samples, which differs between shards and may be 0):

``data_parallel_grad(grad_fn, params, shards) -> grads``
    ``grad_fn(params, x, y)`` returns (a list, one tensor per parameter) the gradient of the
    **mean** loss over the samples ``(x, y)`` -- what one device computes. Return the gradient of
    the mean loss over the whole batch, all shards together, as a list of new tensors shaped like
    ``params``. Shards differ in size, so a plain average of their gradients is wrong: weigh each
    by its number of samples. Do not call ``grad_fn`` on an empty shard (the mean over no sample
    is undefined); it contributes nothing.

``allreduce_mean_grads(grads, count) -> grads``
    The same inside a real process group (``torch.distributed`` already initialised, called in
    every rank): ``grads`` is this rank's list of gradients of the mean loss over its ``count``
    samples. Return new tensors, equal in every rank, holding the gradient of the mean loss over
    all ranks' samples. ``dist.all_reduce(t)`` sums ``t`` over the ranks *in place*, so reduce
    copies: ``grads`` must not change.

Model parallel, for a linear layer ``y = x @ W.T + b`` with ``W`` of shape ``(out, in)``:

``column_parallel_linear(x, weight_shards, bias_shards) -> y``
    ``W`` split along its output dim: ``weight_shards[i]`` is ``(out_i, in)`` and
    ``bias_shards[i]`` is ``(out_i,)``. Each device computes its slice of the output features;
    gather them into ``y`` of shape ``(..., out)``.

``row_parallel_linear(x_shards, weight_shards, bias) -> y``
    ``W`` split along its input dim: ``weight_shards[i]`` is ``(out, in_i)``, and ``x`` is split
    the same way along its last dim, ``x_shards[i]`` of shape ``(..., in_i)``. Each device's
    product is a *partial sum* of the whole output: reduce them, and add ``bias`` (shape
    ``(out,)``) once.

``parallel_mlp(x, w1_shards, b1_shards, w2_shards, b2) -> y``
    ``relu(x @ W1.T + b1) @ W2.T + b2`` with ``W1`` split by columns (output features, as in
    ``column_parallel_linear``) and ``W2`` split by rows (input features) into matching pieces:
    device ``i`` holds ``w1_shards[i]`` ``(h_i, in)``, ``b1_shards[i]`` ``(h_i,)`` and
    ``w2_shards[i]`` ``(out, h_i)``. Its hidden slice feeds its ``W2`` block directly, so the
    block needs no gather in the middle, only one reduction at the end.

``row_parallel_linear_dist(x_part, weight_part, bias) -> y``
    ``row_parallel_linear`` inside a process group: each rank holds its ``x_part`` and
    ``weight_part``; return the full output ``y`` (equal in every rank).

Shard sizes may be uneven (``torch.tensor_split``). Results are compared with the unsplit
computation in float64 to about 1e-10. ``DistributedDataParallel`` and ``DataParallel`` are not
allowed.

Example: shards of 1 and 3 samples whose mean-loss gradients are ``[4.]`` and ``[0.]``: the batch
gradient is ``(1 * 4 + 3 * 0) / 4 = 1``, not the plain average ``(4 + 0) / 2 = 2``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.distributed as dist  # noqa: F401 (for the two *_dist / allreduce functions)

GradFn = Callable[[list[torch.Tensor], torch.Tensor, torch.Tensor], list[torch.Tensor]]


def data_parallel_grad(
    grad_fn: GradFn, params: list[torch.Tensor], shards: list[tuple[torch.Tensor, torch.Tensor]]
) -> list[torch.Tensor]:
    """The full-batch mean-loss gradient from per-shard mean-loss gradients."""
    # TODO: combine grad_fn's per-shard gradients into the gradient of the whole batch.
    raise NotImplementedError("data_parallel_grad")


def allreduce_mean_grads(grads: list[torch.Tensor], count: int) -> list[torch.Tensor]:
    """In every rank: the mean-loss gradient over all ranks' samples; ``grads`` stay unchanged."""
    # TODO: use dist.all_reduce on copies.
    raise NotImplementedError("allreduce_mean_grads")


def column_parallel_linear(
    x: torch.Tensor, weight_shards: list[torch.Tensor], bias_shards: list[torch.Tensor]
) -> torch.Tensor:
    """``x @ W.T + b`` with ``W`` and ``b`` split along the output features."""
    # TODO: one output slice per device, then gather.
    raise NotImplementedError("column_parallel_linear")


def row_parallel_linear(
    x_shards: list[torch.Tensor], weight_shards: list[torch.Tensor], bias: torch.Tensor
) -> torch.Tensor:
    """``x @ W.T + b`` with ``W`` split along the input features and ``x`` split to match."""
    # TODO: one partial product per device, then reduce.
    raise NotImplementedError("row_parallel_linear")


def parallel_mlp(
    x: torch.Tensor,
    w1_shards: list[torch.Tensor],
    b1_shards: list[torch.Tensor],
    w2_shards: list[torch.Tensor],
    b2: torch.Tensor,
) -> torch.Tensor:
    """``relu(x @ W1.T + b1) @ W2.T + b2``: W1 split by output features, W2 by input features."""
    # TODO: column-parallel, ReLU per device, row-parallel.
    raise NotImplementedError("parallel_mlp")


def row_parallel_linear_dist(
    x_part: torch.Tensor, weight_part: torch.Tensor, bias: torch.Tensor
) -> torch.Tensor:
    """In every rank: the full ``x @ W.T + b`` from this rank's blocks of ``x`` and ``W``."""
    # TODO: the partial product, then an all-reduce.
    raise NotImplementedError("row_parallel_linear_dist")
