"""Mutant of init/init_module: Zeroes the biases of conv layers but forgets those of Linear."""

from __future__ import annotations

import math

import torch
from torch import nn

LAYERS = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear)
NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


def _fans(weight: torch.Tensor) -> tuple[int, int]:
    receptive_field = math.prod(weight.shape[2:])
    return weight.shape[1] * receptive_field, weight.shape[0] * receptive_field


def _followed_by_relu(model: nn.Module) -> set[int]:
    """ids of the layers whose next non-BatchNorm sibling in a Sequential is a ReLU."""
    found = set()
    for sequential in model.modules():
        if not isinstance(sequential, nn.Sequential):
            continue
        children = list(sequential.children())
        for index, child in enumerate(children):
            if not isinstance(child, LAYERS):
                continue
            after = [c for c in children[index + 1 :] if not isinstance(c, NORMS)]
            if after and isinstance(after[0], nn.ReLU):
                found.add(id(child))
    return found


@torch.no_grad()
def initialize(model: nn.Module, generator: torch.Generator) -> None:
    relu_layers = _followed_by_relu(model)
    for module in model.modules():
        if isinstance(module, LAYERS):
            fan_in, fan_out = _fans(module.weight)
            if id(module) in relu_layers:
                # ReLU keeps half of the second moment: He doubles the variance to compensate.
                std = math.sqrt(2.0 / fan_in)
            else:
                std = math.sqrt(2.0 / (fan_in + fan_out))
            module.weight.normal_(0.0, std, generator=generator)
            if module.bias is not None and not isinstance(module, nn.Linear):
                module.bias.zero_()
        elif isinstance(module, NORMS):
            # Start as the identity: the layer learns how much to rescale.
            module.weight.fill_(1.0)
            module.bias.zero_()
        elif isinstance(module, nn.LSTM):
            hidden = module.hidden_size
            for name, param in module.named_parameters():
                if name.startswith("weight_"):
                    fan_in, fan_out = _fans(param)
                    bound = math.sqrt(6.0 / (fan_in + fan_out))
                    param.uniform_(-bound, bound, generator=generator)
                elif name.startswith("bias_"):
                    param.zero_()
                    if name.startswith("bias_ih"):
                        # Gates are stacked i, f, g, o: a forget bias of 1 keeps the cell state
                        # flowing (and its gradient) early in training.
                        param[hidden : 2 * hidden] = 1.0
