"""Mixed precision: batch-norm statistics in float32 for float16 inputs, and a dynamic loss scaler.

Source question: 多 GPU 或分布式训练时，BN 如何处理 (s001-11).

Mixed-precision training runs most layers in float16 (largest finite value 65504, about three
significant digits) and keeps what overflows or needs precision in float32. This kata has two
parts.

**Part 1: batch norm for float16 activations.** Activations of a few hundred are ordinary, but
``300**2 = 90000`` is already ``inf`` in float16, and so is a sum of a few hundred such values.
Batch norm (and SyncBN, which exchanges exactly these sums) must accumulate in float32:

``accumulate_stats(x) -> (count, sum, sum_sq)``
    For ``x`` of shape ``(N, C)`` or ``(N, C, H, W)`` and dtype float16, bfloat16 or float32:
    ``count`` (int, values per channel) and the per-channel ``sum(x)`` and ``sum(x**2)``, as
    **float32** tensors of shape ``(C,)``, accumulated in float32 (cast before you square or add).

``batchnorm_mixed(x, weight, bias, eps=1e-5) -> out``
    Training-mode batch norm: ``mean`` and the biased ``var = E[x**2] - mean**2`` from
    ``accumulate_stats``, normalisation in float32, ``out = weight * x_hat + bias`` with float32
    ``weight`` and ``bias`` of shape ``(C,)``, and the result cast back to **the dtype of x**
    (float16 in, float16 out), as batch norm under ``torch.autocast`` behaves. Do not modify ``x``.

**Part 2: dynamic loss scaling.** Small gradients underflow to 0 in float16, so the loss is
multiplied by a large *scale* before backward and the gradients divided by it afterwards. When
the scale is too large, some gradient becomes inf or NaN: that step is skipped and the scale
shrinks; after ``growth_interval`` consecutive good steps it grows again. Implement
``DynamicLossScaler`` with the rules of ``torch.amp.GradScaler``:

* ``DynamicLossScaler(init_scale=2.0**16, growth_factor=2.0, backoff_factor=0.5,
  growth_interval=2000)``; ``get_scale() -> float``, the current scale.
* ``scale(loss)``: the loss times the current scale.
* ``unscale_(grads) -> bool``: divide every tensor in the list ``grads`` in place by the scale
  (multiplying by ``1 / scale`` is fine); return ``found_inf``: True if any gradient contains
  inf or NaN.
* ``update(found_inf)``: the scale's bookkeeping, once per step. With an overflow: ``scale *=
  backoff_factor`` and the count of consecutive good steps goes back to 0. Without: the count
  goes up by one, and when it reaches ``growth_interval``, ``scale *= growth_factor`` and the
  count restarts from 0.
* ``step(params, grads, lr) -> bool``: one plain-SGD step from gradients of the *scaled* loss:
  ``unscale_(grads)``; if no overflow, ``param -= lr * grad`` for each pair, in place; then
  ``update(found_inf)``. Return True if the parameters were updated, False if the step was
  skipped.

The grader drives ``torch.amp.GradScaler`` with the same scripted sequence of finite and
overflowing gradients and compares the scale after every step, and the parameters.
``GradScaler``, torch's ``_amp_*`` kernels and batch-norm functions are not allowed here.

Example: ``DynamicLossScaler(init_scale=8.0, growth_interval=2)`` with steps good, good, inf,
good has scales 8 -> 8 -> 16 -> 8 -> 8 (the count restarted at the overflow; one more good step
would bring it to 2 and grow the scale to 16).
"""

from __future__ import annotations

import torch


def accumulate_stats(x: torch.Tensor) -> tuple[int, torch.Tensor, torch.Tensor]:
    """``(count, sum, sum_sq)`` per channel; the two sums are float32 tensors of shape (C,)."""
    # TODO: accumulate in float32 whatever the dtype of x.
    raise NotImplementedError("accumulate_stats")


def batchnorm_mixed(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float = 1e-5
) -> torch.Tensor:
    """Training-mode batch norm with float32 statistics; the output has the dtype of ``x``."""
    # TODO: statistics from accumulate_stats, normalise in float32, cast the result back.
    raise NotImplementedError("batchnorm_mixed")


class DynamicLossScaler:
    """Loss scaling with backoff on overflow and growth after ``growth_interval`` good steps."""

    def __init__(
        self,
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
    ) -> None:
        # TODO: remember the settings, the scale and a count of consecutive good steps.
        raise NotImplementedError("DynamicLossScaler.__init__")

    def get_scale(self) -> float:
        """The current scale."""
        raise NotImplementedError("DynamicLossScaler.get_scale")

    def scale(self, loss: torch.Tensor) -> torch.Tensor:
        """``loss`` times the current scale."""
        raise NotImplementedError("DynamicLossScaler.scale")

    def unscale_(self, grads: list[torch.Tensor]) -> bool:
        """Divide each gradient in place by the scale; True if any is inf or NaN."""
        raise NotImplementedError("DynamicLossScaler.unscale_")

    def update(self, found_inf: bool) -> None:
        """Back off after an overflow; grow after ``growth_interval`` consecutive good steps."""
        raise NotImplementedError("DynamicLossScaler.update")

    def step(self, params: list[torch.Tensor], grads: list[torch.Tensor], lr: float) -> bool:
        """Unscale, SGD-update the parameters unless a gradient overflowed, update the scale."""
        raise NotImplementedError("DynamicLossScaler.step")
