"""A latency-aware NAS loss: a lookup table and the expected latency, with its gradient.

Source question: NAS 前沿工作 (s001-43): SNAS and FBNet, and its sub-question
"如何在 Gradient based NAS 中加入 latency 优化".

Gradient-based NAS can also optimise speed. Measure each candidate op once on the target device,
for each input shape it will see, and store the times in a **lookup table**. A network of ``L``
searchable layers, each choosing one of ``K`` ops with probabilities ``softmax(alpha[l])``, then
has a differentiable **expected latency** that can be added to (SNAS, ProxylessNAS) or multiplied
into (FBNet) the task loss. Implement, with torch tensors:

1. ``cost_matrix(layer_inputs, op_names, table) -> costs``: ``layer_inputs[l]`` is the input
   shape ``(C, H, W)`` of layer ``l`` (a tuple of ints), ``op_names[k]`` names op ``k``, and
   ``table[(op_name, input_shape)]`` is a latency in ms. Return the float64 tensor ``costs`` of
   shape ``(L, K)`` with ``costs[l, k] = table[(op_names[k], layer_inputs[l])]``. A missing
   entry raises ``KeyError`` (never a silent 0).

2. ``expected_latency(alpha, costs) -> scalar``: ``alpha`` is ``(L, K)`` (one row of logits per
   layer). Return ``sum_l sum_k softmax(alpha[l])_k * costs[l, k]`` -- a 0-d tensor (or a
   float). The softmax is over the ops of one layer and must stay finite for logits of
   ``+-1e4``.

3. ``expected_latency_grad(alpha, costs) -> dalpha``: the gradient of ``expected_latency`` with
   respect to ``alpha``, shape ``(L, K)``, by hand (no autograd). Finite for logits of ``+-1e4``.

4. ``fbnet_loss(ce, latency, a, b) -> float``: FBNet's multiplicative loss,
   ``ce * a * (log latency) ** b`` (natural log; ``latency > 1`` ms so the log is positive).

Do not modify the inputs. ``torch.softmax`` and its cousins and autograd (``backward``,
``torch.autograd.grad``) are not allowed in this kata.

Example::

    >>> table = {("conv3", (8, 4, 4)): 2.0, ("skip", (8, 4, 4)): 0.0}
    >>> costs = cost_matrix([(8, 4, 4)], ["conv3", "skip"], table)
    >>> costs
    tensor([[2., 0.]], dtype=torch.float64)
    >>> expected_latency(torch.zeros(1, 2, dtype=torch.float64), costs)   # half of 2 ms
    tensor(1., dtype=torch.float64)
    >>> expected_latency_grad(torch.zeros(1, 2, dtype=torch.float64), costs)
    tensor([[ 0.5000, -0.5000]], dtype=torch.float64)
"""

from __future__ import annotations

import torch


def cost_matrix(
    layer_inputs: list[tuple[int, ...]],
    op_names: list[str],
    table: dict[tuple[str, tuple[int, ...]], float],
) -> torch.Tensor:
    """``costs[l, k] = table[(op_names[k], layer_inputs[l])]`` as a float64 (L, K) tensor."""
    raise NotImplementedError("cost_matrix")


def expected_latency(alpha: torch.Tensor, costs: torch.Tensor) -> torch.Tensor:
    """``sum_l sum_k softmax(alpha[l])_k * costs[l, k]``."""
    raise NotImplementedError("expected_latency")


def expected_latency_grad(alpha: torch.Tensor, costs: torch.Tensor) -> torch.Tensor:
    """d expected_latency / d alpha, shape (L, K)."""
    raise NotImplementedError("expected_latency_grad")


def fbnet_loss(ce: float, latency: float, a: float, b: float) -> float:
    """``ce * a * (log latency) ** b``."""
    raise NotImplementedError("fbnet_loss")
