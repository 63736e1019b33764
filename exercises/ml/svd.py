"""Truncated SVD, the best rank-k approximation (Eckart-Young) and the pseudo-inverse.

Source question: SVD 相关 (s001-45).

Every real ``(m, n)`` matrix factors as ``A = U diag(s) V^T`` with orthonormal columns in ``U`` and
``V`` and singular values ``s_1 >= s_2 >= ... >= 0``. ``numpy.linalg.svd`` computes it, and you
may use it (or ``torch.linalg.svd``); this kata is about what to do with the factors. Implement:

``truncated_svd(A, k)``
    The ``k`` largest singular triplets: ``(U_k, s_k, Vt_k)`` of shapes ``(m, k)``, ``(k,)`` and
    ``(k, n)``, singular values in decreasing order. Each pair ``(u_i, v_i)`` is defined up to a
    common sign flip; either sign is accepted. ``1 <= k <= min(m, n)``.

``low_rank_approximation(A, k)``
    The rank-``k`` matrix ``A_k = U_k diag(s_k) Vt_k`` of shape ``(m, n)``. By the Eckart-Young
    theorem no matrix of rank at most ``k`` is closer to ``A``, in the Frobenius norm or the
    spectral norm.

``approximation_errors(A, k)``
    ``(frobenius, spectral)``: the two errors ``||A - A_k||`` of that best approximation, as
    floats, computed from the singular values alone (without forming ``A_k``):
    ``frobenius = sqrt(s_{k+1}^2 + ... + s_r^2)`` and ``spectral = s_{k+1}``, the largest singular
    value left out (``0.0`` when nothing is left out, ``k >= min(m, n)``).

``pinv(A, rcond=1e-10)``
    The Moore-Penrose pseudo-inverse, shape ``(n, m)``: ``V diag(1 / s) U^T`` where singular
    values ``s_i <= rcond * s_1`` (relative to the *largest* one) count as zero and contribute
    nothing (their ``1 / s_i`` is replaced by 0). Without that cutoff a rank-deficient matrix,
    whose "zero" singular values come out of the SVD as 1e-16 or so, gets entries near 1e16.
    The zero matrix has the zero matrix as pseudo-inverse. This is ``numpy.linalg.pinv(A, rcond)``,
    which is not allowed here (nor ``matrix_rank``, ``lstsq``, or torch's equivalents).

``A`` is float64 and may be square, tall or wide; do not modify it.

Example::

    >>> A = np.diag([3.0, 2.0, 0.0])
    >>> low_rank_approximation(A, 1)
    array([[3., 0., 0.],
           [0., 0., 0.],
           [0., 0., 0.]])
    >>> approximation_errors(A, 1)                     # sqrt(2^2 + 0^2), and s_2
    (2.0, 2.0)
    >>> pinv(A)                                        # the zero singular value is dropped
    array([[0.33333333, 0.        , 0.        ],
           [0.        , 0.5       , 0.        ],
           [0.        , 0.        , 0.        ]])
"""

from __future__ import annotations

import numpy as np


def truncated_svd(A: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(U_k (m, k), s_k (k,), Vt_k (k, n))``: the k largest singular triplets."""
    raise NotImplementedError("truncated_svd")


def low_rank_approximation(A: np.ndarray, k: int) -> np.ndarray:
    """The best rank-k approximation ``U_k diag(s_k) Vt_k``, shape (m, n)."""
    raise NotImplementedError("low_rank_approximation")


def approximation_errors(A: np.ndarray, k: int) -> tuple[float, float]:
    """``(||A - A_k||_F, ||A - A_k||_2)`` from the singular values left out."""
    raise NotImplementedError("approximation_errors")


def pinv(A: np.ndarray, rcond: float = 1e-10) -> np.ndarray:
    """Pseudo-inverse (n, m); singular values ``<= rcond * s_max`` are treated as zero."""
    raise NotImplementedError("pinv")
