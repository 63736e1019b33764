"""Reference solution: PC-DARTS partial-channel mixed op, channel shuffle, edge normalisation."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch


def _softmax(z: torch.Tensor) -> torch.Tensor:
    e = torch.exp(z - z.max())
    return e / e.sum()


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    n, c, h, w = x.shape
    if c % groups != 0:
        raise ValueError(f"{c} channels do not split into {groups} groups")
    # (groups, c // groups) grid read column by column: channel j of group g goes to j*groups + g.
    return x.reshape(n, groups, c // groups, h, w).transpose(1, 2).reshape(n, c, h, w)


def partial_channel_mixed_op(
    x: torch.Tensor,
    alpha: torch.Tensor,
    ops: Sequence[Callable[[torch.Tensor], torch.Tensor]],
    k: int,
) -> torch.Tensor:
    c = x.shape[1]
    if c % k != 0:
        raise ValueError(f"{c} channels do not split into 1/{k}")
    part = c // k
    searched, bypass = x[:, :part], x[:, part:]
    weights = _softmax(alpha)
    # Only 1/k of the channels pay for the K candidate ops: the memory saving of PC-DARTS.
    mixed = sum(w * op(searched) for w, op in zip(weights, ops, strict=True))
    # The bypass channels are passed on as they are; the shuffle mixes them for the next edge.
    return channel_shuffle(torch.cat([mixed, bypass], dim=1), k)


def edge_normalised_node(edge_outputs: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
    # One weight per incoming edge, softmax over the node's edges (not over ops).
    return torch.tensordot(_softmax(beta), edge_outputs, dims=([0], [0]))
