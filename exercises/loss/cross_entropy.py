"""Cross-entropy from logits, label smoothing, class weights, BCE, entropy and KL divergence.

Source questions: Q24: 交叉熵和 KL 散度的区别 (s001-24); 为什么分类问题使用交叉熵损失函数？
(s003-12); Q28: 分类网络的发展史 (s001-28, label smoothing of Inception v3).

A classifier outputs *logits* ``z`` of shape ``(N, C)`` (N samples, C classes); its predicted
distribution is ``q = softmax(z)`` along the last axis. Implement, with NumPy (or basic torch
tensor operations), all in float64:

``log_softmax(logits)``
    ``log q``, shape ``(N, C)``. It must be exact and finite for any finite logits, including
    logits of +-1e4 (where ``exp`` overflows and ``softmax`` underflows to 0).

``cross_entropy(logits, target, weight=None, label_smoothing=0.0, reduction="mean")``
    ``target`` holds class indices (ints in ``[0, C)``, shape ``(N,)``). The semantics are exactly
    those of ``torch.nn.functional.cross_entropy``:

    * without options, the loss of sample ``i`` is ``-log q[i, target[i]]``;
    * ``label_smoothing = eps`` replaces the one-hot target by a mixture with the uniform
      distribution over all ``C`` classes: ``t[i, c] = (1 - eps) * onehot[i, c] + eps / C``,
      and the loss of sample ``i`` is ``-sum_c t[i, c] * log q[i, c]``;
    * ``weight`` (shape ``(C,)``, positive) multiplies the term of class ``c`` by ``weight[c]``:
      ``loss_i = -sum_c weight[c] * t[i, c] * log q[i, c]`` (without smoothing this is
      ``weight[target[i]] * (-log q[i, target[i]])``);
    * ``reduction``: ``"none"`` returns the ``(N,)`` losses, ``"sum"`` their sum, and ``"mean"``
      their sum divided by ``sum_i weight[target[i]]`` -- a *weighted* mean, which is the plain
      mean over ``N`` when there are no weights.

``bce_with_logits(logits, target, reduction="mean")``
    Binary cross-entropy on logits of any shape, ``target`` of the same shape in ``[0, 1]``
    (soft targets allowed): ``-(y log sigmoid(z) + (1 - y) log(1 - sigmoid(z)))`` per element,
    as ``torch.nn.functional.binary_cross_entropy_with_logits``; ``"mean"`` is over all elements.
    Exact and finite for logits of +-1e4 (e.g. ``z = -1e4, y = 1`` gives ``1e4``).

``entropy(p)``
    ``H(p) = -sum_c p[i, c] log p[i, c]`` per row, shape ``(N,)``, for rows ``p`` of
    probabilities (non-negative, summing to 1). Terms with ``p = 0`` count as ``0``
    (``0 log 0 = 0``), so a one-hot row has entropy ``0``.

``kl_divergence(p, logits)``
    ``KL(p || q) = sum_c p[i, c] * (log p[i, c] - log q[i, c])`` per row, shape ``(N,)``, with
    ``q = softmax(logits)``: the *first* argument ``p`` is the reference (target) distribution,
    as in the mathematical notation. Beware: torch's ``F.kl_div(input, target)`` takes
    ``input = log q`` and ``target = p`` and computes the same ``KL(p || q)`` with the
    arguments in the other order. Terms with ``p = 0`` count as ``0``. Finite for logits of
    +-1e4.

``soft_cross_entropy(p, logits)``
    ``H(p, q) = -sum_c p[i, c] log q[i, c]`` per row, shape ``(N,)``, for a full target
    distribution ``p`` (torch's ``cross_entropy`` with probability targets,
    ``reduction="none"``). It satisfies ``H(p, q) = H(p) + KL(p || q)``: since ``H(p)`` does
    not depend on the model, minimising cross-entropy and minimising KL are the same.

Do not modify the inputs. torch's versions of these functions (``F.cross_entropy``,
``F.log_softmax``, ``torch.logsumexp``, ``F.kl_div``, ``F.binary_cross_entropy_with_logits``,
``F.softplus``, ...) are not allowed in this kata, but you may use them to check yourself.

Example::

    >>> z = np.array([[2.0, 0.0, 0.0]])
    >>> cross_entropy(z, np.array([0]))                      # -log(e^2 / (e^2 + 2))
    0.2395447...
    >>> cross_entropy(z, np.array([0]), label_smoothing=0.3)  # t = [0.8, 0.1, 0.1]
    0.6395447...
    >>> log_softmax(np.array([[1e4, -1e4]]))
    array([[     0., -20000.]])
"""

from __future__ import annotations

import numpy as np


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """``log softmax(logits)`` along the last axis, stable for huge logits; shape ``(N, C)``."""
    raise NotImplementedError("log_softmax")


def cross_entropy(
    logits: np.ndarray,
    target: np.ndarray,
    weight: np.ndarray | None = None,
    label_smoothing: float = 0.0,
    reduction: str = "mean",
) -> float | np.ndarray:
    """Cross-entropy of logits ``(N, C)`` against class indices ``(N,)``, as torch computes it."""
    raise NotImplementedError("cross_entropy")


def bce_with_logits(
    logits: np.ndarray, target: np.ndarray, reduction: str = "mean"
) -> float | np.ndarray:
    """Binary cross-entropy of ``sigmoid(logits)`` against targets in ``[0, 1]``, stably."""
    raise NotImplementedError("bce_with_logits")


def entropy(p: np.ndarray) -> np.ndarray:
    """Entropy of each row of ``p`` ``(N, C)``, with ``0 log 0 = 0``; shape ``(N,)``."""
    raise NotImplementedError("entropy")


def kl_divergence(p: np.ndarray, logits: np.ndarray) -> np.ndarray:
    """``KL(p || softmax(logits))`` per row; shape ``(N,)``."""
    raise NotImplementedError("kl_divergence")


def soft_cross_entropy(p: np.ndarray, logits: np.ndarray) -> np.ndarray:
    """Cross-entropy ``H(p, softmax(logits))`` per row; shape ``(N,)``."""
    raise NotImplementedError("soft_cross_entropy")
