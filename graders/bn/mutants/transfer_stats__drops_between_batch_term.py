"""Mutant of bn/transfer_stats: Merges M2 without the delta**2 (between-batch) term."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

Stats = tuple[int, torch.Tensor, torch.Tensor]  # (count, mean, M2) per channel


def _batch_stats(x: torch.Tensor) -> Stats:
    # One row per channel: statistics are over every axis but axis 1. Float64 keeps the merge
    # exact to rounding even for large datasets.
    values = x.detach().transpose(0, 1).reshape(x.shape[1], -1).to(torch.float64)
    mean = values.mean(dim=1)
    return values.shape[1], mean, ((values - mean[:, None]) ** 2).sum(dim=1)


def _merge(a: Stats, b: Stats) -> Stats:
    (count_a, mean_a, m2_a), (count_b, mean_b, m2_b) = a, b
    count = count_a + count_b
    delta = mean_b - mean_a
    # Weights are counts, not batches; the delta**2 term is the spread *between* the two parts,
    # which the parts' own M2 values know nothing about.
    mean = mean_a + delta * (count_b / count)
    m2 = m2_a + m2_b
    return count, mean, m2


def _combine(parts: list[Stats]) -> Stats:
    total = parts[0]
    for part in parts[1:]:
        total = _merge(total, part)
    return total


def recompute_bn_stats(model: nn.Module, batches: Sequence[torch.Tensor]) -> None:
    layers = [
        m
        for m in model.modules()
        if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats
    ]
    modes = {module: module.training for module in model.modules()}
    parts: dict[nn.Module, list[Stats]] = {}

    def capture(layer: nn.Module, inputs: tuple[torch.Tensor, ...]) -> None:
        parts[layer].append(_batch_stats(inputs[0]))

    model.eval()  # dropout off, and each BN normalises with the statistics we have set so far
    handles = [layer.register_forward_pre_hook(capture) for layer in layers]
    try:
        # A layer's input depends only on the BN layers called before it. After pass k the first
        # k layers in call order hold exact statistics, whatever order they were registered in,
        # so one pass per layer makes every layer exact.
        for _ in range(len(layers)):
            parts = {layer: [] for layer in layers}
            with torch.no_grad():
                for batch in batches:
                    model(batch)
            for layer, measured in parts.items():
                if not measured:  # never called by forward: nothing to measure
                    continue
                count, mean, m2 = _combine(measured)
                layer.running_mean.copy_(mean.to(layer.running_mean.dtype))
                layer.running_var.copy_((m2 / (count - 1)).to(layer.running_var.dtype))
    finally:
        for handle in handles:
            handle.remove()
        # module.train(flag) would recurse into children; set each flag as it was.
        for module, training in modes.items():
            module.training = training


def blend_stats(
    source_mean: torch.Tensor,
    source_var: torch.Tensor,
    target_mean: torch.Tensor,
    target_var: torch.Tensor,
    alpha: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must lie in [0, 1], got {alpha}")
    mean = (1 - alpha) * source_mean + alpha * target_mean
    # Law of total variance: the mixture's variance is the mean of the variances plus the
    # variance of the means, alpha * (1 - alpha) * (difference of means)**2.
    var = (
        (1 - alpha) * source_var
        + alpha * target_var
        + alpha * (1 - alpha) * (source_mean - target_mean) ** 2
    )
    return mean, var
