"""Hidden grader for ml/pca; the oracle is numpy.linalg.svd of the centred data (and numpy.cov).

Eigenvectors are defined up to sign, so every comparison of components first flips each row to a
canonical sign (its largest-magnitude entry positive) -- the learner's, the oracle's and those of
the known mistakes alike.
"""

from __future__ import annotations

import numpy as np
import pytest

from katakit import misconceptions
from katakit.checks import as_array, assert_close, assert_unchanged, describe, fail, rng, snapshot

MISTAKES = misconceptions.of(__file__)


def draw(seed, n, d, *, offset=10.0):
    """Data with well separated variances along random orthogonal directions, far from 0.

    Distinct variances make each component unique up to sign; the offset makes a forgotten
    centring visible.
    """
    gen = rng(seed)
    rotation, _ = np.linalg.qr(gen.normal(size=(d, d)))
    scales = np.geomspace(4.0, 0.4, d)
    X = gen.normal(size=(n, d)) * scales @ rotation.T + gen.normal(0, offset, d)
    return X


def svd_oracle(X):
    """(mean, all components, all variances) from the SVD of the centred data."""
    mean = X.mean(axis=0)
    _, s, vt = np.linalg.svd(X - mean, full_matrices=False)
    return mean, vt, s**2 / (len(X) - 1)


def canonical(components):
    """Each row flipped so that its largest-magnitude entry is positive."""
    components = np.asarray(components, dtype=np.float64)
    if components.ndim != 2:
        return components
    pivot = components[np.arange(len(components)), np.abs(components).argmax(axis=1)]
    return components * np.where(pivot < 0, -1.0, 1.0)[:, None]


def fit(kata, X, k):
    result = kata.pca_fit(X, k)
    if not isinstance(result, tuple | list) or len(result) != 4:
        fail(
            "pca_fit must return a tuple (mean, components, explained_variance, "
            f"explained_variance_ratio), got {type(result).__name__}"
        )
    return result


def own_eigen(kata, X):
    """Eigenvalues (descending) and eigenvectors (rows) of the learner's own covariance(X), or
    None when it gives no (d, d) matrix: pca_fit's tests also accept a fit that is right for
    the learner's covariance, whose mistakes are the covariance tests' concern."""
    try:
        C = as_array(kata.covariance(X), "covariance")
    except Exception:
        return None
    if C.shape != (X.shape[1],) * 2 or not np.isfinite(C).all():
        return None
    values, vectors = np.linalg.eigh((C + C.T) / 2)
    return values[::-1], vectors[:, ::-1].T


