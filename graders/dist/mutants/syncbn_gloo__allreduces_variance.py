"""Mutant of dist/syncbn_gloo: all-reduces (averages) per-rank means and variances."""

from __future__ import annotations

import torch
import torch.distributed as dist
from torch import nn


def _axes(x: torch.Tensor) -> list[int]:
    return [0, *range(2, x.dim())]


def _per_channel(x: torch.Tensor) -> tuple[int, ...]:
    return (1, x.shape[1]) + (1,) * (x.dim() - 2)


class SyncBatchNormFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias, eps, group):
        axes, shape = _axes(x), _per_channel(x)
        count = x.new_full((1,), x.numel() // x.shape[1])
        dist.all_reduce(count, group=group)
        total = count[0]
        # every rank's own mean and variance, averaged over the ranks
        mean = x.mean(axes)
        var = x.var(axes, unbiased=False)
        dist.all_reduce(mean, group=group)
        dist.all_reduce(var, group=group)
        world = dist.get_world_size(group)
        mean, var = mean / world, var / world
        inv_std = torch.rsqrt(var + eps)
        x_hat = (x - mean.reshape(shape)) * inv_std.reshape(shape)
        ctx.save_for_backward(x_hat, weight, inv_std, total)
        ctx.group = group
        # mean and var go back to the module for its running statistics
        ctx.mark_non_differentiable(mean, var, total)
        out = x_hat * weight.reshape(shape) + bias.reshape(shape)
        return out, mean, var, total

    @staticmethod
    def backward(ctx, dy, _dmean, _dvar, _dtotal):
        x_hat, weight, inv_std, total = ctx.saved_tensors
        axes, shape = _axes(dy), _per_channel(dy)
        # This rank's share of the parameter gradients: summed over ranks (by DDP) they give the
        # full-batch gradients, as torch.nn.SyncBatchNorm does.
        local_dbias = dy.sum(axes)
        local_dweight = (dy * x_hat).sum(axes)
        # dx needs the sums over the whole batch: the second all-reduce.
        sums = torch.cat([local_dbias, local_dweight])
        dist.all_reduce(sums, op=dist.ReduceOp.SUM, group=ctx.group)
        channels = dy.shape[1]
        sum_dy, sum_dy_xhat = sums[:channels], sums[channels:]
        dx = (weight * inv_std).reshape(shape) * (
            dy - (sum_dy / total).reshape(shape) - x_hat * (sum_dy_xhat / total).reshape(shape)
        )
        return dx, local_dweight, local_dbias, None, None


class SyncBatchNorm(nn.Module):
    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = _per_channel(x)
        if not self.training:  # no communication: every rank holds the same running statistics
            inv_std = torch.rsqrt(self.running_var + self.eps)
            x_hat = (x - self.running_mean.reshape(shape)) * inv_std.reshape(shape)
            return x_hat * self.weight.reshape(shape) + self.bias.reshape(shape)
        out, mean, var, total = SyncBatchNormFunction.apply(
            x, self.weight, self.bias, self.eps, None
        )
        with torch.no_grad():
            m = self.momentum
            # the unbiased estimate over the whole batch, as torch stores it
            unbiased = var * total / (total - 1).clamp_min(1)
            self.running_mean.mul_(1 - m).add_(m * mean)
            self.running_var.mul_(1 - m).add_(m * unbiased)
        return out
