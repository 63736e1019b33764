"""Hidden grader for ml/whitening.

Oracles: the closed forms (Sigma + eps I)^(-1/2) and diag(1 / sqrt(lam + eps)) U^T, computed by the
grader from numpy.cov and numpy.linalg.eigh; the defining property of whitening (identity
covariance); and ZCA's optimality (no other whitening of the data stays closer to it).
"""

from __future__ import annotations

import numpy as np
import pytest

from katakit import misconceptions
from katakit.checks import as_array, assert_close, assert_unchanged, describe, fail, rng, snapshot

MISTAKES = misconceptions.of(__file__)


def draw(seed, n, d, *, smallest=0.3):
    """Correlated data: variances from 9 down to smallest**2 along random directions, offset."""
    gen = rng(seed)
    rotation, _ = np.linalg.qr(gen.normal(size=(d, d)))
    scales = np.geomspace(3.0, smallest, d)
    return gen.normal(size=(n, d)) * scales @ rotation.T + gen.normal(0, 5, d)


def eigen(X):
    """Eigenvalues (descending) and eigenvectors (columns) of the n - 1 sample covariance."""
    values, vectors = np.linalg.eigh(np.cov(X, rowvar=False))
    return values[::-1], vectors[:, ::-1]


def zca_oracle(X, eps):
    values, vectors = eigen(X)
    return (vectors / np.sqrt(values + eps)) @ vectors.T


def pca_oracle(X, eps):
    values, vectors = eigen(X)
    return vectors.T / np.sqrt(values + eps)[:, None]


def canonical(W):
    """Each row flipped so that its largest-magnitude entry is positive (rows have a free sign)."""
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2:
        return W
    pivot = W[np.arange(len(W)), np.abs(W).argmax(axis=1)]
    return W * np.where(pivot < 0, -1.0, 1.0)[:, None]


def zca_mistakes(X, eps):
    values, vectors = eigen(X)
    with np.errstate(all="ignore"):
        no_eps = (vectors / np.sqrt(values)) @ vectors.T
    return {
        MISTAKES["divided-by-variance"]: (vectors / (values + eps)) @ vectors.T,
        MISTAKES["eps-missing"]: no_eps,
        MISTAKES["eps-outside-sqrt"]: (vectors / (np.sqrt(np.clip(values, 0, None)) + eps))
        @ vectors.T,
        MISTAKES["eigenvectors-transposed"]: vectors.T
        @ np.diag(1 / np.sqrt(values + eps))
        @ vectors,
        MISTAKES["zca-without-rotation-back"]: pca_oracle(X, eps),
    }


def pca_mistakes(X, eps):
    values, vectors = eigen(X)
    return {
        MISTAKES["divided-by-variance"]: canonical(vectors.T / (values + eps)[:, None]),
        MISTAKES["eps-missing"]: canonical(vectors.T / np.sqrt(values)[:, None]),
        MISTAKES["eps-outside-sqrt"]: canonical(
            vectors.T / (np.sqrt(np.clip(values, 0, None)) + eps)[:, None]
        ),
        MISTAKES["eigenvectors-transposed"]: canonical(vectors / np.sqrt(values + eps)[:, None]),
        MISTAKES["eigh-ascending-order"]: canonical(
            (vectors.T / np.sqrt(values + eps)[:, None])[::-1]
        ),
    }


def call(function, X, eps, name):
    result = function(X, eps)
    if not isinstance(result, tuple | list) or len(result) != 2:
        fail(f"{name} must return a tuple (mean, W), got {type(result).__name__}")
    return result[0], result[1]


@pytest.mark.points(1)
@pytest.mark.parametrize("mode", ["image", "channel"])
def test_mean_subtraction_per_image_position_or_per_channel(kata, mode):
    seed = 1
    gen = rng(seed)
    images = gen.normal(gen.normal(0, 5, (1, 3, 1, 1)), 1.0, (4, 3, 2, 5))
    images += gen.normal(0, 2, (4, 1, 1, 1))  # per-image brightness, so the axes matter
    before = snapshot(images=images)
    result = kata.mean_subtraction(images, mode)
    if not isinstance(result, tuple | list) or len(result) != 2:
        fail(f"mean_subtraction must return (centred, mean), got {type(result).__name__}")
    centred, mean = result
    axes = (0,) if mode == "image" else (0, 2, 3)
    expected_mean = images.mean(axis=axes)
    where = describe(seed, images=images, mode=mode)
    assert_close(
        mean,
        expected_mean,
        what=f"mean ({mode} mode)",
        where=where,
        rtol=1e-10,
        atol=1e-10,
        misconceptions={
            MISTAKES["channel-mean-per-image"]: images.mean(axis=(2, 3)),
            MISTAKES["single-global-mean"]: images.mean(),
        },
    )
    assert_close(
        centred,
        images - images.mean(axis=axes, keepdims=True),
        what=f"centred images ({mode} mode)",
        where=where,
        rtol=1e-10,
        atol=1e-10,
    )
    assert_unchanged(before, images=images)


