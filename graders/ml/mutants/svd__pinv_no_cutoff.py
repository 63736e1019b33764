"""Mutant of ml/svd: pinv inverts every singular value (no rcond cutoff)."""

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
    inverse = 1.0 / s
    return (Vt.T * inverse) @ U.T
