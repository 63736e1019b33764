"""Mutant of reg/parameter_sharing: the output weight is a copy of the embedding, not a tie."""

from __future__ import annotations

import torch
from torch import nn


class TiedLanguageModel(nn.Module):
    def __init__(self, vocab_size: int, dim: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, dim)
        self.hidden = nn.Linear(dim, dim)
        self.output = nn.Linear(dim, vocab_size)
        # Assignment, not a copy: one Parameter, so one storage and one .grad that both uses
        # accumulate into.
        self.output.weight = nn.Parameter(self.embedding.weight.detach().clone())

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.output(torch.tanh(self.hidden(self.embedding(tokens))))


class MultiTaskNet(nn.Module):
    def __init__(self, in_features: int, hidden: int, out_features: list[int]) -> None:
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU())
        # ModuleList registers the heads, so they appear in parameters() and state_dict().
        self.heads = nn.ModuleList(nn.Linear(hidden, k) for k in out_features)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        features = self.trunk(x)  # computed once, shared by every head
        return [head(features) for head in self.heads]


def count_parameters(module: nn.Module) -> int:
    # parameters() yields each Parameter object once, however many modules hold it.
    return sum(p.numel() for p in module.parameters())
