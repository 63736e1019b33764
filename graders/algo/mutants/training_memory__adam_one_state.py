"""Mutant of algo/training_memory: Adam keeps one state tensor per parameter."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

# Activations whose derivative torch writes from the output: the output is saved, and it is the
# next Linear's input, which that layer saves anyway -- so they cost nothing extra.
FROM_OUTPUT = {"sigmoid", "tanh", "relu"}
# Activations whose derivative needs the input (the pre-activation): one extra tensor each.
FROM_INPUT = {"gelu", "silu"}
OPTIMIZER_STATES = {"sgd": 0, "momentum": 1, "adam": 1}


def sigmoid_backward(y: np.ndarray, grad_output: np.ndarray) -> np.ndarray:
    # sigma'(x) = sigma(x) (1 - sigma(x)) = y (1 - y): x itself is never needed.
    y = np.asarray(y, dtype=np.float64)
    return np.asarray(grad_output, dtype=np.float64) * y * (1.0 - y)


def saved_activation_bytes(
    batch: int,
    sizes: Sequence[int],
    activation: str,
    dtype: torch.dtype,
    *,
    frozen_layers: int = 0,
    grad_enabled: bool = True,
) -> int:
    if activation not in FROM_OUTPUT | FROM_INPUT:
        raise ValueError(f"unknown activation {activation!r}")
    if not grad_enabled:
        return 0  # no graph is recorded, so nothing is saved
    layers = len(sizes) - 1
    elements = 0
    # Below the first trainable layer nothing requires grad, so nothing is recorded.
    for i in range(frozen_layers, layers):
        elements += sizes[i]  # the layer's input, read by dW = grad_out.T @ h
        if i < layers - 1 and activation in FROM_INPUT:
            elements += sizes[i + 1]  # the pre-activation, read by the activation's derivative
    return batch * elements * dtype.itemsize


def training_memory(
    batch: int,
    sizes: Sequence[int],
    activation: str,
    dtype: torch.dtype,
    optimizer: str,
    *,
    frozen_layers: int = 0,
) -> dict[str, int]:
    per_layer = [sizes[i] * sizes[i + 1] + sizes[i + 1] for i in range(len(sizes) - 1)]
    trainable = sum(per_layer[frozen_layers:])
    return {
        "parameters": sum(per_layer) * dtype.itemsize,
        "gradients": trainable * dtype.itemsize,
        "optimizer_state": OPTIMIZER_STATES[optimizer] * trainable * dtype.itemsize,
        "activations": saved_activation_bytes(
            batch, sizes, activation, dtype, frozen_layers=frozen_layers
        ),
    }
