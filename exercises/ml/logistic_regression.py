"""Logistic regression by hand: sigmoid, binary cross-entropy, its gradient and gradient descent.

Source questions: 手推逻辑回归 (s001-22); 为什么分类问题使用交叉熵损失函数？ (s003-12).

A logistic regression model scores a sample ``x`` (a row of ``X``, shape ``(d,)``) with the
logit ``z = x @ w + b`` and predicts ``p = sigmoid(z) = 1 / (1 + exp(-z))``, the probability of
class 1. Labels ``y`` are 0 or 1. Implement, with NumPy only:

``sigmoid(z)``
    Element-wise, for an array of any shape; returns an array of the same shape. It must be
    *overflow-safe*: for ``z = -1000`` the naive formula computes ``exp(1000)``, which overflows
    and makes NumPy emit a ``RuntimeWarning``. Your function must emit no warning for any
    finite input. (Careful: ``np.where(cond, a, b)`` evaluates both ``a`` and ``b`` everywhere.)

``bce_loss(X, y, w, b)``
    The *mean* over the ``n`` samples of the binary cross-entropy
    ``-(y log p + (1 - y) log(1 - p))``, returned as a float. Logits can be huge (``|z|`` in the
    thousands): for ``y = 1, z = -1000`` the loss of that sample is exactly 1000, not ``inf``.
    Compute it from the logits, not from ``log(sigmoid(z))``.

``gradients(X, y, w, b)``
    The gradient of ``bce_loss`` with respect to ``w`` (shape ``(d,)``) and ``b`` (a float), as a
    tuple ``(grad_w, grad_b)``. Derive it by hand: the loss is the *mean* over the batch, so the
    gradient is the mean of the per-sample gradients.

``train(X, y, w0, b0, lr, steps)``
    Plain batch gradient descent: ``steps`` updates ``w <- w - lr * grad_w``,
    ``b <- b - lr * grad_b``, each using the gradient over the whole of ``X``, starting from
    ``w0, b0`` (do not modify ``w0``). Return ``(w, b, losses)`` where ``losses`` is an array of
    ``steps + 1`` values: ``losses[t]`` is ``bce_loss`` after ``t`` updates (``losses[0]`` at the
    starting point, ``losses[-1]`` at the returned ``w, b``).

``predict(X, w, b)``
    Integer class labels, shape ``(n,)``: 1 where ``p >= 0.5`` (that is ``z >= 0``), else 0.

Shapes and types: ``X`` is float64 ``(n, d)``, ``y`` is ``(n,)`` of 0/1 (ints or floats), ``w``
is ``(d,)``, ``b`` is a Python float. Automatic differentiation (``torch.autograd``,
``Tensor.backward``) and torch's built-in sigmoid and BCE functions are not allowed: the point
is to derive the gradient yourself.

Example::

    >>> X = np.array([[1.0], [-1.0]]); y = np.array([1, 0])
    >>> bce_loss(X, y, np.zeros(1), 0.0)                 # p = 0.5 everywhere: log 2
    0.6931471805599453
    >>> gradients(X, y, np.zeros(1), 0.0)                # mean of (p - y) x and of (p - y)
    (array([-0.5]), 0.0)
"""

from __future__ import annotations

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z)) element-wise, with no overflow for any finite ``z``."""
    raise NotImplementedError("sigmoid")


def bce_loss(X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float) -> float:
    """Mean binary cross-entropy of the model ``sigmoid(X @ w + b)`` against labels ``y``."""
    raise NotImplementedError("bce_loss")


def gradients(X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float) -> tuple[np.ndarray, float]:
    """``(d bce_loss / d w, d bce_loss / d b)``, shapes ``(d,)`` and scalar."""
    raise NotImplementedError("gradients")


def train(
    X: np.ndarray, y: np.ndarray, w0: np.ndarray, b0: float, lr: float, steps: int
) -> tuple[np.ndarray, float, np.ndarray]:
    """Gradient descent from ``(w0, b0)``; returns ``(w, b, losses)`` with ``steps + 1`` losses."""
    raise NotImplementedError("train")


def predict(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    """Class labels 0/1 (ints), 1 where ``X @ w + b >= 0``."""
    raise NotImplementedError("predict")
