"""Vanishing and exploding gradients: measure them, explain them, clip them.

Source question: Q16: 梯度消失爆炸的原因及解决方法 (s001-16; also s002-11, s002-12, s004-04
and s001-27 为什么残差连接能避免梯度消失).

1. ``layer_grad_norms(weights, x, activation, residual=False)``. A deep MLP without biases::

       h_0 = x                                   # (N, d_0)
       a_l = h_{l-1} @ W_l.T                     # W_l has shape (d_l, d_{l-1})
       h_l = f(a_l)            (plain)
       h_l = f(a_l) + h_{l-1}  (residual=True; every W_l must then be square, else ValueError)
       loss = h_L.sum()

   with ``f`` one of ``"sigmoid"``, ``"tanh"``, ``"relu"`` (relu'(0) = 0; anything else raises
   ``ValueError``). Return a float64 array of shape ``(L,)`` whose entry ``l`` is the Frobenius
   norm of ``d loss / d W_l`` (``l = 0`` is the first layer). Write the backward pass yourself
   with NumPy (autograd is not allowed here). Each layer multiplies the gradient by ``f'(a)``
   (at most 0.25 for the sigmoid) and by ``W``: with sigmoid, the first layers' gradients of a
   deep plain net are orders of magnitude smaller than the last's, while the skip connection
   passes the gradient back unchanged.

2. ``spectral_radius(W)``: the largest absolute value of the eigenvalues of a square matrix
   (eigenvalues may be complex). A path that multiplies by the same ``W`` t times behaves like
   ``rho(W)^t``: it vanishes when ``rho < 1`` and explodes when ``rho > 1``. This is not the
   largest singular value (``||W||_2``), which only bounds it.

3. ``clip_grad_norm(grads, max_norm, norm_type=2.0)``, as ``torch.nn.utils.clip_grad_norm_``:
   the *total* norm of all the gradients together (the ``norm_type``-norm of the vector of the
   per-tensor norms, i.e. of all entries concatenated; ``norm_type`` may be ``inf``, the largest
   absolute entry), then every tensor multiplied by ``min(1, max_norm / (total + 1e-6))``.
   Return ``(clipped, total)``: new arrays of the same shapes and dtypes, and the total norm
   *before* clipping as a float. All-zero gradients stay zero (no NaN). An empty list gives
   ``([], 0.0)``.

4. ``clip_grad_value(grads, clip_value)``, as ``torch.nn.utils.clip_grad_value_``: every entry
   clamped to ``[-clip_value, clip_value]``; new arrays.

Inputs are never modified. ``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_``,
``torch.autograd`` and ``torch.func`` are not allowed in this kata.

Example::

    >>> clipped, total = clip_grad_norm([np.array([3.0]), np.array([4.0])], max_norm=1.0)
    >>> total                                  # sqrt(3^2 + 4^2): one norm over both tensors
    5.0
    >>> clipped                                # each scaled by 1 / (5 + 1e-6)
    [array([0.59999988]), array([0.79999984])]
    >>> spectral_radius(np.array([[0.0, -2.0], [0.5, 0.0]]))     # eigenvalues +-1j
    1.0
"""

from __future__ import annotations

import numpy as np


def layer_grad_norms(
    weights: list[np.ndarray], x: np.ndarray, activation: str, residual: bool = False
) -> np.ndarray:
    """||d loss / d W_l||_F for every layer, first layer first; loss = h_L.sum()."""
    raise NotImplementedError("layer_grad_norms")


def spectral_radius(w: np.ndarray) -> float:
    """max |lambda| over the eigenvalues of the square matrix w."""
    raise NotImplementedError("spectral_radius")


def clip_grad_norm(
    grads: list[np.ndarray], max_norm: float, norm_type: float = 2.0
) -> tuple[list[np.ndarray], float]:
    """Scale every gradient by min(1, max_norm / (total + 1e-6)); return (clipped, total)."""
    raise NotImplementedError("clip_grad_norm")


def clip_grad_value(grads: list[np.ndarray], clip_value: float) -> list[np.ndarray]:
    """Clamp every entry to [-clip_value, clip_value]."""
    raise NotImplementedError("clip_grad_value")
