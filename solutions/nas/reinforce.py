"""Reference solution: REINFORCE with a baseline for a factorised categorical controller."""

from __future__ import annotations

import torch


def log_prob_grad(logits: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
    shifted = logits - logits.max(dim=-1, keepdim=True).values
    p = torch.exp(shifted) / torch.exp(shifted).sum(dim=-1, keepdim=True)
    one_hot = torch.zeros((actions.shape[0], *logits.shape), dtype=logits.dtype)
    one_hot.scatter_(-1, actions.unsqueeze(-1), 1.0)
    # d log softmax(z)_a / dz = onehot(a) - softmax(z), one decision (row) at a time.
    return one_hot - p.unsqueeze(0)


def reinforce_gradient(
    logits: torch.Tensor, actions: torch.Tensor, rewards: torch.Tensor, baseline: float
) -> torch.Tensor:
    # Subtracting a constant leaves the mean unchanged (E[grad log p] = 0) but shrinks the spread.
    advantage = (rewards.to(logits.dtype) - baseline).reshape(-1, 1, 1)
    return (advantage * log_prob_grad(logits, actions)).mean(dim=0)


def update_baseline(baseline: float, rewards: torch.Tensor, decay: float) -> float:
    # ENAS: an exponential moving average that mostly keeps the old value.
    return float(decay * baseline + (1 - decay) * rewards.double().mean())
