"""The initialisation experiment: activation statistics through a deep net, and symmetry.

Source questions: 初始化能否完全随机或全0 (s001-02; also s000-02, s002-16 "6.1 初始化").

Part 1 -- how the scale of random weights shapes the activations of a deep MLP.

* ``make_weights(widths, init, rng)`` -- one weight matrix per layer, ``W[l]`` of shape
  ``(widths[l + 1], widths[l])`` (torch's ``(out, in)`` layout), for ``l = 0, 1, ...`` in that
  order. ``init`` picks the standard deviation of every entry:

  * a number: that std itself (``0.01``, ``1.0``, ...);
  * ``"xavier"``: ``sqrt(2 / (fan_in + fan_out))``, with ``fan_in = widths[l]`` and
    ``fan_out = widths[l + 1]``;
  * ``"he"``: ``sqrt(2 / fan_in)``.

  **Draw contract** (so that the grader can rebuild your exact numbers): each layer's matrix
  is one call, ``rng.standard_normal((fan_out, fan_in)) * std`` (``rng.normal(0.0, std,
  (fan_out, fan_in))`` gives the same numbers), layer 0 first. Draw nothing else from ``rng``.
* ``activation_stds(x, weights, activation)`` -- forward ``x`` of shape ``(batch, widths[0])``
  through the bias-free layers, ``h = f(h @ W.T)`` at *every* layer, with ``f`` one of
  ``"tanh"``, ``"relu"`` or ``"linear"`` (the identity). Return a list of ``len(weights)``
  floats: the standard deviation of each layer's *output* ``h`` (after ``f``), over all its
  ``batch * width`` entries, population std (``np.std`` with its default ``ddof=0``).
* ``depth_experiment(init, activation, depth=20, width=100, batch=200, seed=0)`` -- the whole
  experiment: ``rng = np.random.default_rng(seed)``; first ``x = rng.standard_normal((batch,
  width))``, then ``weights = make_weights([width] * (depth + 1), init, rng)``; return
  ``activation_stds(x, weights, activation)``.

What you should see with the defaults (the grader checks these bands on your numbers):

* ``tanh`` with std ``0.01``: every layer shrinks the signal (``0.01 * sqrt(100) = 0.1``); the
  std falls at every layer and is below ``1e-12`` at layer 20 -- the gradients vanish too.
* ``tanh`` with std ``1.0``: the pre-activations have std about 10, tanh saturates at +-1 and
  every layer's std stays above ``0.9`` -- saturated units have zero gradient.
* ``"xavier"`` with ``tanh``: every layer's std stays between ``0.1`` and ``1``.
* ``"he"`` with ``relu``: every layer's std stays between ``0.1`` and ``10``.
* ``"xavier"`` with ``relu``: ReLU halves the second moment at each layer, so layer 20 is below
  ``0.01`` -- this is why ReLU nets need He's factor 2.

Part 2 -- why the weights cannot all start equal (or at zero). A two-layer net
``h = tanh(x @ w1.T)``, ``out = h @ w2.T`` (no biases, no activation on the output),
``x`` of shape ``(batch, d_in)``, ``w1`` of shape ``(hidden, d_in)``, ``w2`` of shape
``(d_out, hidden)``, ``y`` of shape ``(batch, d_out)``, loss ``mean((out - y) ** 2)`` over all
``batch * d_out`` entries (torch's ``MSELoss``).

* ``train_two_layer(x, y, w1, w2, lr, steps)`` -- ``steps`` full-batch steps of plain gradient
  descent, ``w -= lr * dloss/dw`` for both matrices (both gradients from the same forward pass).
  Write the backward pass yourself with NumPy; return the new ``(w1, w2)`` and leave the inputs
  unmodified.
* ``symmetric_after_training(x, y, w1, w2, lr=0.1, steps=10)`` -- train as above, then return
  ``True`` if all hidden units are still identical: every row of ``w1`` (a unit's incoming
  weights) equals the first row and every column of ``w2`` (its outgoing weights) equals the
  first column, up to ``np.allclose(..., rtol=1e-9, atol=1e-12)``. Otherwise ``False``.

Example::

    >>> ws = make_weights([3, 2], 0.5, np.random.default_rng(0))
    >>> [w.shape for w in ws]
    [(2, 3)]
    >>> activation_stds(np.array([[1.0, -1.0]]), [np.eye(2)], "relu")   # h = [[1, 0]]
    [0.5]
    >>> w1, w2 = np.full((4, 3), 0.3), np.full((2, 4), 0.3)              # a constant init
    >>> symmetric_after_training(np.random.default_rng(1).normal(size=(8, 3)),
    ...                          np.random.default_rng(2).normal(size=(8, 2)), w1, w2)
    True
"""

from __future__ import annotations

import numpy as np


def make_weights(
    widths: list[int], init: str | float, rng: np.random.Generator
) -> list[np.ndarray]:
    """``len(widths) - 1`` matrices, ``W[l]`` of shape ``(widths[l + 1], widths[l])``."""
    raise NotImplementedError("make_weights")


def activation_stds(x: np.ndarray, weights: list[np.ndarray], activation: str) -> list[float]:
    """The population std of every layer's output ``h = f(h @ W.T)``."""
    raise NotImplementedError("activation_stds")


def depth_experiment(
    init: str | float,
    activation: str,
    depth: int = 20,
    width: int = 100,
    batch: int = 200,
    seed: int = 0,
) -> list[float]:
    """Draw ``x``, then the weights, from ``np.random.default_rng(seed)``; return the stds."""
    raise NotImplementedError("depth_experiment")


def train_two_layer(
    x: np.ndarray, y: np.ndarray, w1: np.ndarray, w2: np.ndarray, lr: float, steps: int
) -> tuple[np.ndarray, np.ndarray]:
    """``steps`` full-batch gradient steps on ``mean((tanh(x @ w1.T) @ w2.T - y) ** 2)``."""
    raise NotImplementedError("train_two_layer")


def symmetric_after_training(
    x: np.ndarray,
    y: np.ndarray,
    w1: np.ndarray,
    w2: np.ndarray,
    lr: float = 0.1,
    steps: int = 10,
) -> bool:
    """Whether every hidden unit still has the same incoming and outgoing weights."""
    raise NotImplementedError("symmetric_after_training")
