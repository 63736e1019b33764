"""Why batch norm helps: the layer before it stops caring about the scale of its weights.

Source question: Q6: 为什么要进行 BN (s001-06; also s000-06, s002-26 7.2 使用normalization的好处,
s002-27 7.2.1 Internal covariate shift, s003-07 什么是批归一化).

One explanation of BN's success is that it *re-parametrises* the network: a linear layer
followed by BN gives the same output whatever the scale of its weights, so the loss landscape no
longer has a direction (the norm of ``w``) along which things can blow up or vanish. This kata
measures that, with autograd.

The model is a linear layer without bias followed by training-mode batch norm, one feature per
output unit::

    z   = x @ w.T                                   # (N, D_in) @ (D_in, D_out) -> (N, D_out)
    out = gamma * (z - mean) / sqrt(var + eps) + beta

``mean`` and ``var`` are taken over the batch axis 0, per output feature; ``var`` is the biased
variance (divide by ``N``), ``eps`` goes inside the square root. The loss is the mean squared
error over all ``N * D_out`` entries: ``L = mean((out - target) ** 2)``.

Implement:

* ``bn_linear(x, w, gamma, beta, eps)`` -> ``out``, shape (N, D_out). It must be differentiable
  with respect to ``w``.
* ``loss_and_weight_grad(x, w, gamma, beta, target, eps)`` -> ``(L, dL/dw)``: the loss as a float
  and its gradient with respect to ``w``, shape (D_out, D_in). Use autograd.
* ``scale_invariance_report(x, w, gamma, beta, target, alpha, eps)`` -> a dict with three floats,
  *measured* (not derived on paper) with the ``eps`` given:

  - ``"output_change"``: ``max |bn_linear(x, alpha * w) - bn_linear(x, w)|``;
  - ``"grad_norm_ratio"``: ``||dL/dw at alpha * w|| / ||dL/dw at w||`` (Frobenius norms);
  - ``"grad_dot_w"``: ``sum(dL/dw at w  *  w)``, the inner product of the gradient with the
    weights.

  Look at what you get with ``eps = 0``, and then with ``eps > 0`` and an ``alpha`` so small that
  the variance of ``alpha * z`` falls below ``eps``.
* ``equivalent_lr(lr, alpha)``: one plain SGD step ``w <- w - lr * dL/dw`` taken from the scaled
  weights ``alpha * w`` changes the outputs exactly as one step taken from ``w`` with some other
  learning rate (when ``eps = 0``). Return that learning rate: it is the *effective* learning rate
  of a layer whose weights have grown by ``alpha``.

Conventions:

* Inputs are torch tensors of one floating dtype (float32 or float64); ``gamma``, ``beta`` have
  shape (D_out,), ``target`` (N, D_out). ``alpha > 0`` and ``N >= 2``.
* Do not modify any input, and leave no ``.grad`` on them: differentiate a detached copy.
* Use any torch operation, autograd included. ``torch.nn.functional.batch_norm`` refuses
  ``eps = 0``, which this kata uses, so write the normalisation out.

Example::

    >>> x = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> w = torch.tensor([[1.0, 1.0]])                  # z = [1, 1, 2]: mean 4/3, var 2/9
    >>> bn_linear(x, w, torch.ones(1), torch.zeros(1), eps=0.0)
    tensor([[-0.7071],
            [-0.7071],
            [ 1.4142]])
    >>> bn_linear(x, 10 * w, torch.ones(1), torch.zeros(1), eps=0.0)   # the same
    tensor([[-0.7071],
            [-0.7071],
            [ 1.4142]])
"""

from __future__ import annotations

import torch


def bn_linear(
    x: torch.Tensor,
    w: torch.Tensor,
    gamma: torch.Tensor,
    beta: torch.Tensor,
    eps: float = 1e-5,
) -> torch.Tensor:
    """Training-mode batch norm of ``x @ w.T``: (N, D_in), (D_out, D_in) -> (N, D_out)."""
    # TODO: the linear layer, then per-feature batch statistics over axis 0.
    raise NotImplementedError("bn_linear")


def loss_and_weight_grad(
    x: torch.Tensor,
    w: torch.Tensor,
    gamma: torch.Tensor,
    beta: torch.Tensor,
    target: torch.Tensor,
    eps: float = 1e-5,
) -> tuple[float, torch.Tensor]:
    """``(L, dL/dw)`` for ``L = mean((bn_linear(x, w, gamma, beta, eps) - target) ** 2)``."""
    # TODO: differentiate with respect to a detached copy of w that requires grad.
    raise NotImplementedError("loss_and_weight_grad")


def scale_invariance_report(
    x: torch.Tensor,
    w: torch.Tensor,
    gamma: torch.Tensor,
    beta: torch.Tensor,
    target: torch.Tensor,
    alpha: float,
    eps: float = 1e-5,
) -> dict[str, float]:
    """Measure ``output_change``, ``grad_norm_ratio`` and ``grad_dot_w`` (see the statement)."""
    # TODO: evaluate the model and its gradient at w and at alpha * w, and compare.
    raise NotImplementedError("scale_invariance_report")


def equivalent_lr(lr: float, alpha: float) -> float:
    """The learning rate at ``w`` that reproduces one SGD step of rate ``lr`` at ``alpha * w``."""
    # TODO: relate the gradient at alpha * w to the one at w, then compare the two steps.
    raise NotImplementedError("equivalent_lr")
