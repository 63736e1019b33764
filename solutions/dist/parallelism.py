"""Reference solution: data and model (tensor) parallelism, simulated and over gloo."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.distributed as dist

GradFn = Callable[[list[torch.Tensor], torch.Tensor, torch.Tensor], list[torch.Tensor]]


def data_parallel_grad(
    grad_fn: GradFn, params: list[torch.Tensor], shards: list[tuple[torch.Tensor, torch.Tensor]]
) -> list[torch.Tensor]:
    # Each device returns the gradient of its *mean* loss; the batch mean weighs every sample
    # equally, so a shard's gradient counts in proportion to its size.
    total = sum(x.shape[0] for x, _ in shards)
    combined = [torch.zeros_like(p) for p in params]
    for x, y in shards:
        if x.shape[0] == 0:  # nothing to learn from, and its mean loss is undefined
            continue
        for acc, grad in zip(combined, grad_fn(params, x, y), strict=True):
            acc += grad * (x.shape[0] / total)
    return combined


def allreduce_mean_grads(grads: list[torch.Tensor], count: int) -> list[torch.Tensor]:
    # Turn means back into sums (times count), add them over the ranks, divide by the total.
    total = torch.tensor([float(count)], dtype=torch.float64)
    dist.all_reduce(total)
    result = []
    for grad in grads:
        summed = grad * count  # a new tensor: all_reduce works in place, grads stay untouched
        dist.all_reduce(summed)
        result.append(summed / total.item())
    return result


def column_parallel_linear(
    x: torch.Tensor, weight_shards: list[torch.Tensor], bias_shards: list[torch.Tensor]
) -> torch.Tensor:
    # Device i owns output features W_i (rows of W): its slice of y needs all of x and no
    # communication; gathering is a concatenation along the feature dim.
    return torch.cat([x @ w.T + b for w, b in zip(weight_shards, bias_shards, strict=True)], dim=-1)


def row_parallel_linear(
    x_shards: list[torch.Tensor], weight_shards: list[torch.Tensor], bias: torch.Tensor
) -> torch.Tensor:
    # Device i owns input features: x_i @ W_i.T is a partial sum of every output, so the
    # partials must be summed (an all-reduce), and the bias added once.
    partials = [x @ w.T for x, w in zip(x_shards, weight_shards, strict=True)]
    return torch.stack(partials).sum(dim=0) + bias


def parallel_mlp(
    x: torch.Tensor,
    w1_shards: list[torch.Tensor],
    b1_shards: list[torch.Tensor],
    w2_shards: list[torch.Tensor],
    b2: torch.Tensor,
) -> torch.Tensor:
    # Column-split first layer, ReLU on each device's own slice (elementwise, so no gather),
    # row-split second layer: a single reduction for the whole block.
    hidden = [torch.relu(x @ w.T + b) for w, b in zip(w1_shards, b1_shards, strict=True)]
    return row_parallel_linear(hidden, w2_shards, b2)


def row_parallel_linear_dist(
    x_part: torch.Tensor, weight_part: torch.Tensor, bias: torch.Tensor
) -> torch.Tensor:
    partial = x_part @ weight_part.T
    dist.all_reduce(partial)  # partial is our own new tensor, so reducing it in place is fine
    return partial + bias
