"""Learning-rate schedules: step, exponential, cosine, linear warmup and reduce-on-plateau.

Source question: 35. SGD 以及学习率的选择方法，带动量的 SGD 对于 Hessian 矩阵病态条件及
随机梯度方差的影响 (s004-05; also s002-19 "6.4 网络的训练" and s002-20 "6.4 学习率":
start with a larger learning rate and lower it when the loss stops improving).

Every schedule function returns the learning rate to use during epoch ``epoch``, counting from 0:
``epoch`` is the number of times torch's ``scheduler.step()`` has been called. Each must agree
with the ``torch.optim.lr_scheduler`` class named beside it, for every epoch (the grader drives
torch's schedulers for many epochs). Return a Python float.

* ``step_lr(base_lr, epoch, *, step_size, gamma=0.1)`` -- ``StepLR``: multiply by ``gamma``
  once every ``step_size`` epochs, i.e. ``base_lr * gamma ** (epoch // step_size)``. The first
  decay happens at epoch ``step_size``, not before.
* ``exponential_lr(base_lr, epoch, *, gamma)`` -- ``ExponentialLR``: ``base_lr * gamma ** epoch``.
* ``cosine_lr(base_lr, epoch, *, t_max, eta_min=0.0)`` -- ``CosineAnnealingLR``::

      eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / t_max)) / 2

  ``base_lr`` at epoch 0, ``eta_min`` at epoch ``t_max``. The same formula holds after ``t_max``
  (the rate climbs back up, as torch's does).
* ``linear_warmup_lr(base_lr, epoch, *, start_factor=1/3, end_factor=1.0, total_iters=5)`` --
  ``LinearLR``: the factor goes linearly from ``start_factor`` at epoch 0 to ``end_factor`` at
  epoch ``total_iters`` and stays there: ``base_lr * (start_factor + (end_factor - start_factor)
  * min(epoch, total_iters) / total_iters)``.
* ``warmup_cosine_lr(base_lr, epoch, *, warmup_epochs, t_max, start_factor, eta_min=0.0)`` --
  ``SequentialLR([LinearLR(start_factor, total_iters=warmup_epochs), CosineAnnealingLR(t_max,
  eta_min)], milestones=[warmup_epochs])``: the linear warmup for epochs ``0 .. warmup_epochs - 1``,
  then the cosine schedule restarted from its own epoch 0 (``base_lr``) at ``warmup_epochs``.

``ReduceLROnPlateau(lr, *, mode="min", factor=0.1, patience=10, threshold=1e-4,
threshold_mode="rel", cooldown=0, min_lr=0.0, eps=1e-8)`` -- torch's ``ReduceLROnPlateau``.
``step(metric)`` is called once per epoch with the validation metric and returns the learning
rate for the next epoch. Its rules, in this order at each call:

1. The metric is *better* than ``best`` (``inf`` at the start for ``mode="min"``, ``-inf`` for
   ``"max"``) when, for ``"min"``, ``metric < best * (1 - threshold)`` (``threshold_mode="rel"``)
   or ``metric < best - threshold`` (``"abs"``); for ``"max"``, ``metric > best * (1 +
   threshold)`` or ``metric > best + threshold``. If better: ``best = metric`` and the count of
   bad epochs goes back to 0; otherwise the count goes up by 1.
2. While cooling down (the cooldown counter is > 0) the counter drops by 1 and the count of bad
   epochs is reset to 0.
3. When the count of bad epochs *exceeds* ``patience``: ``new = max(lr * factor, min_lr)``, and
   ``lr = new`` only if ``lr - new > eps``; then the cooldown counter is set to ``cooldown`` and
   the count of bad epochs to 0.

So with ``patience=2`` the rate drops at the third bad epoch in a row, not the second.

Write the formulas yourself: the schedulers of ``torch.optim.lr_scheduler`` are not allowed.

Example::

    >>> [step_lr(1.0, e, step_size=2, gamma=0.5) for e in range(5)]
    [1.0, 1.0, 0.5, 0.5, 0.25]
    >>> plateau = ReduceLROnPlateau(1.0, factor=0.5, patience=1)
    >>> [plateau.step(m) for m in [3.0, 2.0, 2.0, 2.0, 1.0, 1.0, 1.0]]
    [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]
"""

from __future__ import annotations


def step_lr(base_lr: float, epoch: int, *, step_size: int, gamma: float = 0.1) -> float:
    """``base_lr`` decayed by ``gamma`` every ``step_size`` epochs."""
    raise NotImplementedError("step_lr")


def exponential_lr(base_lr: float, epoch: int, *, gamma: float) -> float:
    """``base_lr`` decayed by ``gamma`` every epoch."""
    raise NotImplementedError("exponential_lr")


def cosine_lr(base_lr: float, epoch: int, *, t_max: int, eta_min: float = 0.0) -> float:
    """Cosine annealing from ``base_lr`` (epoch 0) to ``eta_min`` (epoch ``t_max``)."""
    raise NotImplementedError("cosine_lr")


def linear_warmup_lr(
    base_lr: float,
    epoch: int,
    *,
    start_factor: float = 1.0 / 3.0,
    end_factor: float = 1.0,
    total_iters: int = 5,
) -> float:
    """``base_lr`` times a factor moving linearly from ``start_factor`` to ``end_factor``."""
    raise NotImplementedError("linear_warmup_lr")


def warmup_cosine_lr(
    base_lr: float,
    epoch: int,
    *,
    warmup_epochs: int,
    t_max: int,
    start_factor: float,
    eta_min: float = 0.0,
) -> float:
    """Linear warmup for ``warmup_epochs`` epochs, then cosine annealing over ``t_max`` epochs."""
    raise NotImplementedError("warmup_cosine_lr")


class ReduceLROnPlateau:
    """Divide the learning rate by ``1 / factor`` when the metric stops improving."""

    def __init__(
        self,
        lr: float,
        *,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float = 0.0,
        eps: float = 1e-8,
    ) -> None:
        raise NotImplementedError("ReduceLROnPlateau.__init__")

    def step(self, metric: float) -> float:
        """Record one epoch's metric; return the learning rate for the next epoch."""
        raise NotImplementedError("ReduceLROnPlateau.step")
