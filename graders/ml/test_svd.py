"""Hidden grader for ml/svd; the oracles are numpy.linalg.svd, numpy.linalg.norm and
numpy.linalg.pinv (all run by the grader), and the four Moore-Penrose conditions.

Singular vectors have a free sign per pair (u_i, v_i), so triplets are compared through the
sign-free rank-one terms u_i v_i^T.
"""

from __future__ import annotations

import numpy as np
import pytest

from katakit import misconceptions
from katakit.checks import (
    as_array,
    as_number,
    assert_close,
    assert_unchanged,
    describe,
    fail,
    rng,
    snapshot,
)

MISTAKES = misconceptions.of(__file__)


def with_singular_values(seed, m, n, values):
    """A = U diag(values) V^T with random orthonormal U (m, r) and V (n, r)."""
    gen = rng(seed)
    values = np.asarray(values, dtype=np.float64)
    u, _ = np.linalg.qr(gen.normal(size=(m, len(values))))
    v, _ = np.linalg.qr(gen.normal(size=(n, len(values))))
    return (u * values) @ v.T


def random_matrix(seed, m, n):
    return rng(seed).normal(size=(m, n)) * 2.0


def oracle(A, k):
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    return U[:, :k], s[:k], Vt[:k], (U[:, :k] * s[:k]) @ Vt[:k]


def smallest_k(A, k):
    """What keeping the k smallest singular values gives."""
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    return U[:, -k:][:, ::-1], s[-k:][::-1], Vt[-k:][::-1], (U[:, -k:] * s[-k:]) @ Vt[-k:]