@pytest.mark.points(1)
def test_mean_subtraction_rejects_an_unknown_mode(kata):
    images = rng(2).normal(size=(4, 3, 2, 5))
    try:
        kata.mean_subtraction(images, "pixel")
    except ValueError:
        return
    fail("mean_subtraction(images, 'pixel') should raise ValueError: the mode is unknown")


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, n, d, eps", [(11, 40, 4, 1e-2), (12, 25, 6, 1e-3)])
def test_zca_matrix_is_the_inverse_square_root_of_the_covariance(kata, seed, n, d, eps):
    X = draw(seed, n, d, smallest=0.05)
    before = snapshot(X=X)
    mean, W = call(kata.zca_whitening, X, eps, "zca_whitening")
    where = describe(seed, X=X, eps=eps)
    assert_close(mean, X.mean(axis=0), what="mean", where=where, rtol=1e-10, atol=1e-10)
    assert_close(
        W,
        zca_oracle(X, eps),
        what="ZCA matrix W = (Sigma + eps I)^(-1/2)",
        where=where,
        rtol=1e-7,
        atol=1e-8,
        misconceptions=zca_mistakes(X, eps),
    )
    assert_unchanged(before, X=X)


@pytest.mark.points(1)
def test_zca_matrix_is_symmetric(kata):
    seed, eps = 21, 1e-5
    X = draw(seed, 30, 5)
    _, W = call(kata.zca_whitening, X, eps, "zca_whitening")
    W = as_array(W, "W")
    if W.shape != (5, 5):
        fail(f"W: expected shape (5, 5), got {W.shape}")
    asymmetry = np.abs(W - W.T).max()
    if not asymmetry <= 1e-9 * np.abs(W).max():
        fail(
            f"the ZCA matrix is not symmetric: max |W - W^T| = {asymmetry:.3g} "
            f"[{describe(seed, X=X, eps=eps)}]; U diag(1 / sqrt(lam + eps)) U^T is symmetric, "
            "diag(1 / sqrt(lam + eps)) U^T (PCA whitening) is not"
        )


