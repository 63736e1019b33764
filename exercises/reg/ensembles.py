"""Ensembles and bagging: why averaging k models helps, checked by simulation; bootstrap samples.

Source question: 32. Dropout与Bagging集成方法的关系，以及 Dropout 带来的意义与其强大的原因
(s004-02).

Take ``k`` models whose errors on an example, ``e_1 .. e_k``, have zero mean, variance
``E[e_i^2] = v`` and covariance ``E[e_i e_j] = c`` for ``i != j``. The ensemble predicts the
average of the k predictions, so its error is the average error ``(e_1 + ... + e_k) / k``.
Implement, with NumPy:

1. ``expected_ensemble_error(v, c, k)``: the expected squared error of the ensemble,
   ``E[((e_1 + ... + e_k) / k)^2]``, as a Python float (derive it: it is ``v`` when the errors
   are perfectly correlated, ``c = v``, and shrinks like ``1 / k`` when they are uncorrelated).
2. ``simulate_ensemble_error(v, c, k, trials, generator)``: a Monte-Carlo estimate of the same
   quantity. Draw ``trials`` independent vectors ``(e_1 .. e_k)`` from the multivariate normal
   with mean 0 and covariance ``v`` on the diagonal and ``c`` off it, using only ``generator``
   (a ``numpy.random.Generator``), and return the mean over trials of the squared average
   error, as a Python float. Raise ``ValueError`` when no such covariance exists: when
   ``c > v`` or ``c < -v / (k - 1)`` (for ``k >= 2``).
3. ``bootstrap_indices(n, k, generator)``: ``k`` bootstrap samples of a data set of ``n`` points,
   as an integer array of shape ``(k, n)``: row ``b`` holds the indices of sample ``b``, ``n``
   indices drawn uniformly *with replacement* from ``0 .. n-1`` (so some points repeat and some
   are left out), all rows independent, drawn from ``generator``.
4. ``out_of_bag_mask(indices, n)``: a boolean array of shape ``(k, n)``, ``True`` at ``[b, j]``
   when point ``j`` does *not* appear in sample ``b`` (it is "out of bag" for model ``b``, and can
   be used to validate it).

Arguments satisfy ``v > 0``, ``k >= 1``, ``trials >= 1``, ``n >= 1``. Do not modify ``indices``.

Example::

    >>> expected_ensemble_error(1.0, 0.0, 4)          # independent errors: v / k
    0.25
    >>> out_of_bag_mask(np.array([[0, 0, 2], [1, 2, 1]]), 3)
    array([[False,  True, False],
           [ True, False, False]])
"""

from __future__ import annotations

import numpy as np


def expected_ensemble_error(v: float, c: float, k: int) -> float:
    """``E[(mean of k errors)^2]`` for error variance ``v`` and pairwise covariance ``c``."""
    raise NotImplementedError("expected_ensemble_error")


def simulate_ensemble_error(
    v: float, c: float, k: int, trials: int, generator: np.random.Generator
) -> float:
    """Monte-Carlo estimate of :func:`expected_ensemble_error` from ``trials`` draws."""
    raise NotImplementedError("simulate_ensemble_error")


def bootstrap_indices(n: int, k: int, generator: np.random.Generator) -> np.ndarray:
    """``(k, n)`` integer indices, each row ``n`` draws with replacement from ``0 .. n-1``."""
    raise NotImplementedError("bootstrap_indices")


def out_of_bag_mask(indices: np.ndarray, n: int) -> np.ndarray:
    """``(k, n)`` booleans: True where point ``j`` is absent from bootstrap sample ``b``."""
    raise NotImplementedError("out_of_bag_mask")
