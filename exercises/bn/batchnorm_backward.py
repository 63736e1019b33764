"""Batch normalisation, backward pass in closed form.

Source question: 7.2.2 Batch Normalization的解决方案 (s002-28; also 如何进行 BN, s001-09).

In training mode batch norm computes, per channel ``c`` (axis 1), over the ``m`` values of that
channel (``m = N`` for an ``(N, C)`` input, ``m = N*H*W`` for an ``(N, C, H, W)`` input)::

    mean  = (1/m) * sum(x)
    var   = (1/m) * sum((x - mean)**2)          # the biased variance
    x_hat = (x - mean) / sqrt(var + eps)        # eps inside the square root
    out   = gamma * x_hat + beta

Given ``dout = dL/dout`` (same shape as ``x``) from the layer above, return the three gradients
``(dx, dgamma, dbeta)`` of the loss ``L``:

* ``dx``: shape of ``x``;
* ``dgamma``, ``dbeta``: shape ``(C,)``.

Remember that ``mean`` and ``var`` are themselves functions of every ``x`` in the channel: a
change to one value moves the statistics, and with them every output of its channel. Your ``dx``
must account for that.

Conventions:

* ``x`` and ``dout`` have the same shape, ``(N, C)`` or ``(N, C, H, W)``; ``gamma`` is ``(C,)``.
  ``beta`` does not enter any gradient, so it is not an argument.
* The gradients have the dtype of ``x`` (float32 or float64).
* Do not modify the input arrays.
* A channel whose values are all equal (``var == 0``) is legal: thanks to ``eps`` the gradients
  are finite, and yours must be too.
* Write it with NumPy, in closed form. Automatic differentiation (``torch.autograd.grad``,
  ``Tensor.backward``), ``torch.nn.functional.batch_norm`` and torch's own batch norm kernels
  (``torch.native_batch_norm``, ``torch.ops.aten.native_batch_norm_backward`` and the like) are
  not allowed in this kata.

Example (``N = 2``, ``C = 1``, ``eps = 0``): ``x = [[1], [3]]`` has mean 2 and variance 1, so
``x_hat = [[-1], [1]]``. With ``gamma = [2]`` and ``dout = [[1], [0]]``::

    >>> dx, dgamma, dbeta = batchnorm_backward(np.array([[1.0], [0.0]]), np.array([[1.0], [3.0]]),
    ...                                        np.array([2.0]), eps=0.0)
    >>> dgamma, dbeta                 # sum(dout * x_hat), sum(dout)
    (array([-1.]), array([1.]))
    >>> dx                            # two values normalise to -1 and +1 whatever they are
    array([[0.],
           [0.]])
"""

from __future__ import annotations

import numpy as np


def batchnorm_backward(
    dout: np.ndarray,
    x: np.ndarray,
    gamma: np.ndarray,
    eps: float = 1e-5,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of training-mode batch norm: return ``(dx, dgamma, dbeta)``.

    Shapes: ``dout`` and ``x`` are (N, C) or (N, C, H, W); ``gamma`` is (C,); ``dx`` has the
    shape of ``x``; ``dgamma`` and ``dbeta`` are (C,).
    """
    # TODO: recompute the per-channel statistics of x (over every axis except axis 1), then
    # backpropagate dout through the affine step, the normalisation, the variance and the mean.
    # No autograd and no torch batch_norm: derive the gradients by hand.
    raise NotImplementedError("batchnorm_backward")
