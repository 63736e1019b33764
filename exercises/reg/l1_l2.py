"""L1 and L2 regularisation: penalties, (sub)gradients, weight decay and the proximal step.

Source question: 什么是正则化，l1和l2正则化区别 (s001-26; also s002-02 to s002-08, "L1和L2正则化的
区别" and its subsections).

Regularisation adds a penalty on the weights ``w`` to the training loss. Implement, with NumPy,
for a float64 weight array ``w`` of any shape and a strength ``lam >= 0``:

1. ``l1_penalty(w, lam) = lam * sum(|w|)`` and ``l2_penalty(w, lam) = (lam / 2) * sum(w**2)``
   (note the 1/2 on L2), each returned as a Python float.
2. ``l1_subgradient(w, lam) = lam * sign(w)`` with the convention ``sign(0) = 0`` (the
   subgradient of ``|w|`` at 0 is any value in [-1, 1]; we pick 0), and
   ``l2_gradient(w, lam) = lam * w``. Both return an array shaped like ``w``.
3. ``decay_step(w, grad, lr, lam)``: one gradient-descent step on ``loss + l2_penalty(w, lam)``,
   where ``grad`` is the gradient of the loss alone. Written out, L2 regularisation is a
   *multiplicative decay*: ``(1 - lr * lam) * w - lr * grad``.
4. ``soft_threshold(w, t)`` (``t >= 0``): the proximal operator of ``t * ||w||_1``,
   ``sign(w) * max(|w| - t, 0)``. Every entry with ``|w| <= t`` becomes exactly ``0.0``; the
   others move towards 0 by ``t``.
5. ``lasso_ista(X, y, lam, lr, steps)``: minimise the lasso objective
   ``f(w) = ||X @ w - y||^2 / (2 n) + lam * ||w||_1`` (``X`` is ``(n, d)``, ``y`` is ``(n,)``) by
   ISTA (proximal gradient descent): start from ``w = zeros(d)`` and repeat ``steps`` times

       z = w - lr * X.T @ (X @ w - y) / n        # gradient step on the smooth part only
       w = soft_threshold(z, lr * lam)           # proximal step on the L1 part

   and return ``w`` of shape ``(d,)``. Unlike a subgradient step, the proximal step sets
   coefficients to *exactly* zero: this is why L1 gives sparse models. With
   ``lr <= n / ||X||_2^2`` the iterates converge to the lasso solution.

Conventions: return new arrays (never modify ``w``, ``grad``, ``X`` or ``y``); results are
float64. No scikit-learn (not installed).

Example::

    >>> soft_threshold(np.array([3.0, -0.5, 0.5, -2.0]), 1.0)
    array([ 2., -0.,  0., -1.])
    >>> l1_subgradient(np.array([-2.0, 0.0, 3.0]), 0.1)
    array([-0.1,  0. ,  0.1])
    >>> decay_step(np.array([1.0]), np.array([0.0]), lr=0.1, lam=0.5)   # 1 - 0.05
    array([0.95])
"""

from __future__ import annotations

import numpy as np


def l1_penalty(w: np.ndarray, lam: float) -> float:
    """``lam * sum(|w|)``."""
    raise NotImplementedError("l1_penalty")


def l2_penalty(w: np.ndarray, lam: float) -> float:
    """``(lam / 2) * sum(w ** 2)``."""
    raise NotImplementedError("l2_penalty")


def l1_subgradient(w: np.ndarray, lam: float) -> np.ndarray:
    """``lam * sign(w)`` with ``sign(0) = 0``; shaped like ``w``."""
    raise NotImplementedError("l1_subgradient")


def l2_gradient(w: np.ndarray, lam: float) -> np.ndarray:
    """``lam * w``; shaped like ``w``."""
    raise NotImplementedError("l2_gradient")


def decay_step(w: np.ndarray, grad: np.ndarray, lr: float, lam: float) -> np.ndarray:
    """One step of gradient descent on ``loss + l2_penalty(w, lam)``: the new weights."""
    raise NotImplementedError("decay_step")


def soft_threshold(w: np.ndarray, t: float) -> np.ndarray:
    """``sign(w) * max(|w| - t, 0)``: exact zeros where ``|w| <= t``."""
    raise NotImplementedError("soft_threshold")


def lasso_ista(X: np.ndarray, y: np.ndarray, lam: float, lr: float, steps: int) -> np.ndarray:
    """``steps`` ISTA iterations from ``w = 0`` on ``||Xw - y||^2 / (2n) + lam ||w||_1``."""
    raise NotImplementedError("lasso_ista")
