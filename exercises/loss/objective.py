"""Loss, cost and objective: per-sample loss, batch cost and cost plus regulariser.

Source question: 损失函数、代价函数、目标函数三个名词有何不同？ (s003-11).

Three words that are often mixed up, for a linear regression model ``pred = X @ w + b``
(``X`` of shape ``(n, d)``, ``w`` of shape ``(d,)``, ``b`` a number, ``y`` of shape ``(n,)``):

* the **loss** measures one sample: ``loss_i = (x_i . w + b - y_i)**2`` (squared error, no 1/2);
* the **cost** measures a batch: the mean of the ``n`` losses (``reduction="mean"``, the
  default) or their sum (``reduction="sum"``);
* the **objective** is what the optimiser minimises: the cost plus a regulariser on the
  weights, ``objective = cost + R(w)`` with

  - ``kind="l2"``: ``R(w) = lam * sum(w**2)`` (no 1/2);
  - ``kind="l1"``: ``R(w) = lam * sum(|w|)``.

  The regulariser depends on the parameters only: it is **not** averaged (or summed) over the
  batch, so it is the same number for a batch of 2 and a batch of 2000. The bias ``b`` is not
  regularised.

Implement, with NumPy, in float64:

``per_sample_loss(w, b, X, y)``
    The ``(n,)`` array of losses.
``cost(w, b, X, y, reduction="mean")``
    The cost, a number.
``regulariser(w, lam, kind="l2")``
    ``R(w)``, a number.
``objective(w, b, X, y, lam, kind="l2", reduction="mean")``
    ``cost + R(w)``, a number.
``objective_grad(w, b, X, y, lam, kind="l2", reduction="mean")``
    The pair ``(grad_w, grad_b)``: the gradient of the objective with respect to ``w``
    (shape ``(d,)``) and ``b`` (a number), in closed form (autograd is not allowed here). For
    ``kind="l1"`` use the subgradient ``lam * sign(w)`` with ``sign(0) = 0``.

Raise ``ValueError`` for an unknown ``reduction`` or ``kind``. Do not modify the inputs.

Example::

    >>> X, y = np.array([[1.0], [2.0]]), np.array([1.0, 1.0])
    >>> w, b = np.array([1.0]), 0.0
    >>> per_sample_loss(w, b, X, y)           # residuals 0 and 1
    array([0., 1.])
    >>> cost(w, b, X, y)
    0.5
    >>> objective(w, b, X, y, lam=0.1)        # 0.5 + 0.1 * 1**2, not 0.5 + 0.1 / 2
    0.6
"""

from __future__ import annotations

import numpy as np


def per_sample_loss(w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Squared error of each sample, shape ``(n,)``."""
    raise NotImplementedError("per_sample_loss")


def cost(w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray, reduction: str = "mean") -> float:
    """Mean (or sum) of the per-sample losses over the batch."""
    raise NotImplementedError("cost")


def regulariser(w: np.ndarray, lam: float, kind: str = "l2") -> float:
    """``lam * sum(w**2)`` or ``lam * sum(|w|)``."""
    raise NotImplementedError("regulariser")


def objective(
    w: np.ndarray,
    b: float,
    X: np.ndarray,
    y: np.ndarray,
    lam: float,
    kind: str = "l2",
    reduction: str = "mean",
) -> float:
    """Cost of the batch plus the regulariser of ``w``."""
    raise NotImplementedError("objective")


def objective_grad(
    w: np.ndarray,
    b: float,
    X: np.ndarray,
    y: np.ndarray,
    lam: float,
    kind: str = "l2",
    reduction: str = "mean",
) -> tuple[np.ndarray, float]:
    """``(grad_w, grad_b)`` of the objective, in closed form."""
    raise NotImplementedError("objective_grad")
