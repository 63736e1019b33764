"""Multi-class prediction from binary SVMs (one-vs-rest, one-vs-one, DAG) and a Pegasos trainer.

Source questions: SVM解决多分类问题 (s002-09) and 时间复杂度 (s002-10).

An SVM answers a binary question. With ``K`` classes (labels ``0 .. K-1``) there are three classic
ways to combine binary classifiers, and they differ in how many classifiers each prediction
needs. Here the binary classifiers are given to you as *scorers*: a scorer is a callable that
takes an array of rows of ``X`` (shape ``(m, d)``, ``m >= 1``) and returns their decision values,
shape ``(m,)``. Evaluating a scorer on ``m`` rows counts as ``m`` evaluations, and the grader
counts them: call each scorer only on the rows that need it, once per row. ``X`` has shape
``(n, d)``; every function returns an integer array of ``n`` predicted labels.

``predict_one_vs_rest(scorers, X)``
    ``scorers[c]`` separates class ``c`` (positive) from all the others. Predict the class whose
    scorer gives the largest value -- this also settles the samples that several classes claim
    or none does. A tie goes to the smallest label. ``K`` evaluations per sample.

``predict_one_vs_one(scorers, n_classes, X)``
    ``scorers[(i, j)]`` for every pair ``i < j`` (``K (K - 1) / 2`` of them) separates ``i`` from
    ``j``: a value ``> 0`` is a vote for ``i``, anything else a vote for ``j``. Predict the class
    with the most votes; a tie goes to the smallest label among the tied classes.
    ``K (K - 1) / 2`` evaluations per sample.

``predict_dag(scorers, n_classes, X)``
    The decision DAG (DAG-SVM) with the same pairwise scorers: start with the list
    ``[0, 1, ..., K - 1]``; while more than one class is left, ask the scorer of the first and the
    last class of the list, ``(first, last)``; a value ``> 0`` removes ``last`` from the list,
    anything else removes ``first``. The one class left is the prediction. Exactly ``K - 1``
    evaluations per sample -- samples take different paths, so do not evaluate the pairs a
    sample never reaches.

``pegasos(X, y, *, lam, order)``
    Train a linear SVM ``w`` (shape ``(d,)``, no separate bias: append a column of ones to ``X``
    if you want one) on labels ``y`` in ``{-1, +1}`` by minimising
    ``lam / 2 * |w|^2 + mean_i max(0, 1 - y_i w.x_i)`` with Pegasos, the stochastic sub-gradient
    method of Shalev-Shwartz et al. Start from ``w = 0``; for ``t = 1, 2, ..., len(order)`` take
    the sample ``i = order[t - 1]``, the step ``eta = 1 / (lam * t)``, and update::

        if y_i * (w . x_i) < 1:   w <- (1 - eta * lam) * w + eta * y_i * x_i
        else:                     w <- (1 - eta * lam) * w

    (no projection step). The order of the samples is given to you, so the result is exact.

``hinge_objective(w, X, y, lam)``
    The objective above, ``lam / 2 * |w|^2 + mean_i max(0, 1 - y_i w.x_i)``, as a float.

Use NumPy; do not modify the inputs.

Example::

    >>> X = np.array([[1.0, 0.0], [0.0, 1.0]]); y = np.array([1, -1])
    >>> pegasos(X, y, lam=1.0, order=np.array([0, 1]))
    array([ 0.5, -0.5])        # t=1: eta=1, w = [1, 0]; t=2: eta=1/2, w = [1, 0]/2 - [0, 1]/2
    >>> s = {(0, 1): lambda r: np.ones(len(r)), (0, 2): lambda r: -np.ones(len(r)),
    ...      (1, 2): lambda r: np.ones(len(r))}        # 0 beats 1, 2 beats 0, 1 beats 2
    >>> predict_one_vs_one(s, 3, X), predict_dag(s, 3, X)
    (array([0, 0]), array([1, 1]))  # OvO: one vote each, tie -> 0; DAG: (0,2) drops 0, (1,2) -> 1
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

Scorer = Callable[[np.ndarray], np.ndarray]


def predict_one_vs_rest(scorers: Sequence[Scorer], X: np.ndarray) -> np.ndarray:
    """argmax over the K one-vs-rest scorers; ties to the smallest label."""
    raise NotImplementedError("predict_one_vs_rest")


def predict_one_vs_one(
    scorers: Mapping[tuple[int, int], Scorer], n_classes: int, X: np.ndarray
) -> np.ndarray:
    """Majority vote of the K(K-1)/2 pairwise scorers; ties to the smallest label."""
    raise NotImplementedError("predict_one_vs_one")


def predict_dag(
    scorers: Mapping[tuple[int, int], Scorer], n_classes: int, X: np.ndarray
) -> np.ndarray:
    """Eliminate first or last of the candidate list, K - 1 evaluations per sample."""
    raise NotImplementedError("predict_dag")


def pegasos(X: np.ndarray, y: np.ndarray, *, lam: float, order: np.ndarray) -> np.ndarray:
    """Pegasos sub-gradient steps with eta = 1 / (lam t), visiting samples in ``order``."""
    raise NotImplementedError("pegasos")


def hinge_objective(w: np.ndarray, X: np.ndarray, y: np.ndarray, lam: float) -> float:
    """lam / 2 |w|^2 + mean hinge loss."""
    raise NotImplementedError("hinge_objective")
