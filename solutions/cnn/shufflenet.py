"""Reference solution for cnn/shufflenet."""

from __future__ import annotations

import torch


def _check_divisible(channels: int, groups: int) -> None:
    if groups < 1 or channels % groups != 0:
        raise ValueError(f"{channels} channels cannot be split into {groups} equal groups")


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    n, c, h, w = x.shape
    _check_divisible(c, groups)
    # Write the channels as a (groups, c // groups) grid, row by row; reading it column by
    # column takes one channel from each group in turn, which is what the next grouped
    # convolution needs to see every group's output.
    return x.reshape(n, groups, c // groups, h, w).transpose(1, 2).reshape(n, c, h, w)


def channel_unshuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    n, c, h, w = x.shape
    _check_divisible(c, groups)
    # The inverse reads the same grid the other way: a shuffle with c // groups groups.
    return x.reshape(n, c // groups, groups, h, w).transpose(1, 2).reshape(n, c, h, w)


def grouped_pointwise_conv(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, groups: int
) -> torch.Tensor:
    n, c_in, h, w = x.shape
    c_out = weight.shape[0]
    _check_divisible(c_in, groups)
    _check_divisible(c_out, groups)
    # Group g sees only input channels [g*cin_g, (g+1)*cin_g) and produces output channels
    # [g*cout_g, (g+1)*cout_g): one small matrix product per group, all groups at once.
    xg = x.reshape(n, groups, c_in // groups, h, w)
    wg = weight.reshape(groups, c_out // groups, c_in // groups)
    out = torch.einsum("goi,ngihw->ngohw", wg, xg).reshape(n, c_out, h, w)
    if bias is not None:
        out = out + bias.reshape(1, c_out, 1, 1)
    return out


def grouped_pointwise_params(c_in: int, c_out: int, groups: int, bias: bool = True) -> int:
    _check_divisible(c_in, groups)
    _check_divisible(c_out, groups)
    # Each output channel looks at c_in / groups inputs only: groups times fewer weights.
    return c_out * (c_in // groups) + (c_out if bias else 0)
