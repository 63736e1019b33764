"""Gradient flow through time: a tanh RNN's state Jacobians, their bound, the LSTM cell path.

Source questions: Q40: LSTM 为什么能解决梯度问题 (s001-40); also Q16: 梯度消失爆炸的原因及解决方法
(s001-16) and 34. 如何避免深度学习中的病态，鞍点，梯度爆炸，梯度弥散 (s004-04).

All inputs are float64 NumPy arrays for ONE sequence (no batch axis), with the weights in torch's
layout; return float64 NumPy arrays. Compute the derivatives by hand (the chain rule): autograd
(``torch.autograd``, ``Tensor.backward``, ``torch.func``) is not allowed in this kata, nor are
torch's recurrent modules and kernels.

1. ``rnn_state_jacobians(x, h0, w_ih, w_hh, b_ih, b_hh)``. A vanilla tanh RNN (torch.nn.RNN's
   cell) with ``x`` (T, I), ``h0`` (H,), ``w_ih`` (H, I), ``w_hh`` (H, H), ``b_ih``, ``b_hh`` (H,)::

       h_t = tanh(w_ih @ x_t + b_ih + w_hh @ h_{t-1} + b_hh),   t = 1 .. T

   Return the array ``J`` of shape (T, H, H) with ``J[t - 1] = d h_t / d h_0``, the Jacobian
   whose entry ``[a, b]`` is ``d h_t[a] / d h_0[b]``. Each step contributes the factor
   ``d h_t / d h_{t-1} = diag(1 - h_t**2) @ w_hh``, so ``d h_t / d h_0`` is a product of ``t``
   such factors. Because ``|tanh'| <= 1``, the factors shrink a vector at least as much as
   ``w_hh`` does: when the spectral radius of ``w_hh`` is below 1 the Jacobians vanish
   geometrically; above 1 they can grow (when the tanh is not saturated).

2. ``jacobian_norm_bound(w_hh, steps)``: the float64 array of shape (steps,) whose entry
   ``t - 1`` is ``||w_hh||_2 ** t`` (the spectral norm: the largest singular value). It bounds
   ``||d h_t / d h_0||_2`` for every input, by ``|tanh'| <= 1`` and ``||AB|| <= ||A|| ||B||``.
   The spectral radius ``rho(w_hh)`` (the largest ``|eigenvalue|``) governs the long-run rate,
   but ``rho ** t`` is *not* a bound: for a non-normal matrix ``||w_hh ** t||_2`` can exceed it.

3. ``lstm_cell_path_gradient(x, h0, c0, w_ih, w_hh, b_ih, b_hh)``. The LSTM of torch's layout
   (gates stacked i, f, g, o; ``w_ih`` (4H, I), ``w_hh`` (4H, H), ``b_ih``, ``b_hh`` (4H,)),
   ``x`` (T, I), ``h0``, ``c0`` (H,)::

       z = w_ih @ x_t + b_ih + w_hh @ h_{t-1} + b_hh
       i, f, g, o = sigmoid(z_i), sigmoid(z_f), tanh(z_g), sigmoid(z_o)
       C_t = f * C_{t-1} + i * g,        h_t = o * tanh(C_t)

   Along the cell path alone (C_{t-1} -> C_t, the gates held as they are), ``d C_t / d C_{t-1}``
   is ``diag(f_t)``, so ``d C_t / d C_0`` along that path is the diagonal matrix of the product
   ``f_1 * f_2 * ... * f_t``. Return it as an array of shape (T, H): row ``t - 1`` holds that
   diagonal. The path is additive, not a product of weight matrices: with forget gates near 1 it
   carries the gradient over long spans (why the LSTM eases vanishing gradients). The gates of
   step ``t`` use the real ``h_{t-1}``, so run the forward pass in full.

Inputs are not modified.

Example (T = 2, H = 1, I = 1)::

    >>> J = rnn_state_jacobians(np.zeros((2, 1)), np.zeros(1), np.ones((1, 1)),
    ...                         np.array([[0.5]]), np.zeros(1), np.zeros(1))
    >>> J[:, 0, 0]                       # h stays 0, tanh'(0) = 1: 0.5, then 0.5 * 0.5
    array([0.5 , 0.25])
    >>> jacobian_norm_bound(np.array([[0.0, 2.0], [0.0, 0.0]]), 2)     # rho = 0, norm = 2
    array([2., 4.])
"""

from __future__ import annotations

import numpy as np


def rnn_state_jacobians(
    x: np.ndarray,
    h0: np.ndarray,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    b_ih: np.ndarray,
    b_hh: np.ndarray,
) -> np.ndarray:
    """(T, H, H): entry t - 1 is d h_t / d h_0."""
    raise NotImplementedError("rnn_state_jacobians")


def jacobian_norm_bound(w_hh: np.ndarray, steps: int) -> np.ndarray:
    """(steps,): ||w_hh||_2 ** t for t = 1 .. steps."""
    raise NotImplementedError("jacobian_norm_bound")


def lstm_cell_path_gradient(
    x: np.ndarray,
    h0: np.ndarray,
    c0: np.ndarray,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    b_ih: np.ndarray,
    b_hh: np.ndarray,
) -> np.ndarray:
    """(T, H): row t - 1 is the diagonal of d C_t / d C_0 along the cell path, f_1 * ... * f_t."""
    raise NotImplementedError("lstm_cell_path_gradient")
