"""Batch, stochastic and minibatch gradient descent, and how gradient noise shrinks with batch size.

Source question: 梯度下降分为哪几类？ (s003-02; also s003-03 "盲目增大 Batch_Size 有何坏处？",
s004-03 "33. 批量梯度下降法更新过程中，批量的大小与各种更新的稳定性关系",
s002-21 "6.5 Batch size选取技巧").

Gradient descent comes in three kinds that differ only in how many samples each update sees: the
whole training set (batch GD), one sample (SGD) or ``batch_size`` samples (minibatch GD). Write
them as one training loop driven by a minibatch generator, then measure how noisy a minibatch
gradient is.

``minibatches(n_samples, batch_size, *, epochs=1, shuffle=True, drop_last=False, rng=None)`` is
a *generator*: it yields 1-D integer index arrays, the batches of epoch 0, then those of epoch 1,
and so on. At the start of each epoch it fixes the order of the samples: ``rng.permutation
(n_samples)`` -- one fresh call per epoch, so every epoch has its own order -- or, with
``shuffle=False``, ``0, 1, ..., n_samples - 1`` (then ``rng`` may be ``None``). It cuts that
order into consecutive batches of ``batch_size``; the last one holds the remainder and is
smaller when ``batch_size`` does not divide ``n_samples``. With ``drop_last=True`` that smaller
batch is skipped; without it, every sample appears exactly once per epoch. A ``batch_size``
larger than ``n_samples`` gives one batch of everything (or nothing, with ``drop_last``).

``updates_per_epoch(n_samples, batch_size, *, drop_last=False)`` is the number of batches (hence
of parameter updates) per epoch.

``train_linear_regression(X, y, *, batch_size, lr, epochs, rng, drop_last=False)`` fits
``y ~ X @ w + b`` (``X`` is ``(n, d)``, ``y`` is ``(n,)``) starting from ``w = 0``, ``b = 0``.
For every batch ``B`` of ``minibatches(n, batch_size, epochs=epochs, shuffle=True,
drop_last=drop_last, rng=rng)``, in order, with ``r = X[B] @ w + b - y[B]`` and ``m = len(B)``::

    loss(B) = 0.5 * mean(r ** 2)
    w = w - lr * X[B].T @ r / m        # gradient of loss(B), computed before either update
    b = b - lr * mean(r)

Return ``(w, b, history)``: ``w`` of shape ``(d,)``, ``b`` a float, and ``history`` the loss on
the *whole* training set, ``0.5 * mean((X @ w + b - y) ** 2)``, after each epoch (``epochs``
floats). ``batch_size = n`` is batch GD, ``1`` is SGD.

``gradient_noise(X, y, w, b, batch_size, *, trials, rng)`` measures how far a minibatch gradient
strays from the full gradient at the point ``(w, b)``. Write ``g(B)`` for the gradient of
``loss(B)`` with respect to ``(w, b)``, a vector of ``d + 1`` numbers (the ``w`` part, then the
``b`` part). Draw ``trials`` batches, each ``rng.choice(n, size=batch_size, replace=False)``
(distinct samples), and return the root-mean-square distance
``sqrt(mean over trials of ||g(B) - g(all samples)||**2)``. A full batch has no noise at all.

``noise_exponent(X, y, w, b, batch_sizes, *, trials, rng)`` calls ``gradient_noise`` for each
batch size and returns the slope of the least-squares line through the points
``(log(batch_size), log(noise))``. An average of ``m`` independent samples has a standard
deviation ``sigma / sqrt(m)``, so the slope should come out close to ``-0.5``: 100 times more
samples buy only 10 times less noise (for batches much smaller than the data set).

Inputs are NumPy arrays; do not modify them. Return floats as Python floats or 0-d arrays.

Example::

    >>> [b.tolist() for b in minibatches(5, 2, shuffle=False)]
    [[0, 1], [2, 3], [4]]
    >>> [b.tolist() for b in minibatches(5, 2, shuffle=False, drop_last=True)]
    [[0, 1], [2, 3]]
    >>> updates_per_epoch(5, 2), updates_per_epoch(5, 2, drop_last=True)
    (3, 2)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np


def minibatches(
    n_samples: int,
    batch_size: int,
    *,
    epochs: int = 1,
    shuffle: bool = True,
    drop_last: bool = False,
    rng: np.random.Generator | None = None,
) -> Iterator[np.ndarray]:
    """Yield the index array of every minibatch, epoch after epoch."""
    raise NotImplementedError("minibatches")


def updates_per_epoch(n_samples: int, batch_size: int, *, drop_last: bool = False) -> int:
    """How many batches ``minibatches`` yields per epoch."""
    raise NotImplementedError("updates_per_epoch")


def train_linear_regression(
    X: np.ndarray,
    y: np.ndarray,
    *,
    batch_size: int,
    lr: float,
    epochs: int,
    rng: np.random.Generator,
    drop_last: bool = False,
) -> tuple[np.ndarray, float, list[float]]:
    """Minibatch gradient descent on the half mean squared error; returns (w, b, history)."""
    raise NotImplementedError("train_linear_regression")


def gradient_noise(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    b: float,
    batch_size: int,
    *,
    trials: int,
    rng: np.random.Generator,
) -> float:
    """Root-mean-square distance between minibatch gradients and the full gradient at (w, b)."""
    raise NotImplementedError("gradient_noise")


def noise_exponent(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    b: float,
    batch_sizes: Sequence[int],
    *,
    trials: int,
    rng: np.random.Generator,
) -> float:
    """Slope of log(gradient_noise) against log(batch_size)."""
    raise NotImplementedError("noise_exponent")
