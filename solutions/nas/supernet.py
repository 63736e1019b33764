"""Reference solution: single-path sampling, elastic width and elastic kernel of a supernet."""

from __future__ import annotations

import torch


def sample_single_path(num_choices: list[int], n: int, generator: torch.Generator) -> torch.Tensor:
    # One independent uniform draw per (path, layer): SPOS samples every layer on its own.
    columns = [torch.randint(0, k, (n,), generator=generator) for k in num_choices]
    return torch.stack(columns, dim=1) if columns else torch.zeros(n, 0, dtype=torch.long)


def elastic_width(
    weight: torch.Tensor, next_weight: torch.Tensor, k: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    out_channels = weight.shape[0]
    if not 1 <= k <= out_channels:
        raise ValueError(f"k must be in [1, {out_channels}], got {k}")
    # Importance of an output channel: the L1 norm of all the weights that produce it.
    importance = weight.abs().reshape(out_channels, -1).sum(dim=1)
    index = torch.sort(importance, descending=True, stable=True).indices[:k]
    # The next layer must read the same channels, in the same order, on its input axis.
    return weight[index].clone(), next_weight[:, index].clone(), index


def elastic_kernel(weight: torch.Tensor, k: int) -> torch.Tensor:
    size = weight.shape[-1]
    if weight.shape[-2] != size or size % 2 == 0 or k % 2 == 0 or not 1 <= k <= size:
        raise ValueError(f"need an odd k <= the odd square kernel size {size}, got k={k}")
    start = (size - k) // 2  # the centre k x k window: OFA's kernel transformation starts here
    return weight[..., start : start + k, start : start + k].clone()
