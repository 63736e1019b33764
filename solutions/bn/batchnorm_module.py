"""Reference solution: a BatchNorm2d module from scratch (see the exercise for the statement)."""

from __future__ import annotations

import torch
from torch import nn


class BatchNorm2d(nn.Module):
    """Batch normalisation over the channels of (N, C, H, W) inputs, compatible with torch's."""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
    ) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = nn.Parameter(torch.ones(num_features))
            self.bias = nn.Parameter(torch.zeros(num_features))
        else:
            # Registering None keeps the attribute defined while leaving it out of state_dict.
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            # Buffers, not parameters: saved and moved with the module, but never trained.
            self.register_buffer("running_mean", torch.zeros(num_features))
            self.register_buffer("running_var", torch.ones(num_features))
            self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            # In place, so that references to the buffers (an optimiser, a hook) stay valid.
            self.running_mean.zero_()
            self.running_var.fill_(1.0)
            self.num_batches_tracked.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4:
            raise ValueError(f"expected 4D input (got {x.dim()}D input)")
        # Without running statistics there is nothing else to normalise with, even in eval mode.
        use_batch_stats = self.training or not self.track_running_stats
        if use_batch_stats:
            count = x.numel() // x.shape[1]
            if count <= 1:
                raise ValueError(
                    "Expected more than 1 value per channel when training, got input size "
                    f"{tuple(x.shape)}"
                )
            mean = x.mean(dim=(0, 2, 3))
            var = x.var(dim=(0, 2, 3), correction=0)
            if self.training and self.track_running_stats:
                self._update_running_stats(mean, var, count)
        else:
            mean, var = self.running_mean, self.running_var
        shape = (1, -1, 1, 1)
        out = (x - mean.reshape(shape)) / torch.sqrt(var.reshape(shape) + self.eps)
        if self.affine:
            out = out * self.weight.reshape(shape) + self.bias.reshape(shape)
        return out

    def _update_running_stats(self, mean: torch.Tensor, var: torch.Tensor, count: int) -> None:
        # The running statistics are estimates, not part of the graph: update them without grad.
        with torch.no_grad():
            self.num_batches_tracked.add_(1)
            if self.momentum is None:
                # Cumulative moving average: every batch so far weighs the same.
                factor = 1.0 / float(self.num_batches_tracked)
            else:
                factor = self.momentum
            # The stored variance is the unbiased estimate, though the batch uses the biased one.
            unbiased = var * count / (count - 1)
            self.running_mean.mul_(1 - factor).add_(factor * mean)
            self.running_var.mul_(1 - factor).add_(factor * unbiased)
