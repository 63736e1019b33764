"""Reference solution: BN's scale invariance, measured (see the exercise for the statement)."""

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
    with torch.no_grad():
        out = bn_linear(x, w, gamma, beta, eps)
        out_scaled = bn_linear(x, alpha * w, gamma, beta, eps)
    _, grad = loss_and_weight_grad(x, w, gamma, beta, target, eps)
    _, grad_scaled = loss_and_weight_grad(x, alpha * w, gamma, beta, target, eps)
    return {
        # With eps = 0 these are 0, 1/alpha and 0 up to rounding: the loss is constant along w,
        # so its gradient has no component along w and shrinks as w grows.
        "output_change": (out_scaled - out).abs().max().item(),
        "grad_norm_ratio": (grad_scaled.norm() / grad.norm()).item(),
        "grad_dot_w": (grad * w).sum().item(),
    }


def equivalent_lr(lr: float, alpha: float) -> float:
    # alpha*w - lr * g(alpha*w) = alpha*w - (lr/alpha) * g(w) = alpha * (w - (lr/alpha**2) * g(w)),
    # and the common factor alpha does not change the outputs.
    return lr / alpha**2
