"""Reference solution: Gumbel-max sampling, Gumbel-softmax, and the straight-through sample."""

from __future__ import annotations

import torch


def gumbel_max_sample(logits: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    u = torch.rand(logits.shape, generator=generator, dtype=torch.float64)
    # u = 0 would give -log(-log 0) = -inf: harmless for argmax, but keep the noise finite.
    u = u.clamp_min(torch.finfo(torch.float64).tiny)
    g = -torch.log(-torch.log(u))  # standard Gumbel: the max-stable law, so argmax ~ softmax
    return torch.argmax(logits.double() + g, dim=-1)


def gumbel_softmax(logits: torch.Tensor, noise: torch.Tensor, tau: float) -> torch.Tensor:
    z = (logits + noise) / tau
    # The max shift keeps exp finite when tau is small and z is in the thousands.
    z = z - z.max(dim=-1, keepdim=True).values
    e = torch.exp(z)
    return e / e.sum(dim=-1, keepdim=True)


def straight_through(logits: torch.Tensor, noise: torch.Tensor, tau: float) -> torch.Tensor:
    soft = gumbel_softmax(logits, noise, tau)
    index = torch.argmax(logits + noise, dim=-1, keepdim=True)
    hard = torch.zeros_like(soft).scatter_(-1, index, 1.0)
    # Forward: hard (the soft terms cancel); backward: the gradient of soft only.
    return hard - soft.detach() + soft
