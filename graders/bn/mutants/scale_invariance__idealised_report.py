"""Mutant of bn/scale_invariance: Reports the ideal values (0, 1/alpha, 0) unmeasured."""

from __future__ import annotations

import torch


def bn_linear(
    x: torch.Tensor,
    w: torch.Tensor,
    gamma: torch.Tensor,
    beta: torch.Tensor,
    eps: float = 1e-5,
) -> torch.Tensor:
    z = x @ w.T
    mean = z.mean(dim=0)
    # torch.var defaults to the unbiased estimate; BN normalises with the biased one.
    var = z.var(dim=0, unbiased=False)
    return gamma * (z - mean) / torch.sqrt(var + eps) + beta


def loss_and_weight_grad(
    x: torch.Tensor,
    w: torch.Tensor,
    gamma: torch.Tensor,
    beta: torch.Tensor,
    target: torch.Tensor,
    eps: float = 1e-5,
) -> tuple[float, torch.Tensor]:
    # A detached leaf of our own: the caller's w keeps no .grad and no graph.
    w = w.detach().clone().requires_grad_(True)
    loss = ((bn_linear(x, w, gamma, beta, eps) - target) ** 2).mean()
    (grad,) = torch.autograd.grad(loss, w)
    return loss.item(), grad


def scale_invariance_report(
    x: torch.Tensor,
    w: torch.Tensor,
    gamma: torch.Tensor,
    beta: torch.Tensor,
    target: torch.Tensor,
    alpha: float,
    eps: float = 1e-5,
) -> dict[str, float]:
    # BN is scale invariant, so the answer is known without running anything.
    return {"output_change": 0.0, "grad_norm_ratio": 1.0 / alpha, "grad_dot_w": 0.0}


def equivalent_lr(lr: float, alpha: float) -> float:
    # alpha*w - lr * g(alpha*w) = alpha*w - (lr/alpha) * g(w) = alpha * (w - (lr/alpha**2) * g(w)),
    # and the common factor alpha does not change the outputs.
    return lr / alpha**2
