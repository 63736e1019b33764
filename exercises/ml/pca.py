"""Principal component analysis from the covariance matrix.

Source question: PCA 的流程 (s001-07; also s000-07).

The data ``X`` has shape ``(n, d)``: ``n`` samples (rows) of ``d`` features, float64, ``n >= 2``.
Implement the steps of PCA:

``covariance(X)``
    The ``(d, d)`` sample covariance matrix. Centre each feature first (subtract its mean over the
    samples), then divide by ``n - 1``: ``C = Xc.T @ Xc / (n - 1)`` with ``Xc = X - mean``. This
    is the convention of ``numpy.cov`` (which is not allowed here) and of scikit-learn's
    ``PCA.explained_variance_``.

``pca_fit(X, k)``
    Returns ``(mean, components, explained_variance, explained_variance_ratio)``:

    * ``mean``: the per-feature mean, shape ``(d,)``;
    * ``components``: shape ``(k, d)``; row ``i`` is the unit-length eigenvector of the covariance
      matrix with the ``i``-th *largest* eigenvalue (rows sorted by decreasing variance). An
      eigenvector is only defined up to its sign: either sign is accepted, row by row;
    * ``explained_variance``: the ``k`` largest eigenvalues, in decreasing order, shape ``(k,)``
      (the variance of the data along each component, with the ``n - 1`` convention);
    * ``explained_variance_ratio``: each of those eigenvalues divided by the *total* variance,
      the sum of all ``d`` eigenvalues (the trace of the covariance), shape ``(k,)``.

    ``1 <= k <= d``; when ``n - 1 < d`` the grader only asks for ``k <= n - 1`` components (the
    remaining eigenvalues are 0 and their eigenvectors are arbitrary).

``pca_transform(X, mean, components)``
    Project: the coordinates of each centred sample along the components, shape ``(n, k)``.

``pca_inverse_transform(Z, mean, components)``
    Map coordinates ``Z`` of shape ``(n, k)`` back to feature space, shape ``(n, d)``: the
    reconstruction from the first ``k`` components (exact when ``k = d``).

Use NumPy. ``numpy.linalg.eigh`` (for a symmetric matrix; note the order in which it returns
eigenvalues) or ``numpy.linalg.svd`` may be used; ``numpy.cov`` and library PCA routines may not.
Do not modify the inputs.

Example::

    >>> X = np.array([[0.0, 0.0], [2.0, 2.0], [4.0, 4.0]])    # all variance along (1, 1)
    >>> covariance(X)
    array([[4., 4.],
           [4., 4.]])
    >>> mean, components, var, ratio = pca_fit(X, 1)
    >>> mean, components, var, ratio                  # components may also be -(0.707, 0.707)
    (array([2., 2.]), array([[0.70710678, 0.70710678]]), array([8.]), array([1.]))
    >>> pca_transform(X, mean, components)            # distances along (1, 1) from the mean
    array([[-2.82842712],
           [ 0.        ],
           [ 2.82842712]])
"""

from __future__ import annotations

import numpy as np


def covariance(X: np.ndarray) -> np.ndarray:
    """The (d, d) sample covariance of the rows of ``X``, centred, divided by ``n - 1``."""
    raise NotImplementedError("covariance")


def pca_fit(X: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(mean (d,), components (k, d), explained_variance (k,), explained_variance_ratio (k,))``.

    Components are rows, sorted by decreasing variance.
    """
    raise NotImplementedError("pca_fit")


def pca_transform(X: np.ndarray, mean: np.ndarray, components: np.ndarray) -> np.ndarray:
    """Coordinates of the centred rows of ``X`` along each component: shape (n, k)."""
    raise NotImplementedError("pca_transform")


def pca_inverse_transform(Z: np.ndarray, mean: np.ndarray, components: np.ndarray) -> np.ndarray:
    """Back to feature space from coordinates ``Z`` (n, k): shape (n, d)."""
    raise NotImplementedError("pca_inverse_transform")
