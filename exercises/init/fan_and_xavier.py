"""Fans, LeCun and Xavier (Glorot) initialisation from scratch.

Source question: 简介常见初始化方法及其思路 (s001-01; also s000-01, s002-16 "6.1 初始化", s004-06).

Why initialisation matters: a layer computes ``y_j = sum_i w_ji x_i`` over ``n`` inputs, so with
independent zero-mean weights and inputs ``Var[y] = n * Var[w] * Var[x]``. Keeping ``Var[y]``
equal to ``Var[x]`` layer after layer asks for ``Var[w] = 1 / n``.

1. ``fan_in_fan_out(shape)`` -- the fans of a weight tensor, with PyTorch's layout and rules:

   * Linear weight ``(out_features, in_features)``: ``fan_in = in_features``,
     ``fan_out = out_features`` (note the order: the *second* axis is the input).
   * Conv weight ``(out_channels, in_channels, *kernel)`` for 1-D, 2-D or 3-D kernels: every
     output is a sum over ``in_channels * prod(kernel)`` inputs, so
     ``fan_in = in_channels * receptive_field`` and ``fan_out = out_channels * receptive_field``
     with ``receptive_field = prod(kernel)``.
   * Fewer than 2 dimensions: raise ``ValueError`` (a bias has no fans).

   Return a tuple of two Python ints ``(fan_in, fan_out)``.

2. ``lecun_normal(shape, rng)`` -- samples from ``N(0, 1 / fan_in)``. This keeps the forward
   variance (what seed 001 calls "Xavier": ``randn(n_in, n_out) / sqrt(n_in)``).
3. ``xavier_normal(shape, rng, gain=1.0)`` -- Glorot's compromise between the forward condition
   ``fan_in * Var[w] = 1`` and the backward one ``fan_out * Var[w] = 1``:
   ``N(0, std**2)`` with ``std = gain * sqrt(2 / (fan_in + fan_out))``.
4. ``xavier_uniform(shape, rng, gain=1.0)`` -- the same variance from a uniform distribution:
   ``U(-bound, bound)`` with ``bound = gain * sqrt(6 / (fan_in + fan_out))`` (a uniform on
   ``[-b, b]`` has variance ``b**2 / 3``).

Conventions:

* ``shape`` is a tuple of ints; every sampler returns a float64 ``numpy`` array of exactly that
  shape.
* Draw every random number from the ``numpy.random.Generator`` passed as ``rng`` (for example
  ``rng.normal`` / ``rng.uniform``), never from ``np.random.*`` global state or a generator of
  your own: the same seed must give the same samples.
* Write it with NumPy. ``torch.nn.init`` (``xavier_normal_``, ``xavier_uniform_`` and its fan
  helper ``_calculate_fan_in_and_fan_out``) is not allowed in this kata; the grader uses them to
  check you.

The grader draws large tensors at fixed seeds and checks the sample statistics against
chi-square / standard-error bounds (6 standard errors, so a correct solution never fails).

Example::

    >>> fan_in_fan_out((64, 32, 3, 5))     # conv: 3 x 5 kernel, receptive field 15
    (480, 960)
    >>> w = xavier_uniform((64, 32, 3, 5), np.random.default_rng(0))
    >>> w.shape, bool(np.abs(w).max() <= np.sqrt(6 / (480 + 960)))
    ((64, 32, 3, 5), True)
"""

from __future__ import annotations

import numpy as np


def fan_in_fan_out(shape: tuple[int, ...]) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a Linear ``(out, in)`` or Conv ``(out, in, *kernel)`` weight."""
    # TODO: the receptive field is the product of the kernel dimensions (1 for a Linear weight).
    raise NotImplementedError("fan_in_fan_out")


def lecun_normal(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Samples of ``N(0, 1 / fan_in)`` with the given shape."""
    raise NotImplementedError("lecun_normal")


def xavier_normal(
    shape: tuple[int, ...], rng: np.random.Generator, gain: float = 1.0
) -> np.ndarray:
    """Samples of ``N(0, std**2)``, ``std = gain * sqrt(2 / (fan_in + fan_out))``."""
    raise NotImplementedError("xavier_normal")


def xavier_uniform(
    shape: tuple[int, ...], rng: np.random.Generator, gain: float = 1.0
) -> np.ndarray:
    """Samples of ``U(-bound, bound)``, ``bound = gain * sqrt(6 / (fan_in + fan_out))``."""
    raise NotImplementedError("xavier_uniform")
