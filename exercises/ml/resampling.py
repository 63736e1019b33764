"""Fighting class imbalance with data: random over/under-sampling, SMOTE and class weights.

Source question: 如何解决正负类不平衡问题 (s002-01).

``X`` is a float array of shape ``(n, d)`` (one sample per row), ``y`` an integer array of shape
``(n,)`` with labels ``0 .. K-1``, every class present at least once. Every random choice is
drawn from the ``numpy.random.Generator`` passed in as ``rng`` (never from ``numpy.random``'s
global state), so the same seed gives the same result. Do not modify the inputs.

``random_oversample(X, y, rng)`` -> ``(X_res, y_res)``
    Bring every class up to the size ``n_max`` of the largest class: keep every original sample
    once, and add ``n_max - n_c`` samples of class ``c`` drawn uniformly *with replacement* from
    the samples of class ``c`` (a class of 3 samples that needs 17 more must repeat some).
    The result has ``K * n_max`` rows, in any order.

``random_undersample(X, y, rng)`` -> ``(X_res, y_res)``
    Bring every class down to the size ``n_min`` of the smallest class: keep ``n_min`` samples
    of each class, drawn uniformly *without replacement* (no sample twice). ``K * n_min`` rows,
    in any order.

``smote(X, y, *, minority, n_new, k, rng)`` -> ``(n_new, d)`` array of synthetic samples
    SMOTE (Synthetic Minority Over-sampling TEchnique). Let ``M`` be the samples of class
    ``minority``. For each new sample:

    1. pick an anchor ``a`` uniformly from ``M``;
    2. pick ``b`` uniformly from the ``k`` nearest neighbours of ``a`` *within* ``M``
       (Euclidean distance, ``a`` itself excluded; samples of other classes are never
       neighbours);
    3. draw ``t`` uniformly from ``[0, 1)`` and return ``a + t * (b - a)``, a point on the
       segment from ``a`` to ``b``.

    Raise ``ValueError`` unless ``1 <= k < len(M)``.

``class_weights(y)`` -> ``(K,)`` float array
    The "balanced" weights ``w_c = n / (K * n_c)``, with ``n_c`` the number of samples of class
    ``c`` and ``K = y.max() + 1``: rare classes weigh more, and every class carries the same
    total weight ``n / K``.

``weighted_cross_entropy(logits, y, weights)`` -> float
    The class-weighted cross-entropy with PyTorch's convention for ``weight=``: with ``logits``
    of shape ``(n, K)`` and ``CE_i = -log softmax(logits_i)[y_i]``,
    ``loss = sum_i w[y_i] * CE_i / sum_i w[y_i]`` (a weighted *mean*: divide by the total weight,
    not by ``n``). Logits may reach 1000 in absolute value: the loss must stay finite and exact
    there. ``torch.nn.functional.cross_entropy`` and ``nll_loss`` are not allowed.

Example::

    >>> X = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [5.0, 5.0]])
    >>> y = np.array([0, 0, 0, 1])
    >>> X_res, y_res = random_oversample(X, y, np.random.default_rng(0))
    >>> np.bincount(y_res)                 # the single class-1 sample is now there 3 times
    array([3, 3])
    >>> class_weights(y)                   # 4 / (2 * 3) and 4 / (2 * 1)
    array([0.66666667, 2.        ])
    >>> smote(X, y, minority=0, n_new=2, k=1, rng=np.random.default_rng(0))[:, 1]
    array([0., 0.])                        # on a segment between neighbouring class-0 samples
"""

from __future__ import annotations

import numpy as np


def random_oversample(
    X: np.ndarray, y: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Every class up to the largest class's size: originals plus draws with replacement."""
    raise NotImplementedError("random_oversample")


def random_undersample(
    X: np.ndarray, y: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Every class down to the smallest class's size: draws without replacement."""
    raise NotImplementedError("random_undersample")


def smote(
    X: np.ndarray,
    y: np.ndarray,
    *,
    minority: int,
    n_new: int,
    k: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """n_new synthetic minority samples on segments to k-nearest minority neighbours."""
    raise NotImplementedError("smote")


def class_weights(y: np.ndarray) -> np.ndarray:
    """Balanced class weights n / (K * n_c), shape (K,)."""
    raise NotImplementedError("class_weights")


def weighted_cross_entropy(logits: np.ndarray, y: np.ndarray, weights: np.ndarray) -> float:
    """sum_i w[y_i] * CE_i / sum_i w[y_i], PyTorch's weighted mean."""
    raise NotImplementedError("weighted_cross_entropy")
