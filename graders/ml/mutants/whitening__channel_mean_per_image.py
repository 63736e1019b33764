"""Mutant of ml/whitening: channel means taken per image (over H, W) instead of over N, H, W."""

from __future__ import annotations

import numpy as np


def mean_subtraction(images: np.ndarray, mode: str) -> tuple[np.ndarray, np.ndarray]:
    if mode == "image":
        mean = images.mean(axis=0)  # one value per (c, h, w) position
    elif mode == "channel":
        mean = images.mean(axis=(2, 3))  # one value per image and channel
    else:
        raise ValueError(f"mode must be 'image' or 'channel', got {mode!r}")
    shaped = mean if mode == "image" else mean[:, :, None, None]
    return images - shaped, mean


def _eigen(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, and the eigenvalues (descending) and eigenvectors (columns) of the covariance."""
    mean = X.mean(axis=0)
    centred = X - mean
    eigenvalues, eigenvectors = np.linalg.eigh(centred.T @ centred / (len(X) - 1))
    # eigh sorts ascending; a rank-deficient covariance can give eigenvalues like -1e-17,
    # and clipping them at 0 keeps sqrt(lam + eps) real.
    return mean, np.clip(eigenvalues[::-1], 0.0, None), eigenvectors[:, ::-1]


def pca_whitening(X: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray]:
    mean, eigenvalues, eigenvectors = _eigen(X)
    # The variance along eigenvector u_i is lam_i: divide by its square root (the standard
    # deviation), not by lam_i itself, to give every direction unit variance.
    return mean, eigenvectors.T / np.sqrt(eigenvalues + eps)[:, None]


def zca_whitening(X: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray]:
    mean, eigenvalues, eigenvectors = _eigen(X)
    # rotate onto the principal axes (U.T), rescale, rotate back (U): U diag(.) U.T
    return mean, (eigenvectors / np.sqrt(eigenvalues + eps)) @ eigenvectors.T


def whiten(X: np.ndarray, mean: np.ndarray, W: np.ndarray) -> np.ndarray:
    return (X - mean) @ W.T
