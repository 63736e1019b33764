"""Mutant of ml/pca: covariance of the raw data, not centred."""

from __future__ import annotations

import numpy as np


def covariance(X: np.ndarray) -> np.ndarray:
    return X.T @ X / (len(X) - 1)


def pca_fit(X: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    mean = X.mean(axis=0)
    # eigh suits a symmetric matrix: real eigenvalues, orthonormal eigenvectors (as columns),
    # but in *ascending* order of eigenvalue, so reverse before keeping the first k.
    eigenvalues, eigenvectors = np.linalg.eigh(covariance(X))
    order = np.argsort(eigenvalues)[::-1]
    eigenvalues, eigenvectors = eigenvalues[order], eigenvectors[:, order]
    # the total variance counts every direction, not only the k kept ones
    ratio = eigenvalues[:k] / eigenvalues.sum()
    return mean, eigenvectors[:, :k].T, eigenvalues[:k], ratio


def pca_transform(X: np.ndarray, mean: np.ndarray, components: np.ndarray) -> np.ndarray:
    # the rows of `components` are orthonormal, so a dot product is the coordinate along each
    return (X - mean) @ components.T


def pca_inverse_transform(Z: np.ndarray, mean: np.ndarray, components: np.ndarray) -> np.ndarray:
    return Z @ components + mean