def triplet(result, what):
    if not isinstance(result, tuple | list) or len(result) != 3:
        fail(f"{what} must return a tuple (U_k, s_k, Vt_k), got {type(result).__name__}")
    return [as_array(part, name) for part, name in zip(result, ("U_k", "s_k", "Vt_k"), strict=True)]


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "seed, m, n, k", [(1, 8, 5, 2), (2, 4, 7, 3), (3, 6, 6, 6)], ids=["tall", "wide", "full"]
)
def test_truncated_svd_keeps_the_largest_triplets(kata, seed, m, n, k):
    A = random_matrix(seed, m, n)
    before = snapshot(A=A)
    U, s, Vt = triplet(kata.truncated_svd(A, k), "truncated_svd")
    U_o, s_o, Vt_o, _ = oracle(A, k)
    where = describe(seed, A=A, k=k)
    wrong = smallest_k(A, k)
    # the k smallest, in either order: the one the learner's answer is closer to is named
    smallest = wrong[1]
    learner_s = as_array(s, "s_k")
    if learner_s.shape == smallest.shape and np.allclose(learner_s, smallest[::-1]):
        smallest = smallest[::-1]
    assert_close(
        s,
        s_o,
        what="s_k",
        where=where,
        rtol=1e-10,
        atol=1e-12,
        misconceptions={
            MISTAKES["keeps-smallest-singular-values"]: smallest,
            MISTAKES["singular-values-increasing"]: s_o[::-1],
        },
    )
    for name, array, shape in (("U_k", U, (m, k)), ("Vt_k", Vt, (k, n))):
        if array.shape != shape:
            fail(f"{name}: expected shape {shape}, got {array.shape} [{where}]")
    if not np.allclose(U.T @ U, np.eye(k), atol=1e-9):
        fail(f"the columns of U_k are not orthonormal [{where}]")
    if not np.allclose(Vt @ Vt.T, np.eye(k), atol=1e-9):
        fail(f"the rows of Vt_k are not orthonormal [{where}]")
    for i in range(k):
        assert_close(
            np.outer(U[:, i], Vt[i]),
            np.outer(U_o[:, i], Vt_o[i]),
            what=f"singular vector pair {i}, compared as u_i v_i^T (free of the sign)",
            where=where,
            rtol=1e-7,
            atol=1e-9,
        )
    assert_unchanged(before, A=A)


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, m, n, k", [(11, 9, 6, 3), (12, 5, 8, 1)])
def test_low_rank_approximation_is_the_best_rank_k_matrix(kata, seed, m, n, k):
    A = random_matrix(seed, m, n)
    before = snapshot(A=A)
    A_k = as_array(kata.low_rank_approximation(A, k), "low_rank_approximation")
    expected = oracle(A, k)[3]
    where = describe(seed, A=A, k=k)
    assert_close(
        A_k,
        expected,
        what="A_k",
        where=where,
        rtol=1e-8,
        atol=1e-10,
        misconceptions={
            MISTAKES["keeps-smallest-singular-values"]: smallest_k(A, k)[3],
        },
    )
    # Eckart-Young, checked on the learner's own matrix: rank <= k and the Frobenius error is
    # the root of the sum of the squared singular values left out.
    s_all = np.linalg.svd(A, compute_uv=False)
    rank = int((np.linalg.svd(A_k, compute_uv=False) > 1e-9 * s_all[0]).sum())
    if rank > k:
        fail(f"A_k has rank {rank}, more than k = {k} [{where}]")
    error = np.linalg.norm(A - A_k)
    if not np.isclose(error, np.sqrt(np.sum(s_all[k:] ** 2)), rtol=1e-8):
        fail(f"||A - A_k||_F = {error:.6g} is not the Eckart-Young minimum [{where}]")
    assert_unchanged(before, A=A)


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "case, A, k",
    [
        ("random tall", random_matrix(21, 7, 5), 2),
        ("rank 2 of 6, k = rank", with_singular_values(22, 6, 6, [4.0, 1.5]), 2),
        ("k = min(m, n), nothing left out", random_matrix(23, 3, 5), 3),
    ],
)
def test_approximation_errors_are_the_tail_singular_values(kata, case, A, k):
    before = snapshot(A=A)
    result = kata.approximation_errors(A, k)
    if not isinstance(result, tuple | list) or len(result) != 2:
        fail(f"approximation_errors must return (frobenius, spectral), got {type(result)}")
    frobenius = as_number(result[0], "frobenius error")
    spectral = as_number(result[1], "spectral error")
    _, _, _, A_k = oracle(A, k)
    s = np.linalg.svd(A, compute_uv=False)
    where = f"{case}, A {A.shape}, k={k}"
    assert_close(
        frobenius,
        np.linalg.norm(A - A_k, "fro"),
        what="Frobenius error ||A - A_k||_F",
        where=where,
        rtol=1e-8,
        atol=1e-10,
        misconceptions={
            MISTAKES["frobenius-sum-not-squares"]: s[k:].sum(),
            MISTAKES["error-from-kept-values"]: np.sqrt(np.sum(s[:k] ** 2)),
        },
    )
    assert_close(
        spectral,
        np.linalg.norm(A - A_k, 2),
        what="spectral error ||A - A_k||_2",
        where=where,
        rtol=1e-8,
        atol=1e-10,
        misconceptions={
            MISTAKES["spectral-error-last-kept"]: s[k - 1],
        },
    )
    assert_unchanged(before, A=A)


@pytest.mark.points(2)
def test_pinv_drops_the_numerically_zero_singular_values(kata):
    # A product of 6x3 and 3x6 factors has rank 3; its three "zero" singular values come out of
    # the SVD around 1e-16, and 1 / 1e-16 would swamp everything without the cutoff.
    seed = 31
    gen = rng(seed)
    A = gen.normal(size=(6, 3)) @ gen.normal(size=(3, 6))
    before = snapshot(A=A)
    result = as_array(kata.pinv(A), "pinv(A)")
    expected = np.linalg.pinv(A, rcond=1e-10)
    where = describe(seed, A=A) + ", rank 3, default rcond = 1e-10"
    if result.shape == expected.shape and np.isfinite(result).all():
        biggest = np.abs(result).max()
        if biggest > 1e6 * np.abs(expected).max():
            mistake = MISTAKES["pinv-no-cutoff"]
            fail(
                f"pinv(A) has entries as large as {biggest:.3g} for a rank-deficient A [{where}]",
                mistake,
            )
    assert_close(result, expected, what="pinv(A)", where=where, rtol=1e-7, atol=1e-9)
    assert_unchanged(before, A=A)


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, m, n", [(41, 7, 4), (42, 3, 6)])
def test_pinv_of_full_rank_matrices_matches_numpy(kata, seed, m, n):
    A = random_matrix(seed, m, n)
    expected = np.linalg.pinv(A, rcond=1e-10)
    assert_close(
        kata.pinv(A, 1e-10),
        expected,
        what="pinv(A)",
        where=describe(seed, A=A),
        rtol=1e-8,
        atol=1e-10,
        # U diag(1/s) V^T instead of V diag(1/s) U^T: the transpose of the pseudo-inverse
        misconceptions={MISTAKES["pinv-not-transposed"]: expected.T},
    )


