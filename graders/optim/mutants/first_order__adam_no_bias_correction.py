"""Mutant of optim/first_order: Adam and AdamW skip the bias correction of m and v."""

from __future__ import annotations

import numpy as np


class SGD:
    def __init__(
        self,
        lr: float,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        self.lr, self.momentum, self.nesterov = lr, momentum, nesterov
        self.weight_decay = weight_decay
        self.velocity: np.ndarray | None = None

    def step(self, param: np.ndarray, grad: np.ndarray) -> np.ndarray:
        g = grad + self.weight_decay * param
        if self.momentum == 0.0:
            return param - self.lr * g
        # Starting from zero makes the first velocity g itself, as torch's clone of the gradient.
        if self.velocity is None:
            self.velocity = np.zeros_like(param)
        self.velocity = self.momentum * self.velocity + g
        # Nesterov evaluates the step "one velocity ahead": the fresh gradient plus the
        # momentum-scaled new velocity, instead of the velocity alone.
        direction = g + self.momentum * self.velocity if self.nesterov else self.velocity
        return param - self.lr * direction


class EMAMomentum:
    def __init__(self, lr: float, beta: float = 0.9, weight_decay: float = 0.0) -> None:
        self.lr, self.beta, self.weight_decay = lr, beta, weight_decay
        self.m: np.ndarray | None = None

    def step(self, param: np.ndarray, grad: np.ndarray) -> np.ndarray:
        g = grad + self.weight_decay * param
        if self.m is None:
            self.m = np.zeros_like(param)
        # An average, not a sum: the velocity stays on the scale of one gradient, so this is
        # torch's momentum with the learning rate multiplied by (1 - beta).
        self.m = self.beta * self.m + (1 - self.beta) * g
        return param - self.lr * self.m


class AdaGrad:
    def __init__(self, lr: float = 0.01, eps: float = 1e-10, weight_decay: float = 0.0) -> None:
        self.lr, self.eps, self.weight_decay = lr, eps, weight_decay
        self.sum_sq: np.ndarray | None = None

    def step(self, param: np.ndarray, grad: np.ndarray) -> np.ndarray:
        g = grad + self.weight_decay * param
        if self.sum_sq is None:
            self.sum_sq = np.zeros_like(param)
        # The sum only grows, so every element's step size only shrinks.
        self.sum_sq = self.sum_sq + g * g
        return param - self.lr * g / (np.sqrt(self.sum_sq) + self.eps)


class RMSProp:
    def __init__(
        self, lr: float = 0.01, alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0.0
    ) -> None:
        self.lr, self.alpha, self.eps, self.weight_decay = lr, alpha, eps, weight_decay
        self.square_avg: np.ndarray | None = None

    def step(self, param: np.ndarray, grad: np.ndarray) -> np.ndarray:
        g = grad + self.weight_decay * param
        if self.square_avg is None:
            self.square_avg = np.zeros_like(param)
        # A moving average forgets old gradients, unlike AdaGrad's ever-growing sum.
        self.square_avg = self.alpha * self.square_avg + (1 - self.alpha) * g * g
        return param - self.lr * g / (np.sqrt(self.square_avg) + self.eps)


def _adam_update(state: dict, g: np.ndarray, lr: float, betas, eps: float) -> np.ndarray:
    """The Adam step for gradient ``g``, updating the moments in ``state``; shared with AdamW."""
    beta1, beta2 = betas
    if "m" not in state:
        state["m"], state["v"], state["t"] = np.zeros_like(g), np.zeros_like(g), 0
    state["t"] += 1
    state["m"] = beta1 * state["m"] + (1 - beta1) * g
    state["v"] = beta2 * state["v"] + (1 - beta2) * g * g
    # Both moments start at zero, so early averages are biased toward zero; dividing by
    # 1 - beta**t removes that bias exactly for a constant gradient.
    m_hat = state["m"]
    v_hat = state["v"]
    return lr * m_hat / (np.sqrt(v_hat) + eps)


class Adam:
    def __init__(
        self,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        self.lr, self.betas, self.eps, self.weight_decay = lr, betas, eps, weight_decay
        self.state: dict = {}

    def step(self, param: np.ndarray, grad: np.ndarray) -> np.ndarray:
        # L2 decay enters the moments, so Adam rescales it like any other gradient.
        g = grad + self.weight_decay * param
        return param - _adam_update(self.state, g, self.lr, self.betas, self.eps)


class AdamW:
    def __init__(
        self,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        self.lr, self.betas, self.eps, self.weight_decay = lr, betas, eps, weight_decay
        self.state: dict = {}

    def step(self, param: np.ndarray, grad: np.ndarray) -> np.ndarray:
        # Decoupled decay: shrink the weights directly, so the decay is not divided by
        # sqrt(v_hat) and every weight decays at the same relative rate.
        decayed = param * (1 - self.lr * self.weight_decay)
        return decayed - _adam_update(self.state, grad, self.lr, self.betas, self.eps)
