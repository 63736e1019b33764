"""Activation functions and their derivatives, safe at any input.

Source question: Q17: 常见激活函数及其特性 (s001-17; also s003-10 如何选择激活函数？,
s002-11 and s002-17 on saturation and gradients).

Implement the activations below and their derivatives with NumPy. Every function works
elementwise on an array of any shape, float32 or float64, and returns a new array of the same
shape and dtype; inputs are never modified. Basic operations (``np.exp``, ``np.log1p``,
``np.expm1``, ``np.maximum``, ``np.where``, ``math.erf``, ``torch.erf``, ...) are fine; the
library's own activations are not allowed in this kata (``torch.sigmoid``, ``np.tanh``,
``math.tanh``, ``torch.tanh``, ``torch.nn.functional.gelu`` / ``elu`` / ``softplus`` /
``leaky_relu`` / ``relu``, and their torch operators).

==============  ===========================================  ==================================
function        value                                         derivative
==============  ===========================================  ==================================
sigmoid         s = 1 / (1 + e^-z)                            ``sigmoid_grad(s)`` = s (1 - s),
                                                              from the *saved output* s
tanh            t = (e^z - e^-z) / (e^z + e^-z)               ``tanh_grad(t)`` = 1 - t^2,
                                                              from the *saved output* t
relu            max(z, 0)                                     1 if z > 0 else 0 (0 at z = 0)
leaky_relu      z if z > 0 else slope * z                     1 if z > 0 else slope (slope at 0)
elu             z if z > 0 else alpha (e^z - 1)               1 if z > 0 else alpha e^z
                                                              (alpha at 0)
gelu "none"     z Phi(z),  Phi(z) = (1 + erf(z / sqrt 2)) / 2  Phi(z) + z phi(z)
gelu "tanh"     z (1 + tanh(u)) / 2,                          its exact derivative in z
                u = sqrt(2/pi) (z + 0.044715 z^3)
softplus        log(1 + e^z)                                  sigmoid(z)
==============  ===========================================  ==================================

``phi`` is the standard normal density. The two gelu forms match
``torch.nn.functional.gelu(z, approximate="none")`` and ``approximate="tanh"``; any other
``approximate`` raises ``ValueError``. The conventions at z = 0 are torch's (relu'(0) = 0 and
the left-hand slope for leaky_relu and elu).

Extreme inputs. Every function must return finite, correct values for any finite input,
|z| = 1000 and 1e4 included, in float32 and float64, *without any floating-point warning*
(overflow, invalid value, division by zero). The formulas above overflow as written: e^1000
is inf in float64 (e^89 already in float32), and inf / inf is NaN. Rewrite each one so that
``exp`` only ever sees a non-positive argument; remember that ``np.where(c, a, b)`` computes
both ``a`` and ``b`` everywhere. At these inputs the exact answer is what rounding gives, e.g.
``sigmoid(-1000) == 0``, ``sigmoid(1000) == 1``, ``tanh(1000) == 1``, ``softplus(1000) ==
1000``, ``elu(-1000) == -alpha``.

Example::

    >>> sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    array([0. , 0.5, 1. ])
    >>> sigmoid_grad(np.array([0.5]))           # the saved output, not z: sigma'(0) = 0.25
    array([0.25])
    >>> relu_grad(np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 1.])
"""

from __future__ import annotations

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function 1 / (1 + e^-z), stable for any z."""
    raise NotImplementedError("sigmoid")


def sigmoid_grad(s: np.ndarray) -> np.ndarray:
    """The derivative of the sigmoid, from its saved output ``s = sigmoid(z)``."""
    raise NotImplementedError("sigmoid_grad")


def tanh(z: np.ndarray) -> np.ndarray:
    """The hyperbolic tangent, from exp (np.tanh is not allowed), stable for any z."""
    raise NotImplementedError("tanh")


def tanh_grad(t: np.ndarray) -> np.ndarray:
    """The derivative of tanh, from its saved output ``t = tanh(z)``."""
    raise NotImplementedError("tanh_grad")


def relu(z: np.ndarray) -> np.ndarray:
    """max(z, 0)."""
    raise NotImplementedError("relu")


def relu_grad(z: np.ndarray) -> np.ndarray:
    """1 where z > 0, else 0 (0 at z == 0)."""
    raise NotImplementedError("relu_grad")


def leaky_relu(z: np.ndarray, slope: float = 0.01) -> np.ndarray:
    """z where z > 0, else slope * z."""
    raise NotImplementedError("leaky_relu")


def leaky_relu_grad(z: np.ndarray, slope: float = 0.01) -> np.ndarray:
    """1 where z > 0, else slope (slope at z == 0)."""
    raise NotImplementedError("leaky_relu_grad")


def elu(z: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """z where z > 0, else alpha * (e^z - 1)."""
    raise NotImplementedError("elu")


def elu_grad(z: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """1 where z > 0, else alpha * e^z (alpha at z == 0)."""
    raise NotImplementedError("elu_grad")


def gelu(z: np.ndarray, approximate: str = "none") -> np.ndarray:
    """z * Phi(z) ("none", with erf) or its tanh approximation ("tanh")."""
    raise NotImplementedError("gelu")


def gelu_grad(z: np.ndarray, approximate: str = "none") -> np.ndarray:
    """The derivative of ``gelu(z, approximate)`` in z."""
    raise NotImplementedError("gelu_grad")


def softplus(z: np.ndarray) -> np.ndarray:
    """log(1 + e^z), stable for any z."""
    raise NotImplementedError("softplus")


def softplus_grad(z: np.ndarray) -> np.ndarray:
    """The derivative of softplus: sigmoid(z)."""
    raise NotImplementedError("softplus_grad")
