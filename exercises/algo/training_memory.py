"""Why training needs more memory than inference: count what backward keeps.

Source question: 为什么训练比推理需要消耗更多的显存？ (s003-01).

Backpropagation reuses values from the forward pass. ``y = sigmoid(x)`` has the derivative
``y * (1 - y)``: the backward pass needs ``y``, so autograd keeps it in memory until backward has
run. Inference (under ``torch.no_grad()``) keeps nothing and frees each activation once the next
layer has used it. On top of those saved activations, training holds a gradient for every
trainable parameter and the optimizer's state. Count all of it, in bytes, for one MLP.

The MLP (``L = len(sizes) - 1`` Linear layers, all in ``dtype``)::

    h = x                                        # (batch, sizes[0]), requires_grad=False
    for i in range(L):
        h = h @ W_i.T + b_i                      # torch.nn.Linear(sizes[i], sizes[i + 1])
        if i < L - 1:
            h = act(h)                           # no activation after the last layer

``activation`` is ``"sigmoid"``, ``"tanh"``, ``"relu"``, ``"gelu"`` (exact, erf-based) or
``"silu"``, as torch's modules. The first ``frozen_layers`` Linear layers are frozen: their
weight and bias have ``requires_grad=False`` (fine-tuning only the top of a network).

1. ``sigmoid_backward(y, grad_output)``: the gradient with respect to the sigmoid's *input*,
   computed from its saved *output* ``y`` (arrays of the same shape, float64). This is all the
   sigmoid needs to keep for backward.

2. ``saved_activation_bytes(batch, sizes, activation, dtype, *, frozen_layers, grad_enabled)``
   (the last two keyword-only, defaults ``frozen_layers=0`` and ``grad_enabled=True``): a Python
   int, the bytes of the tensors autograd saves for backward during the forward pass of the MLP
   (before any loss), *excluding parameters* (weights are in memory anyway). A tensor saved by
   two operations is stored once and counts once; a tensor of ``n`` elements takes
   ``n * element size`` bytes (2 for bfloat16, 4 for float32, 8 for float64).
   ``grad_enabled=False`` is inference under ``torch.no_grad()``. The rules torch
   follows:

   * An operation saves only what its backward formula reads, and only for gradients that are
     needed. When none of its inputs requires grad (the data ``x``, a frozen layer's output),
     it records nothing at all.
   * ``out = h @ W.T + b``: ``dW = grad_out.T @ h`` reads the layer's input ``h``, saved when
     ``W`` requires grad; ``dh = grad_out @ W`` reads ``W`` (a parameter: not counted);
     ``db`` is a sum of ``grad_out`` and reads nothing.
   * Activations: torch writes the derivative from the *output* where it can (sigmoid:
     ``y(1 - y)``, tanh: ``1 - y**2``, relu: ``y > 0``) and saves the output; GELU and SiLU
     have derivatives that need the *input*, which is saved instead.

3. ``training_memory(batch, sizes, activation, dtype, optimizer, *, frozen_layers=0)``: a dict
   of byte counts (Python ints) for one training step (forward, backward, ``optimizer.step()``):

   * ``"parameters"``: every weight and bias, frozen ones included;
   * ``"gradients"``: one ``.grad`` per trainable parameter, of its size and dtype;
   * ``"optimizer_state"``: ``"sgd"`` keeps nothing; ``"momentum"`` (SGD with momentum) one
     buffer per trainable parameter; ``"adam"`` two (``exp_avg`` and ``exp_avg_sq``; ignore its
     scalar step counter). States have their parameter's dtype;
   * ``"activations"``: ``saved_activation_bytes`` with grad enabled.

The grader builds this MLP in torch and counts what autograd really saves, with
``torch.autograd.graph.saved_tensors_hooks``, and what the gradients and optimizer hold. You may
not use autograd or the hooks: work the counts out. ``dtype`` is a ``torch.dtype``
(``dtype.itemsize`` is its element size).

Example (batch 4, sizes [5, 7, 3], float32)::

    >>> saved_activation_bytes(4, [5, 7, 3], "sigmoid", torch.float32)  # x (4, 5) and y1 (4, 7)
    192
    >>> saved_activation_bytes(4, [5, 7, 3], "gelu", torch.float32)     # and GELU's input (4, 7)
    304
    >>> training_memory(4, [5, 7, 3], "sigmoid", torch.float32, "adam")  # 66 parameters
    {'parameters': 264, 'gradients': 264, 'optimizer_state': 528, 'activations': 192}
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch


def sigmoid_backward(y: np.ndarray, grad_output: np.ndarray) -> np.ndarray:
    """d(loss)/d(x) for ``y = sigmoid(x)``, from the output ``y`` and d(loss)/d(y)."""
    raise NotImplementedError("sigmoid_backward")


def saved_activation_bytes(
    batch: int,
    sizes: Sequence[int],
    activation: str,
    dtype: torch.dtype,
    *,
    frozen_layers: int = 0,
    grad_enabled: bool = True,
) -> int:
    """Bytes of the non-parameter tensors autograd keeps for backward after the forward pass."""
    raise NotImplementedError("saved_activation_bytes")


def training_memory(
    batch: int,
    sizes: Sequence[int],
    activation: str,
    dtype: torch.dtype,
    optimizer: str,
    *,
    frozen_layers: int = 0,
) -> dict[str, int]:
    """Bytes of parameters, gradients, optimizer state and saved activations in training."""
    raise NotImplementedError("training_memory")
