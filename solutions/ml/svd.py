"""Reference solution: truncated SVD, Eckart-Young and the pseudo-inverse (see the exercise)."""

from __future__ import annotations

import numpy as np


def truncated_svd(A: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # numpy returns the singular values already sorted in decreasing order,
    # so the k largest triplets are the first k.
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    return U[:, :k], s[:k], Vt[:k]


def low_rank_approximation(A: np.ndarray, k: int) -> np.ndarray:
    U, s, Vt = truncated_svd(A, k)
    # scaling the columns of U by s is diag(s) without building the matrix
    return (U * s) @ Vt


def approximation_errors(A: np.ndarray, k: int) -> tuple[float, float]:
    # A - A_k = sum of the left-out rank-one terms s_i u_i v_i^T, which are orthogonal:
    # its Frobenius norm is the root of their squared sum, its spectral norm the largest.
    tail = np.linalg.svd(A, compute_uv=False)[k:]
    return float(np.sqrt(np.sum(tail**2))), float(tail[0]) if tail.size else 0.0


def pinv(A: np.ndarray, rcond: float = 1e-10) -> np.ndarray:
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    # The cutoff is relative to the largest singular value: "zero" singular values come out of
    # floating point as ~1e-16 * s_max, and inverting them would swamp everything else.
    cutoff = rcond * s.max() if s.size else 0.0
    keep = s > cutoff
    inverse = np.divide(1.0, s, out=np.zeros_like(s), where=keep)
    return (Vt.T * inverse) @ U.T
