"""He (Kaiming) initialisation, normal and uniform, with the gain of the nonlinearity.

Source question: 简介常见初始化方法及其思路 (s001-01; also s002-16 "6.1 初始化").

LeCun/Xavier keep ``Var[y] = fan_in * Var[w] * Var[x]`` constant for an activation that passes
its whole input on. ReLU zeroes half of it, which halves the second moment at every layer, so He
et al. double the weight variance: ``Var[w] = 2 / fan_in``. In general the variance is
``gain**2 / fan`` with a *gain* per nonlinearity, as in ``torch.nn.init.calculate_gain``:

* ``"linear"``: ``1``
* ``"tanh"``: ``5 / 3``
* ``"relu"``: ``sqrt(2)``
* ``"leaky_relu"``: ``sqrt(2 / (1 + a**2))``, where ``a`` is the negative slope

Implement:

* ``gain(nonlinearity, a=0.0)`` -- the list above; ``a`` only matters for ``"leaky_relu"``
  (note: our default slope is ``a = 0``, as in ``kaiming_normal_``, so ``gain("leaky_relu")``
  is ``sqrt(2)``). Any other name raises ``ValueError``.
* ``he_normal(shape, rng, mode="fan_in", nonlinearity="leaky_relu", a=0.0)`` -- samples of
  ``N(0, std**2)`` with ``std = gain(nonlinearity, a) / sqrt(fan)``.
* ``he_uniform(...)`` (same arguments) -- samples of ``U(-bound, bound)`` with
  ``bound = sqrt(3) * std``, the same variance.

``mode`` picks the fan: ``"fan_in"`` preserves the variance of the activations in the forward
pass, ``"fan_out"`` that of the gradients in the backward pass. Any other mode raises
``ValueError``. The fans follow PyTorch's weight layout: ``(out, in)`` for Linear, ``(out, in,
*kernel)`` for Conv, ``fan_in = in * prod(kernel)``, ``fan_out = out * prod(kernel)``.

Conventions:

* ``shape`` is a tuple of ints (at least 2 of them); the samplers return a float64 ``numpy``
  array of exactly that shape, drawn only from the ``numpy.random.Generator`` passed as ``rng``
  (same seed, same samples).
* ``torch.nn.init`` (``kaiming_normal_``, ``kaiming_uniform_``, ``calculate_gain`` and its fan
  helpers) is not allowed in this kata; the grader uses it to check you. The grader draws large
  tensors at fixed seeds and compares their sample statistics with 6-standard-error bounds.

Example::

    >>> gain("leaky_relu", a=1.0)          # slope 1: leaky ReLU is the identity
    1.0
    >>> w = he_normal((128, 64, 3, 3), np.random.default_rng(0))   # fan_in = 64 * 9 = 576
    >>> round(float(w.std()), 3)          # sqrt(2 / 576) = 0.0589...
    0.059
"""

from __future__ import annotations

import numpy as np


def gain(nonlinearity: str, a: float = 0.0) -> float:
    """The recommended gain of ``nonlinearity`` (``a``: negative slope of leaky ReLU)."""
    raise NotImplementedError("gain")


def he_normal(
    shape: tuple[int, ...],
    rng: np.random.Generator,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    a: float = 0.0,
) -> np.ndarray:
    """Samples of ``N(0, std**2)``, ``std = gain(nonlinearity, a) / sqrt(fan)``."""
    raise NotImplementedError("he_normal")


def he_uniform(
    shape: tuple[int, ...],
    rng: np.random.Generator,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    a: float = 0.0,
) -> np.ndarray:
    """Samples of ``U(-bound, bound)``, ``bound = sqrt(3) * gain(nonlinearity, a) / sqrt(fan)``."""
    raise NotImplementedError("he_uniform")
