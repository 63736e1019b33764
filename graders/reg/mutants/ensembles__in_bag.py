"""Mutant of reg/ensembles: out_of_bag_mask returns the in-bag mask."""

from __future__ import annotations

import numpy as np


def expected_ensemble_error(v: float, c: float, k: int) -> float:
    # (1/k^2) * (k * v + k * (k - 1) * c): the correlated part does not average away.
    return float(v / k + (k - 1) * c / k)


def simulate_ensemble_error(
    v: float, c: float, k: int, trials: int, generator: np.random.Generator
) -> float:
    # Eigenvalues of the covariance are v - c (k - 1 times) and v + (k - 1) c.
    if c > v or (k >= 2 and c < -v / (k - 1)):
        raise ValueError(f"no covariance matrix has variance {v} and covariance {c} for k={k}")
    cov = np.full((k, k), float(c))
    np.fill_diagonal(cov, v)
    errors = generator.multivariate_normal(np.zeros(k), cov, size=trials, method="eigh")
    return float(np.mean(errors.mean(axis=1) ** 2))


def bootstrap_indices(n: int, k: int, generator: np.random.Generator) -> np.ndarray:
    # With replacement: that is what leaves about 1/e of the points out of each sample.
    return generator.integers(0, n, size=(k, n))


def out_of_bag_mask(indices: np.ndarray, n: int) -> np.ndarray:
    indices = np.asarray(indices)
    in_bag = np.zeros((indices.shape[0], n), dtype=bool)
    rows = np.repeat(np.arange(indices.shape[0]), indices.shape[1])
    in_bag[rows, indices.ravel()] = True
    return in_bag
