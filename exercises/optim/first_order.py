"""First-order optimisers as stateful steppers: SGD, momentum, Nesterov, AdaGrad, RMSProp, Adam.

Source question: Q21: 深度学习常见优化器 (s001-21; also s004-05 "35. SGD 以及学习率的选择方法",
s004-07 "37. 自适应学习率算法: AdaGrad，RMSProp，Adam 等算法的做法",
s002-32 "9. 各种optimizer的总结").

Write six classes. Each one optimises ONE parameter array: build it with its hyper-parameters,
then call ``step(param, grad)`` once per iteration with the current parameter and its gradient
(NumPy float64 arrays of the same, arbitrary shape). ``step`` returns the updated parameter as a
new array and keeps whatever state it needs (velocity, running averages, step count) on the
object. It must not modify ``param`` or ``grad`` in place. Every state buffer starts at zero and
the step counter ``t`` counts from 1 at the first call.

Below ``g`` is the gradient *after* weight decay was added where the rule says so, and all
operations are elementwise.

``SGD(lr, momentum=0.0, nesterov=False, weight_decay=0.0)`` -- exactly ``torch.optim.SGD``
(with ``dampening=0``)::

    g = grad + weight_decay * param                 # L2 weight decay, through the gradient
    v = momentum * v + g                            # torch's velocity (v = g at t = 1)
    param = param - lr * v                          # plain momentum; momentum=0 is plain SGD
    param = param - lr * (g + momentum * v)         # ... instead, when nesterov=True

``EMAMomentum(lr, beta=0.9, weight_decay=0.0)`` -- momentum written as an exponential moving
average, the form of the question bank (m_t = beta * m_{t-1} + (1 - beta) * g_t)::

    g = grad + weight_decay * param
    m = beta * m + (1 - beta) * g
    param = param - lr * m

``AdaGrad(lr=0.01, eps=1e-10, weight_decay=0.0)`` -- ``torch.optim.Adagrad``::

    g = grad + weight_decay * param
    s = s + g**2                                    # sum of every squared gradient so far
    param = param - lr * g / (sqrt(s) + eps)        # eps OUTSIDE the square root

``RMSProp(lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0)`` -- ``torch.optim.RMSprop``
(no momentum, not centred)::

    g = grad + weight_decay * param
    s = alpha * s + (1 - alpha) * g**2
    param = param - lr * g / (sqrt(s) + eps)        # eps OUTSIDE the square root

``Adam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)`` -- ``torch.optim.Adam``,
whose weight decay is L2 through the gradient::

    g = grad + weight_decay * param
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    m_hat = m / (1 - beta1**t)                      # bias correction: m and v start at 0
    v_hat = v / (1 - beta2**t)
    param = param - lr * m_hat / (sqrt(v_hat) + eps)

``AdamW(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2)`` -- ``torch.optim.AdamW``:
the decay is *decoupled* from the gradient. First shrink the parameter,
``param = param - lr * weight_decay * param``, then take an Adam step with the raw ``grad``
(no ``weight_decay * param`` term in ``m`` or ``v``).

Write them with NumPy; ``torch.optim`` is not allowed in this kata (the grader compares your
trajectories with it, step by step, over many steps).

Example (SGD with momentum 0.5, lr 0.1, the same gradient 1.0 twice)::

    >>> opt = SGD(lr=0.1, momentum=0.5)
    >>> p = opt.step(np.array([1.0]), np.array([1.0]))   # v = 1,               p = 1 - 0.1
    >>> p
    array([0.9])
    >>> opt.step(p, np.array([1.0]))                     # v = 0.5 * 1 + 1 = 1.5, p = 0.9 - 0.15
    array([0.75])
"""

from __future__ import annotations

import numpy as np


class SGD:
    """Stochastic gradient descent with optional (torch-style) momentum and Nesterov momentum."""

    def __init__(
        self,
        lr: float,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        raise NotImplementedError("SGD.__init__")

    def step(self, param: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """Return the parameter after one update."""
        raise NotImplementedError("SGD.step")


class EMAMomentum:
    """Momentum as an exponential moving average of the gradients (the question bank's form)."""

    def __init__(self, lr: float, beta: float = 0.9, weight_decay: float = 0.0) -> None:
        raise NotImplementedError("EMAMomentum.__init__")

    def step(self, param: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """Return the parameter after one update."""
        raise NotImplementedError("EMAMomentum.step")


class AdaGrad:
    """AdaGrad: per-element step sizes from the sum of all squared gradients."""

    def __init__(self, lr: float = 0.01, eps: float = 1e-10, weight_decay: float = 0.0) -> None:
        raise NotImplementedError("AdaGrad.__init__")

    def step(self, param: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """Return the parameter after one update."""
        raise NotImplementedError("AdaGrad.step")


class RMSProp:
    """RMSProp: per-element step sizes from a moving average of squared gradients."""

    def __init__(
        self, lr: float = 0.01, alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0.0
    ) -> None:
        raise NotImplementedError("RMSProp.__init__")

    def step(self, param: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """Return the parameter after one update."""
        raise NotImplementedError("RMSProp.step")


class Adam:
    """Adam with bias correction; weight decay is L2, added to the gradient."""

    def __init__(
        self,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        raise NotImplementedError("Adam.__init__")

    def step(self, param: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """Return the parameter after one update."""
        raise NotImplementedError("Adam.step")


class AdamW:
    """Adam with decoupled weight decay."""

    def __init__(
        self,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        raise NotImplementedError("AdamW.__init__")

    def step(self, param: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """Return the parameter after one update."""
        raise NotImplementedError("AdamW.step")