@pytest.mark.points(1)
@pytest.mark.parametrize("method", ["pca_whitening", "zca_whitening"])
def test_whitened_covariance_is_the_identity(kata, method):
    # cov of the output is W Sigma W^T = diag(lam / (lam + eps)): I to within eps / lam_min.
    seed, eps = 31, 1e-9
    X = draw(seed, 60, 5)
    mean, W = call(getattr(kata, method), X, eps, method)
    out = as_array(kata.whiten(X, mean, W), "whiten(X, mean, W)")
    if out.shape != X.shape:
        fail(f"whiten: expected shape {X.shape}, got {out.shape}")
    where = describe(seed, X=X, eps=eps) + f", {method}"
    assert_close(
        out.mean(axis=0),
        np.zeros(5),
        what="mean of the whitened data",
        where=where,
        atol=1e-9,
    )
    covariance = np.cov(out, rowvar=False)
    values = eigen(X)[0]
    no_root = np.diag(1 / values) if method == "pca_whitening" else np.linalg.inv(np.cov(X.T))
    assert_close(
        covariance,
        np.eye(5),
        what="covariance (n - 1) of the whitened data",
        where=where,
        rtol=0,
        atol=1e-6,
        misconceptions={
            MISTAKES["divided-by-variance"]: no_root,
            MISTAKES["whitened-with-biased-covariance"]: np.eye(5) * 59 / 60,
        },
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, n, d, eps", [(41, 50, 4, 1e-2), (42, 20, 3, 0.0)])
def test_pca_whitening_rows_are_scaled_eigenvectors_largest_first(kata, seed, n, d, eps):
    X = draw(seed, n, d)
    before = snapshot(X=X)
    mean, W = call(kata.pca_whitening, X, eps, "pca_whitening")
    where = describe(seed, X=X, eps=eps)
    assert_close(mean, X.mean(axis=0), what="mean", where=where, rtol=1e-10, atol=1e-10)
    assert_close(
        canonical(as_array(W, "W")),
        canonical(pca_oracle(X, eps)),
        what="PCA whitening matrix (each row compared up to sign)",
        where=where,
        rtol=1e-7,
        atol=1e-8,
        misconceptions=pca_mistakes(X, eps),
    )
    assert_unchanged(before, X=X)


@pytest.mark.points(1)
def test_whiten_centres_then_applies_w_to_each_row(kata):
    seed = 51
    gen = rng(seed)
    X, mean, W = gen.normal(size=(7, 3)), gen.normal(size=3), gen.normal(size=(3, 3))
    before = snapshot(X=X, mean=mean, W=W)
    assert_close(
        kata.whiten(X, mean, W),
        (X - mean) @ W.T,
        what="whiten(X, mean, W)",
        where=describe(seed, X=X, W=W) + " (a non-symmetric W)",
        rtol=1e-10,
        atol=1e-10,
        misconceptions={
            MISTAKES["whiten-w-not-transposed"]: (X - mean) @ W,
            MISTAKES["whiten-without-mean"]: X @ W.T,
        },
    )
    assert_unchanged(before, X=X, mean=mean, W=W)


@pytest.mark.points(1)
def test_eps_keeps_rank_deficient_data_finite(kata):
    # 5 samples of 8 features: the covariance has rank 4 and four zero eigenvalues, so only eps
    # keeps 1 / sqrt(lam + eps) finite. ZCA is still unique: the zero-variance directions are
    # all scaled by 1 / sqrt(eps).
    seed, eps = 61, 1e-2
    X = draw(seed, 5, 8)
    X[:, 2] = 7.0  # and a constant feature
    _, W = call(kata.zca_whitening, X, eps, "zca_whitening")
    W = as_array(W, "W")
    if not np.isfinite(W).all():
        fail(
            f"the ZCA matrix has {int((~np.isfinite(W)).sum())} NaN or infinite entries for "
            f"rank-deficient data [{describe(seed, X=X, eps=eps)}]: add eps to every eigenvalue "
            "before the square root (and note eigh may return tiny negative eigenvalues, "
            "like -1e-17, for a singular covariance)"
        )
    assert_close(
        W,
        zca_oracle(X, eps),
        what="ZCA matrix for rank-deficient data",
        where=describe(seed, X=X, eps=eps),
        rtol=1e-6,
        atol=1e-7,
        misconceptions=zca_mistakes(X, eps),
    )


@pytest.mark.points(1)
def test_zca_output_is_the_whitening_closest_to_the_input(kata):
    # Every whitening of the data is Q W_zca for an orthogonal Q; ZCA's output Xc W^T is the
    # one with the smallest distance to Xc. Compare with PCA whitening and random rotations.
    seed, eps = 71, 1e-10
    X = draw(seed, 40, 4)
    mean, W = call(kata.zca_whitening, X, eps, "zca_whitening")
    out = as_array(kata.whiten(X, mean, W), "whiten(X, mean, W)")
    centred = X - X.mean(axis=0)
    where = describe(seed, X=X, eps=eps)
    assert_close(
        np.cov(out, rowvar=False),
        np.eye(4),
        what="covariance of the ZCA output",
        where=where,
        rtol=0,
        atol=1e-6,
    )
    distance = np.linalg.norm(out - centred)
    gen = rng(seed + 1)
    rivals = {"PCA whitening": centred @ pca_oracle(X, eps).T}
    for i in range(20):
        q, _ = np.linalg.qr(gen.normal(size=(4, 4)))
        rivals[f"random rotation {i} of the ZCA output"] = centred @ (q @ zca_oracle(X, eps)).T
    for name, rival in rivals.items():
        if np.linalg.norm(rival - centred) < distance - 1e-9:
            fail(
                f"the ZCA output is {distance:.6g} from the centred input (Frobenius norm), but "
                f"{name} is closer, {np.linalg.norm(rival - centred):.6g} [{where}]: ZCA is the "
                "whitening that stays closest to the data, W = U diag(1 / sqrt(lam + eps)) U^T"
            )
