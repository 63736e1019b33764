"""Reference solution for reg/dropout."""

from __future__ import annotations

from collections.abc import Callable

import torch


def _check(p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")


def dropout_forward(
    x: torch.Tensor, p: float, training: bool, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    _check(p)
    if not training or p == 0.0:
        # Inverted dropout did its scaling during training: evaluation is the identity.
        return x.clone(), torch.ones(x.shape, dtype=torch.bool)
    if p == 1.0:
        # Nothing survives; 1 / (1 - p) would be 0 / 0.
        return torch.zeros_like(x), torch.zeros(x.shape, dtype=torch.bool)
    mask = torch.rand(x.shape, generator=generator, dtype=torch.float64) >= p
    return x * mask / (1.0 - p), mask


def dropout_backward(dout: torch.Tensor, mask: torch.Tensor, p: float) -> torch.Tensor:
    _check(p)
    if p == 1.0:
        return torch.zeros_like(dout)
    # The same mask as the forward pass: a dropped unit did not affect the output.
    return dout * mask / (1.0 - p)


def mc_dropout_predict(
    f: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    p: float,
    samples: int,
    generator: torch.Generator,
) -> torch.Tensor:
    # Dropout stays on: each draw is one member of the implicit ensemble.
    outputs = [f(dropout_forward(x, p, True, generator)[0]) for _ in range(samples)]
    return torch.stack(outputs).mean(dim=0)
