"""Weight normalisation (forward and backward) and mean-only batch norm.

Source question: Q10: BN 的缺点及其衍生的特性 (s001-10).

Weight normalisation reparametrises a layer's weight rather than touching the data that flows
through it. Each slice of the weight is kept as two parameters, a vector ``v`` that only supplies
a direction and a separate ``g`` that sets the length:

    w = g * v / ||v||

Gradient descent can then grow or shrink a filter through ``g`` alone, and nothing here depends on
the other samples of the batch. A common companion is *mean-only batch norm*: a BN that shifts each
channel to zero batch mean and adds ``beta``, but never divides by a standard deviation.

Implement:

* ``weight_norm(v, g, dim=0)`` -> ``w``. ``||v||`` is the Euclidean norm over **every axis
  except** ``dim``, one norm per slice along ``dim``: with ``dim=0``, one norm per output row of a
  linear weight ``(out, in)`` or per filter of a conv weight ``(out, in, kh, kw)``. ``g`` has the
  shape of ``v`` with every axis except ``dim`` set to 1 (e.g. ``(out, 1, 1, 1)`` for a conv
  weight with ``dim=0``). ``dim=None`` means a single norm over the whole tensor, and ``g`` is
  then a 0-d array. This is the convention of torch's ``weight_norm`` parametrization.
  ``dim`` is ``None`` or an axis ``0 <= dim < v.ndim``.
* ``weight_norm_backward(v, g, dw, dim=0)`` -> ``(dv, dg)``: given ``dw = dL/dw`` (shape of
  ``v``), return ``dL/dv`` (shape of ``v``) and ``dL/dg`` (shape of ``g``), in closed form
  derived by hand.
* ``mean_only_batchnorm(x, beta)`` -> ``x - mean + beta``: ``x`` is ``(N, C)`` or
  ``(N, C, H, W)``, ``mean`` is the batch mean per channel (over every axis except 1, as in batch
  norm), ``beta`` has shape ``(C,)``. There is no division by a standard deviation.

Conventions:

* Inputs are float64 NumPy arrays; return NumPy arrays (or tensors) of the shapes above.
* Do not modify any input array in place.
* Write it with NumPy (or basic torch tensor operations). ``torch._weight_norm``,
  ``torch.norm_except_dim``, ``torch.nn.utils.weight_norm`` and
  ``torch.nn.utils.parametrizations.weight_norm`` are not allowed in this kata, nor is automatic
  differentiation (``torch.autograd.grad``, ``torch.autograd.backward``, ``Tensor.backward``).

Example::

    >>> v = np.array([[3.0, 4.0], [0.0, 2.0]])          # two output rows, norms 5 and 2
    >>> weight_norm(v, np.array([[2.0], [1.0]]), dim=0)  # each row gets the length g
    array([[1.2, 1.6],
           [0. , 1. ]])
    >>> x = np.array([[1.0, 10.0], [3.0, 30.0]])         # channel means 2 and 20
    >>> mean_only_batchnorm(x, np.array([0.0, 1.0]))
    array([[-1., -9.],
           [ 1., 11.]])
"""

from __future__ import annotations

import numpy as np


def weight_norm(v: np.ndarray, g: np.ndarray, dim: int | None = 0) -> np.ndarray:
    """Return ``w = g * v / ||v||``, the norm taken over every axis of ``v`` except ``dim``."""
    # TODO: the norm of each slice along dim, kept broadcastable against v.
    raise NotImplementedError("weight_norm")


def weight_norm_backward(
    v: np.ndarray, g: np.ndarray, dw: np.ndarray, dim: int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(dv, dg)`` for ``w = weight_norm(v, g, dim)`` and upstream gradient ``dw``."""
    # TODO: dg has the shape of g, dv the shape of v.
    raise NotImplementedError("weight_norm_backward")


def mean_only_batchnorm(x: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Subtract the per-channel batch mean from ``x`` ((N, C) or (N, C, H, W)) and add ``beta``."""
    # TODO: per-channel mean over every axis except 1, then a per-channel shift.
    raise NotImplementedError("mean_only_batchnorm")