@pytest.mark.points(1)
def test_pinv_cutoff_is_relative_to_the_largest_singular_value(kata):
    # singular values 500, 20, 2: with rcond = 1e-2 the cutoff is 1e-2 * 500 = 5, so 2 counts
    # as zero; a cutoff of rcond itself (absolute) would keep it.
    seed, rcond = 51, 1e-2
    A = with_singular_values(seed, 5, 4, [500.0, 20.0, 2.0])
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    absolute = (Vt.T[:, :3] / s[:3]) @ U[:, :3].T
    assert_close(
        kata.pinv(A, rcond),
        np.linalg.pinv(A, rcond=rcond),
        what="pinv(A, rcond=1e-2)",
        where=describe(seed, A=A, rcond=rcond) + ", singular values 500, 20, 2, 0",
        rtol=1e-7,
        atol=1e-10,
        misconceptions={
            MISTAKES["pinv-absolute-cutoff"]: absolute,
        },
    )


@pytest.mark.points(1)
def test_pinv_drops_a_singular_value_exactly_at_the_cutoff(kata):
    # A permuted diagonal with singular values 4, 1 and 0.5, which the SVD returns exactly; with
    # rcond = 0.25 the cutoff is 0.25 * 4 = 1, and s_i <= cutoff counts as zero: 1 is dropped.
    A = np.zeros((3, 4))
    A[0, 1], A[1, 0], A[2, 3] = -4.0, 1.0, 0.5
    kept = np.zeros((4, 3))
    kept[1, 0], kept[0, 1] = -0.25, 1.0
    assert_close(
        kata.pinv(A, 0.25),
        np.linalg.pinv(A, rcond=0.25),
        what="pinv(A, rcond=0.25)",
        where=f"A={A.tolist()}, singular values 4, 1, 0.5, cutoff 0.25 * 4 = 1",
        rtol=1e-12,
        atol=1e-12,
        misconceptions={MISTAKES["pinv-cutoff-inclusive"]: kept},
    )


@pytest.mark.points(1)
def test_pinv_of_the_zero_matrix_is_zero(kata):
    A = np.zeros((3, 4))
    result = as_array(kata.pinv(A), "pinv(zeros (3, 4))")
    if not np.isfinite(result).all():
        fail(
            "pinv of the zero matrix returned NaN or infinity: every singular value is 0, which "
            "is <= rcond * s_max = 0, so none is inverted and the result is zeros (4, 3)"
        )
    assert_close(result, np.zeros((4, 3)), what="pinv(zeros (3, 4))", atol=0)


@pytest.mark.points(1)
def test_pinv_satisfies_the_moore_penrose_conditions(kata):
    seed = 61
    A = with_singular_values(seed, 4, 7, [3.0, 1.0, 0.25])
    P = as_array(kata.pinv(A), "pinv(A)")
    if P.shape != (7, 4):
        fail(f"pinv(A): expected shape (7, 4) for A (4, 7), got {P.shape}")
    where = describe(seed, A=A) + ", rank 3"
    for name, left, right in (
        ("A A+ A = A", A @ P @ A, A),
        ("A+ A A+ = A+", P @ A @ P, P),
        ("A A+ is symmetric", A @ P, (A @ P).T),
        ("A+ A is symmetric", P @ A, (P @ A).T),
    ):
        if not np.allclose(left, right, rtol=1e-7, atol=1e-9):
            fail(
                f"the Moore-Penrose condition {name} fails, off by "
                f"{np.abs(left - right).max():.3g} [{where}]"
            )
