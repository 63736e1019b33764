"""Mutant of dist/mixed_precision: returns the float32 result instead of the input dtype."""

from __future__ import annotations

import torch


def _axes(x: torch.Tensor) -> list[int]:
    return [0, *range(2, x.dim())]


def accumulate_stats(x: torch.Tensor) -> tuple[int, torch.Tensor, torch.Tensor]:
    # Cast first: float16 tops out at 65504, and 300**2 alone is already 90000.
    wide = x.float()
    return x.numel() // x.shape[1], wide.sum(_axes(x)), (wide * wide).sum(_axes(x))


def batchnorm_mixed(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float = 1e-5
) -> torch.Tensor:
    count, total, total_sq = accumulate_stats(x)
    mean = total / count
    var = (total_sq / count - mean * mean).clamp_min(0)
    shape = (1, x.shape[1]) + (1,) * (x.dim() - 2)
    # Normalise in float32 too; only the result goes back to the narrow type.
    x_hat = (x.float() - mean.reshape(shape)) * torch.rsqrt(var.reshape(shape) + eps)
    out = x_hat * weight.float().reshape(shape) + bias.float().reshape(shape)
    return out


class DynamicLossScaler:
    def __init__(
        self,
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
    ) -> None:
        self._scale = float(init_scale)
        self.growth_factor = growth_factor
        self.backoff_factor = backoff_factor
        self.growth_interval = growth_interval
        self._good_steps = 0  # consecutive finite steps since the last growth or overflow

    def get_scale(self) -> float:
        return self._scale

    def scale(self, loss: torch.Tensor) -> torch.Tensor:
        return loss * self._scale

    def unscale_(self, grads: list[torch.Tensor]) -> bool:
        found_inf = False
        inv_scale = 1.0 / self._scale
        for grad in grads:
            found_inf = found_inf or not bool(torch.isfinite(grad).all())
            grad.mul_(inv_scale)
        return found_inf

    def update(self, found_inf: bool) -> None:
        if found_inf:
            # The scale was too big for this step: shrink it and start counting again.
            self._scale *= self.backoff_factor
            self._good_steps = 0
            return
        self._good_steps += 1
        if self._good_steps == self.growth_interval:
            # A long run without overflow: try a bigger scale to use more of fp16's range.
            self._scale *= self.growth_factor
            self._good_steps = 0

    def step(self, params: list[torch.Tensor], grads: list[torch.Tensor], lr: float) -> bool:
        found_inf = self.unscale_(grads)
        if not found_inf:  # an overflowed step would write inf/NaN into the weights: skip it
            with torch.no_grad():
                for param, grad in zip(params, grads, strict=True):
                    param.sub_(lr * grad)
        self.update(found_inf)
        return not found_inf
