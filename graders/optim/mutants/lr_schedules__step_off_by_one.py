"""Mutant of optim/lr_schedules: step_lr decays one epoch early, (epoch + 1) // step_size."""

from __future__ import annotations

import math


def step_lr(base_lr: float, epoch: int, *, step_size: int, gamma: float = 0.1) -> float:
    # Integer division: epochs 0 .. step_size - 1 all keep the base rate.
    return base_lr * gamma ** ((epoch + 1) // step_size)


def exponential_lr(base_lr: float, epoch: int, *, gamma: float) -> float:
    return base_lr * gamma**epoch


def cosine_lr(base_lr: float, epoch: int, *, t_max: int, eta_min: float = 0.0) -> float:
    # Half a cosine period maps epochs 0 .. t_max onto factors 1 .. 0 of the span above eta_min.
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * epoch / t_max)) / 2


def linear_warmup_lr(
    base_lr: float,
    epoch: int,
    *,
    start_factor: float = 1.0 / 3.0,
    end_factor: float = 1.0,
    total_iters: int = 5,
) -> float:
    # Clamp the progress: after total_iters epochs the factor stays at end_factor.
    progress = min(epoch, total_iters) / total_iters
    return base_lr * (start_factor + (end_factor - start_factor) * progress)


def warmup_cosine_lr(
    base_lr: float,
    epoch: int,
    *,
    warmup_epochs: int,
    t_max: int,
    start_factor: float,
    eta_min: float = 0.0,
) -> float:
    if epoch < warmup_epochs:
        return linear_warmup_lr(
            base_lr, epoch, start_factor=start_factor, total_iters=warmup_epochs
        )
    # The cosine phase has its own clock, starting at 0 when the warmup ends.
    return cosine_lr(base_lr, epoch - warmup_epochs, t_max=t_max, eta_min=eta_min)


class ReduceLROnPlateau:
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
        if mode not in ("min", "max") or threshold_mode not in ("rel", "abs"):
            raise ValueError(f"unknown mode {mode!r} or threshold_mode {threshold_mode!r}")
        self.lr, self.mode, self.factor, self.patience = lr, mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.min_lr, self.eps = cooldown, min_lr, eps
        self.best = math.inf if mode == "min" else -math.inf
        self.bad_epochs = 0
        self.cooldown_counter = 0

    def _is_better(self, metric: float) -> bool:
        # Flip max into min so one comparison serves both modes.
        sign = 1.0 if self.mode == "min" else -1.0
        if self.threshold_mode == "rel":
            bar = self.best * (1 - sign * self.threshold)
        else:
            bar = self.best - sign * self.threshold
        return sign * metric < sign * bar

    def step(self, metric: float) -> float:
        metric = float(metric)
        if self._is_better(metric):
            self.best, self.bad_epochs = metric, 0
        else:
            self.bad_epochs += 1
        if self.cooldown_counter > 0:
            # Right after a reduction the metric needs time to respond: bad epochs don't count.
            self.cooldown_counter -= 1
            self.bad_epochs = 0
        # "Exceeds", not "reaches": patience is the number of bad epochs that are tolerated.
        if self.bad_epochs > self.patience:
            new_lr = max(self.lr * self.factor, self.min_lr)
            if self.lr - new_lr > self.eps:
                self.lr = new_lr
            self.cooldown_counter = self.cooldown
            self.bad_epochs = 0
        return self.lr
