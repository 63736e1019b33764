"""Softmax, log-softmax and softmax's Jacobian-vector product, stable for any logits.

Source question: 如何选择激活函数？ (s003-10): softmax turns the last layer's scores into
probabilities.

Implement, with NumPy, along the axis ``axis`` of an array ``x`` of any shape (float32 or
float64; the result has the shape and dtype of the input, and inputs are never modified):

* ``softmax(x, axis)``: ``exp(x_i) / sum_j exp(x_j)``, the sum taken along ``axis``;
* ``log_softmax(x, axis)``: ``log(softmax(x))`` in value, but **not computed that way**;
* ``softmax_jvp(s, v, axis)``: the product ``J v`` of softmax's Jacobian with a vector ``v``,
  given the saved output ``s = softmax(x, axis)``. Along the axis ``J = diag(s) - s s^T``
  (it is symmetric, so this is also the vector-Jacobian product backward uses). Do not build
  ``J``: the answer has the shape of ``s``, and one line suffices.

Numerical promises. Logits can be as large as +-1e4 (float64) or +-1e3 (float32): ``exp(1e4)``
is inf and inf / inf is NaN, so ``exp`` must never see a large positive argument (softmax is
unchanged when the same number is subtracted from every logit along the axis). Each slice along
the axis is on its own scale: one row can sit near +1e4 and the next near -1e4. ``log_softmax``
stays finite and exact where softmax underflows to 0: for ``x = [0, -1e4]`` it is ``[0, -1e4]``
(``log(softmax(x))`` would give ``-inf``). No floating-point warning (overflow, invalid value,
division by zero) may be raised.

Not allowed in this kata: ``torch.softmax``, ``torch.nn.functional.softmax`` /
``log_softmax``, ``torch.logsumexp``, ``np.logaddexp`` and their torch operators. ``np.exp``,
``np.log``, ``np.max``, ``np.sum`` are what you need.

Example::

    >>> softmax(np.array([1.0, 2.0, 3.0]))
    array([0.09003057, 0.24472847, 0.66524096])
    >>> log_softmax(np.array([0.0, -1e4]))
    array([     0., -10000.])
    >>> s = softmax(np.array([0.0, 0.0]))                # [0.5, 0.5]
    >>> softmax_jvp(s, np.array([1.0, 0.0]))             # J = [[.25, -.25], [-.25, .25]]
    array([ 0.25, -0.25])
"""

from __future__ import annotations

import numpy as np


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Probabilities along ``axis``: positive, summing to 1."""
    raise NotImplementedError("softmax")


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """log(softmax(x, axis)), finite wherever x is, without taking log of softmax."""
    raise NotImplementedError("log_softmax")


def softmax_jvp(s: np.ndarray, v: np.ndarray, axis: int = -1) -> np.ndarray:
    """J v with J = diag(s) - s s^T along ``axis``, from the saved output ``s``."""
    raise NotImplementedError("softmax_jvp")
