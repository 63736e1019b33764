"""K-fold and stratified k-fold cross-validation, and the cross-validated score of a learner.

Source question: 6.7 其他方法 (s002-23), whose answer recommends k-fold cross-validation with
the data shuffled.

A *fold* is an integer NumPy array of sample indices (``0 .. n-1``, in any order): the samples
validated in that round. The ``k`` folds must *partition* the samples: no index in two folds,
every index in one. Training in round ``i`` uses every sample that is not in fold ``i``.

``k_fold(n_samples, k, rng)`` -> list of ``k`` folds
    Shuffle the indices with the ``numpy.random.Generator`` ``rng`` (never ``numpy.random``'s
    global state: the same seed must give the same folds), then split them so that fold sizes
    differ by at most one (``n = 23, k = 5`` gives sizes 5, 5, 5, 4, 4 in some order; never
    4, 4, 4, 4, 7). Raise ``ValueError`` unless ``2 <= k <= n_samples``.

``stratified_k_fold(y, k, rng)`` -> list of ``k`` folds
    The same for labels ``y`` (1-D integer array), keeping the class ratios: for every class,
    the numbers of its samples in the ``k`` folds differ by at most one, *and* the fold sizes
    differ by at most one. Samples are shuffled within each class with ``rng``. A class with
    fewer than ``k`` samples is allowed (some folds then have none of it). Raise ``ValueError``
    unless ``2 <= k <= len(y)``.

``cross_val_score(X, y, fit, predict, folds, score)`` -> float array of shape ``(k,)``
    For each fold ``i``, in the order given: ``model = fit(X_train, y_train)`` on the samples
    *not* in fold ``i``, ``y_hat = predict(model, X_val)`` on the samples of fold ``i``, and
    ``scores[i] = score(y_val, y_hat)``. Call ``fit`` exactly once per fold and never let it see a
    validation sample (that would leak the answers). The caller averages the scores.

Do not modify the inputs.

Example::

    >>> folds = stratified_k_fold(np.array([0, 0, 0, 0, 1, 1]), 2, np.random.default_rng(0))
    >>> [sorted(f.tolist()) for f in folds]            # one possible result
    [[0, 3, 5], [1, 2, 4]]                             # each fold: two 0s and one 1
    >>> X = np.arange(6.0)[:, None]; y = np.array([0, 0, 0, 0, 1, 1])
    >>> fit = lambda X, y: int(np.bincount(y).argmax())        # "model": the majority label
    >>> predict = lambda model, X: np.full(len(X), model)
    >>> accuracy = lambda y, y_hat: float(np.mean(y == y_hat))
    >>> cross_val_score(X, y, fit, predict, folds, accuracy)
    array([0.66666667, 0.66666667])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


def k_fold(n_samples: int, k: int, rng: np.random.Generator) -> list[np.ndarray]:
    """k shuffled folds partitioning range(n_samples), sizes differing by at most one."""
    raise NotImplementedError("k_fold")


def stratified_k_fold(y: np.ndarray, k: int, rng: np.random.Generator) -> list[np.ndarray]:
    """k shuffled folds that keep every class's share (per-class counts differ by <= 1)."""
    raise NotImplementedError("stratified_k_fold")


def cross_val_score(
    X: np.ndarray,
    y: np.ndarray,
    fit: Callable[[np.ndarray, np.ndarray], Any],
    predict: Callable[[Any, np.ndarray], np.ndarray],
    folds: Sequence[np.ndarray],
    score: Callable[[np.ndarray, np.ndarray], float],
) -> np.ndarray:
    """One score per fold: fit on the other folds, predict and score this one."""
    raise NotImplementedError("cross_val_score")
