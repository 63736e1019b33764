"""Regression losses and their gradients: L1, MSE, smooth L1 and Huber.

Source question: Q23: l1 和 l2 loss 的区别 (s001-23).

Implement four losses between a prediction ``pred`` and a target ``target`` (NumPy float64
arrays of the same, arbitrary shape). Each function returns ``(loss, grad)``:

* ``loss`` depends on ``reduction``:

  - ``"none"``: the element-wise losses, an array of ``pred``'s shape;
  - ``"sum"``: their sum, a number;
  - ``"mean"``: their sum divided by the number of elements, a number (the default).

* ``grad`` is the gradient of ``loss`` with respect to ``pred``, an array of ``pred``'s shape.
  For ``"none"``, where the loss is an array, ``grad`` holds each element's derivative
  ``d loss[i] / d pred[i]`` (the gradient of ``loss.sum()``).

With the residual ``d = pred - target``, the element-wise losses are exactly PyTorch's
(``torch.nn.functional.l1_loss``, ``mse_loss``, ``smooth_l1_loss``, ``huber_loss``):

* L1: ``|d|``. Its derivative is ``sign(d)``, and at ``d == 0`` it is ``0`` (as torch).
* MSE: ``d**2``. There is no ``1/2`` in front (the question bank writes ``0.5 * sum(d**2)``;
  torch and this kata do not), so the derivative is ``2 d``.
* Smooth L1 with ``beta >= 0``: quadratic near zero, linear in the tails::

      0.5 * d**2 / beta   if |d| < beta
      |d| - 0.5 * beta    otherwise

  ``beta = 0`` is allowed and means plain L1 (torch's convention): loss ``|d|``, derivative
  ``sign(d)`` with ``0`` at ``d == 0``, and no division by zero anywhere.
* Huber with ``delta > 0``: the same shape, scaled so that the tails have slope ``delta``::

      0.5 * d**2                  if |d| < delta
      delta * (|d| - 0.5 * delta) otherwise

  (``huber(d, delta) == delta * smooth_l1(d, beta=delta)``.)

Errors: raise ``ValueError`` for an unknown ``reduction``, for ``beta < 0`` and for
``delta <= 0``.

Do not modify the inputs. Write it with NumPy (or basic torch tensor operations); torch's loss
functions and modules (``F.l1_loss``, ``F.mse_loss``, ``F.smooth_l1_loss``, ``F.huber_loss``,
``nn.L1Loss``, ...) are not allowed in this kata, but you may use them to check yourself.

Example::

    >>> pred, target = np.array([0.0, 0.5, 3.0]), np.zeros(3)
    >>> smooth_l1_loss(pred, target, reduction="none", beta=1.0)
    (array([0.   , 0.125, 2.5  ]), array([0. , 0.5, 1. ]))
    >>> huber_loss(pred, target, reduction="sum", delta=2.0)
    (4.125, array([0. , 0.5, 2. ]))
"""

from __future__ import annotations

import numpy as np


def l1_loss(
    pred: np.ndarray, target: np.ndarray, reduction: str = "mean"
) -> tuple[float | np.ndarray, np.ndarray]:
    """Mean/sum/element-wise absolute error and its gradient with respect to ``pred``."""
    raise NotImplementedError("l1_loss")


def mse_loss(
    pred: np.ndarray, target: np.ndarray, reduction: str = "mean"
) -> tuple[float | np.ndarray, np.ndarray]:
    """Mean/sum/element-wise squared error (no 1/2) and its gradient with respect to ``pred``."""
    raise NotImplementedError("mse_loss")


def smooth_l1_loss(
    pred: np.ndarray, target: np.ndarray, reduction: str = "mean", beta: float = 1.0
) -> tuple[float | np.ndarray, np.ndarray]:
    """Smooth L1 loss (quadratic for ``|d| < beta``) and its gradient with respect to ``pred``."""
    raise NotImplementedError("smooth_l1_loss")


def huber_loss(
    pred: np.ndarray, target: np.ndarray, reduction: str = "mean", delta: float = 1.0
) -> tuple[float | np.ndarray, np.ndarray]:
    """Huber loss (quadratic for ``|d| < delta``) and its gradient with respect to ``pred``."""
    raise NotImplementedError("huber_loss")
