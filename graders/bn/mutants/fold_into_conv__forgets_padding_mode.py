"""Mutant of bn/fold_into_conv: rebuilds the folded conv without copying padding_mode."""

from __future__ import annotations

import copy

import torch
from torch import nn


def conv_bn_relu(in_ch: int, out_ch: int, k: int) -> nn.Sequential:
    # The BN right after the conv removes the per-channel mean, so a conv bias would be
    # cancelled exactly; BN's beta is the bias of this block.
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, k, padding=k // 2, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(),
    )


def bn_relu_conv(in_ch: int, out_ch: int, k: int) -> nn.Sequential:
    # Nothing in this block normalises the conv's output, so its bias is not redundant here.
    return nn.Sequential(
        nn.BatchNorm2d(in_ch),
        nn.ReLU(),
        nn.Conv2d(in_ch, out_ch, k, padding=k // 2, bias=True),
    )


def fold_bn_into_conv(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    if bn.num_features != conv.out_channels:
        raise ValueError(
            f"cannot fold BatchNorm2d({bn.num_features}) into a conv with "
            f"{conv.out_channels} output channels"
        )
    if bn.running_mean is None or bn.running_var is None:
        raise ValueError("cannot fold a BatchNorm2d without running statistics")
    with torch.no_grad():
        # Evaluation-mode BN is y -> scale * y + shift per output channel, with
        # scale = gamma / sqrt(var + eps) and shift = beta - scale * mean.
        scale = torch.rsqrt(bn.running_var + bn.eps)
        if bn.weight is not None:
            scale = bn.weight * scale
        shift = -bn.running_mean * scale
        if bn.bias is not None:
            shift = shift + bn.bias
        old_bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
        weight = conv.weight * scale.reshape(-1, 1, 1, 1)  # scales whole output filters
        bias = old_bias * scale + shift  # the conv bias passes through BN like any output
    # A fresh conv with the same geometry (padding_mode forgotten: it falls back to "zeros").
    folded = nn.Conv2d(
        conv.in_channels,
        conv.out_channels,
        conv.kernel_size,
        stride=conv.stride,
        padding=conv.padding,
        dilation=conv.dilation,
        groups=conv.groups,
        bias=True,
    ).to(device=conv.weight.device, dtype=conv.weight.dtype)
    folded.weight = nn.Parameter(weight.to(conv.weight.dtype))
    folded.bias = nn.Parameter(bias.to(conv.weight.dtype))
    return folded


def fold_sequential(block: nn.Sequential) -> nn.Sequential:
    children = list(block.children())
    folded: list[nn.Module] = []
    index = 0
    while index < len(children):
        module = children[index]
        following = children[index + 1] if index + 1 < len(children) else None
        if isinstance(module, nn.Conv2d) and isinstance(following, nn.BatchNorm2d):
            folded.append(fold_bn_into_conv(module, following))
            index += 2
            continue
        if isinstance(module, nn.BatchNorm2d):
            # A BN after a nonlinearity (or at the start) is not an affine map of any conv's
            # output, so no conv can absorb it.
            before = type(children[index - 1]).__name__ if index else "the start of the block"
            raise ValueError(
                f"BatchNorm2d at position {index} follows {before}, not a Conv2d: cannot fold it"
            )
        if isinstance(module, nn.Sequential):
            folded.append(fold_sequential(module))
        else:
            folded.append(copy.deepcopy(module))
        index += 1
    return nn.Sequential(*folded)
