"""Why classifiers use cross-entropy: MSE after a sigmoid saturates, BCE does not.

Source questions: Q25: 为什么在逻辑回归中用交叉熵代替 l1 或 l2 (s001-25); 为什么分类问题 不能使用
MSE，而要使用 cross entropy 损失？ (s003-13).

A binary classifier outputs a logit ``z``; its prediction is ``s = sigmoid(z)`` and the label is
``y`` in ``[0, 1]``. Compare two losses of the same prediction, per sample:

* MSE on the probability: ``L_mse(z, y) = (sigmoid(z) - y)**2`` -- torch's
  ``mse_loss(sigmoid(z), y, reduction="none")``, with **no** factor 1/2;
* binary cross-entropy: ``L_bce(z, y) = -(y log sigmoid(z) + (1 - y) log(1 - sigmoid(z)))``
  -- torch's ``binary_cross_entropy_with_logits(z, y, reduction="none")``.

Derive the gradients with respect to the logit by hand (closed forms; autograd is not allowed in
this kata) and implement, with NumPy (or basic torch tensor operations), in float64:

``mse_sigmoid_loss(z, y)``
    ``L_mse`` element-wise; ``z`` and ``y`` are arrays of the same, arbitrary shape.

``mse_sigmoid_grad(z, y)``
    ``dL_mse/dz`` element-wise.

``bce_grad(z, y)``
    ``dL_bce/dz`` element-wise.

``weight_gradients(w, X, y)``
    A logistic model ``z = X @ w`` (``X`` of shape ``(n, d)``, ``w`` of shape ``(d,)``, ``y`` of
    shape ``(n,)``). Return the pair ``(grad_mse, grad_bce)``: the gradients with respect to
    ``w`` of the *mean* over the ``n`` samples of ``L_mse`` and of ``L_bce``, each of shape
    ``(d,)``.

``train_logit(loss, z0, y, lr, steps)``
    The saturation experiment: gradient descent on a single logit, ``z_{t+1} = z_t - lr *
    dL/dz(z_t, y)`` with ``loss`` either ``"mse"`` or ``"bce"``. Return the float64 array
    ``[z_0, z_1, ..., z_steps]`` of length ``steps + 1`` (``z_0 = z0``).

All results must be finite for logits as large as ``|z| = 1e4`` (where ``exp(|z|)``
overflows).

What the experiment shows: at ``z = -10`` with ``y = 1`` the model is confidently wrong, yet the
MSE gradient is below ``1e-3`` in magnitude (the sigmoid's derivative ``s (1 - s)`` is about
``4.5e-5`` there), so gradient descent barely moves; the BCE gradient is about ``-1``, and it
keeps pushing until the prediction is right.

Example::

    >>> mse_sigmoid_grad(np.array([0.0]), np.array([1.0]))   # 2 * (0.5 - 1) * 0.25
    array([-0.25])
    >>> bce_grad(np.array([0.0]), np.array([1.0]))
    array([-0.5])
    >>> train_logit("bce", 0.0, 1.0, lr=1.0, steps=1)
    array([0. , 0.5])
"""

from __future__ import annotations

import numpy as np


def mse_sigmoid_loss(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``(sigmoid(z) - y)**2`` element-wise."""
    raise NotImplementedError("mse_sigmoid_loss")


def mse_sigmoid_grad(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``d (sigmoid(z) - y)**2 / dz`` element-wise, in closed form."""
    raise NotImplementedError("mse_sigmoid_grad")


def bce_grad(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``d BCE(sigmoid(z), y) / dz`` element-wise, in closed form."""
    raise NotImplementedError("bce_grad")


def weight_gradients(w: np.ndarray, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gradients w.r.t. ``w`` of the mean MSE-on-sigmoid and mean BCE of ``z = X @ w``."""
    raise NotImplementedError("weight_gradients")


def train_logit(loss: str, z0: float, y: float, lr: float, steps: int) -> np.ndarray:
    """Gradient descent on one logit with ``loss`` ("mse" or "bce"); ``[z_0, ..., z_steps]``."""
    raise NotImplementedError("train_logit")
