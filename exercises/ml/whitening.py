"""Whitening: mean subtraction, PCA whitening and ZCA whitening.

Source questions: 为什么需要白化 (s001-04, s000-04); 如何进行白化 (s001-05, s000-05);
6.3 数据预处理 (s002-18).

Whitening turns correlated features into uncorrelated features of unit variance: after it, the
covariance of the data is the identity. Its first step is the mean subtraction of ordinary
preprocessing. Implement, with NumPy:

``mean_subtraction(images, mode)``
    ``images`` has shape ``(N, C, H, W)``. With ``mode="image"`` subtract the *mean image*, the
    average over the ``N`` samples (a mean of shape ``(C, H, W)``); with ``mode="channel"``
    subtract one mean per channel, taken over ``N``, ``H`` and ``W`` (a mean of shape ``(C,)``).
    Return ``(centred, mean)``; ``centred`` has the shape of ``images``. Any other mode raises
    ``ValueError``.

For the rest, ``X`` has shape ``(n, d)`` (``n`` samples of ``d`` features, float64). Let
``Sigma = Xc.T @ Xc / (n - 1)`` be the sample covariance of the centred data ``Xc = X - mean``
(divide by ``n - 1``), with eigen-decomposition ``Sigma = U diag(lam) U.T`` (eigenvectors are
the *columns* of ``U``), and ``eps >= 0`` a regulariser added to every eigenvalue.

``pca_whitening(X, eps)``
    Returns ``(mean, W)`` with ``W`` of shape ``(d, d)``: row ``i`` of ``W`` is the ``i``-th
    eigenvector divided by ``sqrt(lam_i + eps)``, rows sorted by decreasing eigenvalue, i.e.
    ``W = diag(1 / sqrt(lam + eps)) @ U.T``. Each row's sign is free (either is accepted).
    This rotates the data onto its principal axes and rescales each to unit variance.

``zca_whitening(X, eps)``
    Returns ``(mean, W)`` with ``W = U @ diag(1 / sqrt(lam + eps)) @ U.T = (Sigma + eps I)^(-1/2)``:
    PCA whitening followed by the rotation back to the original axes. ``W`` is symmetric and
    unique (no sign or order freedom), and among all whitening transforms its output stays
    closest to the input ("zero-phase").

``whiten(X, mean, W)``
    Apply a whitening: ``(X - mean) @ W.T``, shape ``(n, d)``.

``eps`` keeps the division finite when an eigenvalue is 0 (a constant feature, fewer samples
than features) and damps directions whose variance is below ``eps``. For ``eps`` much smaller
than the smallest eigenvalue, the whitened covariance is the identity to within
``eps / (lam_min + eps)``: the grader checks it to 1e-6 with ``eps = 1e-9``.

``numpy.linalg.eigh`` is allowed (it returns eigenvalues in *ascending* order);
``numpy.cov`` and matrix-power routines such as ``scipy.linalg.sqrtm`` are not. Do not modify
the inputs.

Example::

    >>> X = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 4.0], [2.0, 4.0]])
    >>> mean, W = zca_whitening(X, eps=0.0)          # variances 4/3 and 16/3, uncorrelated
    >>> mean, W
    (array([1., 2.]), array([[0.8660254, 0.       ],
           [0.       , 0.4330127]]))
    >>> whiten(X, mean, W)[0]                        # (-1, -2) scaled by sqrt(3/4), sqrt(3/16)
    array([-0.8660254, -0.8660254])
"""

from __future__ import annotations

import numpy as np


def mean_subtraction(images: np.ndarray, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """``(images - mean, mean)``: the mean image (C, H, W) or the per-channel means (C,)."""
    raise NotImplementedError("mean_subtraction")


def pca_whitening(X: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """``(mean (d,), W (d, d))`` with ``W = diag(1 / sqrt(lam + eps)) @ U.T``, largest first."""
    raise NotImplementedError("pca_whitening")


def zca_whitening(X: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """``(mean (d,), W (d, d))`` with ``W = (Sigma + eps I)^(-1/2)``, symmetric."""
    raise NotImplementedError("zca_whitening")


def whiten(X: np.ndarray, mean: np.ndarray, W: np.ndarray) -> np.ndarray:
    """``(X - mean) @ W.T``: shape (n, d)."""
    raise NotImplementedError("whiten")