def close(actual, expected, *, rtol, atol):
    """Whether ``actual`` converts to an array of ``expected``'s shape and values."""
    try:
        actual = np.asarray(actual, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return actual.shape == np.shape(expected) and np.allclose(actual, expected, rtol, atol)


def wrong_fits(X, k):
    """Components and variances that the classic mistakes produce."""
    n = len(X)
    raw_values, raw_vectors = np.linalg.eigh(X.T @ X / (n - 1))
    values, vectors = np.linalg.eigh(np.cov(X, rowvar=False))
    return {
        "components": {
            MISTAKES["eigh-ascending-order"]: vectors[:, :k].T,
            MISTAKES["data-not-centred"]: raw_vectors[:, ::-1][:, :k].T,
        },
        "variance": {
            MISTAKES["eigh-ascending-order"]: values[:k],
            MISTAKES["covariance-divided-by-n"]: values[::-1][:k] * (n - 1) / n,
            MISTAKES["data-not-centred"]: raw_values[::-1][:k],
        },
    }


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, n, d", [(1, 30, 4), (2, 2, 3)])
def test_covariance_matches_numpy_cov(kata, seed, n, d):
    X = draw(seed, n, d)
    before = snapshot(X=X)
    expected = np.cov(X, rowvar=False)
    centred = X - X.mean(axis=0)
    assert_close(
        kata.covariance(X),
        expected,
        what="covariance",
        where=describe(seed, X=X),
        rtol=1e-9,
        atol=1e-9,
        misconceptions={
            MISTAKES["covariance-divided-by-n"]: centred.T @ centred / n,
            MISTAKES["data-not-centred"]: X.T @ X / (n - 1),
        },
    )
    assert_unchanged(before, X=X)


@pytest.mark.points(1)
def test_covariance_stays_exact_for_data_far_from_the_origin(kata):
    # Features around 1e8 with a spread of about 1 (timestamps, say): x^2 is about 1e16, where
    # float64 spacing is 2, so E[x x^T] - E[x] E[x]^T loses every digit; centring first keeps
    # them all.
    seed, n, d = 2, 30, 3
    X = draw(seed, n, d, offset=0.0) + 1e8
    expected = np.cov(X, rowvar=False)
    result = as_array(kata.covariance(X), "covariance")
    if close(result, expected * (n - 1) / n, rtol=1e-6, atol=1e-6):
        return  # exact, with the 1/n of test_covariance_matches_numpy_cov's concern
    mistake = None
    if result.shape == expected.shape and not np.allclose(result, expected, rtol=1e-6, atol=1e-6):
        # the same data moved to the origin: right there, the large mean is the cause
        near = as_array(kata.covariance(X - 1e8), "covariance")
        if np.allclose(near, np.cov(X - 1e8, rowvar=False), rtol=1e-6, atol=1e-6):
            mistake = MISTAKES["one-pass-covariance"]
    assert_close(
        result,
        expected,
        what="covariance",
        where=describe(seed, X=X) + ", features around 1e8 with a spread of about 1",
        rtol=1e-6,
        atol=1e-6,
        misconceptions=None if mistake is None else {mistake: result},
    )


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "seed, n, d, k",
    [(11, 40, 5, 3), (12, 25, 4, 4), (13, 4, 6, 3)],
    ids=["tall-k3", "all-components", "fewer-samples-than-features"],
)
def test_components_match_svd_up_to_sign(kata, seed, n, d, k):
    X = draw(seed, n, d)
    before = snapshot(X=X)
    mean, components, _, _ = fit(kata, X, k)
    expected_mean, expected, _ = svd_oracle(X)
    where = describe(seed, X=X, k=k)
    assert_close(mean, expected_mean, what="mean", where=where, rtol=1e-10, atol=1e-10)
    components = as_array(components, "components")
    if components.shape != (k, d):
        fail(
            f"components: expected shape ({k}, {d}) (one row per component), got "
            f"{components.shape} [{where}]"
            + (
                "; did you return the eigenvectors as columns?"
                if components.shape == (d, k)
                else ""
            )
        )
    gram = components @ components.T
    if not np.allclose(gram, np.eye(k), atol=1e-8):
        fail(
            f"components: the rows are not orthonormal (C C^T differs from I by "
            f"{np.abs(gram - np.eye(k)).max():.3g}) [{where}]"
        )
    own = own_eigen(kata, X)
    if own is not None and close(
        canonical(components), canonical(own[1][:k]), rtol=1e-7, atol=1e-8
    ):
        assert_unchanged(before, X=X)
        return
    wrong = wrong_fits(X, k)["components"]
    assert_close(
        canonical(components),
        canonical(expected[:k]),
        what="components (each row compared up to sign)",
        where=where,
        rtol=1e-7,
        atol=1e-8,
        misconceptions={name: canonical(value) for name, value in wrong.items()},
    )
    assert_unchanged(before, X=X)


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, n, d, k", [(21, 50, 5, 2), (22, 3, 5, 2)])
def test_explained_variance_is_the_sorted_eigenvalues(kata, seed, n, d, k):
    X = draw(seed, n, d)
    _, _, variance, _ = fit(kata, X, k)
    _, _, expected = svd_oracle(X)
    own = own_eigen(kata, X)
    if own is not None and close(variance, own[0][:k], rtol=1e-8, atol=1e-10):
        return  # the k largest eigenvalues of the learner's own covariance, in decreasing order
    assert_close(
        variance,
        expected[:k],
        what="explained_variance",
        where=describe(seed, X=X, k=k),
        rtol=1e-8,
        atol=1e-10,
        misconceptions=wrong_fits(X, k)["variance"],
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, n, d, k", [(31, 50, 5, 2), (32, 20, 3, 3)])
def test_explained_variance_ratio_divides_by_the_total_variance(kata, seed, n, d, k):
    X = draw(seed, n, d)
    _, _, own_variance, ratio = fit(kata, X, k)
    _, _, variance = svd_oracle(X)
    expected = variance[:k] / variance.sum()
    own = own_eigen(kata, X)
    if own is not None and close(
        ratio, np.asarray(own_variance, dtype=np.float64) / own[0].sum(), rtol=1e-8, atol=1e-10
    ):
        return  # the learner's own explained_variance over its own total: the division is right
    assert_close(
        ratio,
        expected,
        what="explained_variance_ratio",
        where=describe(seed, X=X, k=k),
        rtol=1e-8,
        atol=1e-10,
        misconceptions={
            MISTAKES["ratio-over-kept-variance"]: variance[:k] / variance[:k].sum(),
            MISTAKES["eigh-ascending-order"]: (variance / variance.sum())[::-1][:k],
        },
    )


@pytest.mark.points(1)
def test_transform_projects_the_centred_data(kata):
    seed, k = 41, 2
    X = draw(seed, 12, 4)
    mean, components, _ = svd_oracle(X)
    components = components[:k]
    before = snapshot(X=X, mean=mean, components=components)
    Z = kata.pca_transform(X, mean, components)
    assert_close(
        Z,
        (X - mean) @ components.T,
        what="pca_transform",
        where=describe(seed, X=X, components=components),
        rtol=1e-10,
        atol=1e-10,
        misconceptions={
            MISTAKES["projection-without-mean"]: X @ components.T,
        },
    )
    assert_unchanged(before, X=X, mean=mean, components=components)


@pytest.mark.points(1)
@pytest.mark.parametrize("k", [2, 4])
def test_inverse_transform_reconstructs_from_k_components(kata, k):
    # With all d components the round trip is exact; with k < d it is the orthogonal projection
    # of the centred data onto the span of the first k components, plus the mean.
    seed = 51
    X = draw(seed, 15, 4)
    mean, components, _ = svd_oracle(X)
    components = components[:k]
    Z = (X - mean) @ components.T
    before = snapshot(Z=Z, mean=mean, components=components)
    reconstruction = kata.pca_inverse_transform(Z, mean, components)
    assert_close(
        reconstruction,
        Z @ components + mean,
        what=f"pca_inverse_transform with k = {k} of 4 components",
        where=describe(seed, X=X, k=k),
        rtol=1e-10,
        atol=1e-9,
        misconceptions={MISTAKES["reconstruction-without-mean"]: Z @ components},
    )
    assert_unchanged(before, Z=Z, mean=mean, components=components)
