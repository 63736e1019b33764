"""Hidden grader for reg/ensembles.

Oracles: the closed form E[(mean e)^2] = (1/k^2) 1' S 1 computed here from the covariance matrix
S (a different route from the learner's formula); for the simulation, a bound of six standard
errors of the estimator (the squared mean of a normal with variance s^2 has variance 2 s^4), with
fixed seeds; for bootstrap samples, the binomial / occupancy laws of sampling with replacement.
"""

from __future__ import annotations

import numpy as np
import pytest

from katakit import misconceptions
from katakit.checks import as_array, as_number, assert_close, assert_equal, describe, fail, naming

MISTAKES = misconceptions.of(__file__)


def covariance(v, c, k):
    cov = np.full((k, k), float(c))
    np.fill_diagonal(cov, v)
    return cov


def exact_error(v, c, k):
    ones = np.ones(k)
    return float(ones @ covariance(v, c, k) @ ones) / k**2


CASES = [(1.0, 0.0, 4), (2.0, 0.5, 5), (3.0, 3.0, 7), (1.0, -0.3, 4), (0.7, 0.2, 1), (1.5, 0.6, 20)]


@pytest.mark.points(2)
def test_expected_error_is_v_over_k_plus_the_shared_covariance(kata):
    for v, c, k in CASES:
        got = as_number(kata.expected_ensemble_error(v, c, k), "expected_ensemble_error")
        assert_close(
            got,
            exact_error(v, c, k),
            what="expected_ensemble_error",
            where=describe(None, v=v, c=c, k=k),
            misconceptions={
                MISTAKES["ensemble-covariance-not-scaled"]: v / k + c,
                MISTAKES["ensemble-covariance-ignored"]: v / k,
                MISTAKES["ensemble-covariance-over-k-squared"]: v / k + (k - 1) * c / k**2,
            },
        )


def simulated(kata, v, c, k, trials, seed):
    got = kata.simulate_ensemble_error(v, c, k, trials, np.random.default_rng(seed))
    return as_number(got, "simulate_ensemble_error")


@pytest.mark.points(1)
@pytest.mark.parametrize("v, c, k", [(2.0, 0.5, 5), (1.0, -0.3, 4), (1.0, 0.9, 12)])
def test_simulation_agrees_with_the_formula_within_six_standard_errors(kata, v, c, k):
    seed, trials = 21, 20000
    expected = exact_error(v, c, k)
    se = expected * (2.0 / trials) ** 0.5
    got = simulated(kata, v, c, k, trials, seed)
    if abs(got - expected) > 6 * se:
        where = describe(seed, v=v, c=c, k=k, trials=trials)
        message = (
            f"simulate_ensemble_error: expected {expected:.5f} within six standard errors "
            f"({6 * se:.5f}), got {got:.5f} [{where}]"
        )
        for mistake, value in [
            ("independent-errors-simulated", v / k),
            ("mean-of-squares-not-square-of-mean", v),
        ]:
            if abs(got - value) <= 6 * value * (2.0 / trials) ** 0.5 + 1e-12:
                message += naming(MISTAKES[mistake])
                break
        fail(message)


@pytest.mark.points(1)
def test_simulation_draws_from_the_given_generator(kata):
    v, c, k, trials = 1.0, 0.2, 3, 500
    first, again = simulated(kata, v, c, k, trials, 5), simulated(kata, v, c, k, trials, 5)
    other = simulated(kata, v, c, k, trials, 6)
    if first != again:
        fail(
            f"two runs with generators seeded alike (5) gave {first} and {again}: draw every "
            "random number from the generator argument"
        )
    if first == other:
        fail("generators seeded 5 and 6 gave the same estimate: the generator is not used")


@pytest.mark.points(1)
def test_simulation_refuses_an_impossible_covariance(kata):
    for v, c, k in [(1.0, 1.5, 3), (1.0, -0.6, 3), (2.0, -0.3, 8)]:
        where = describe(None, v=v, c=c, k=k)
        try:
            result = kata.simulate_ensemble_error(v, c, k, 10, np.random.default_rng(0))
        except ValueError:
            continue
        except Exception as exc:
            fail(
                f"simulate_ensemble_error: expected ValueError, got {type(exc).__name__} [{where}]"
            )
        fail(
            f"simulate_ensemble_error: expected ValueError (no covariance matrix has these "
            f"entries: c must lie in [-v/(k-1), v]), got {result!r} [{where}]"
        )
    # both ends of [-v/(k-1), v] are valid (singular) covariances
    for v, c, k, end in [(1.0, -0.5, 3, "c = -v/(k-1)"), (2.0, 2.0, 4, "c = v")]:
        try:
            simulated(kata, v, c, k, 10, 0)
        except Exception as exc:
            fail(
                f"{end} is allowed (a singular covariance: perfectly (anti-)correlated errors), "
                f"but simulate_ensemble_error raised {type(exc).__name__}: {exc} "
                f"[{describe(None, v=v, c=c, k=k)}]; the test is strict, c > v or c < -v/(k-1), "
                "and a Cholesky factor does not exist for a singular matrix (use "
                "multivariate_normal, or an eigendecomposition)"
            )


# ---------------------------------------------------------------- bootstrap


def bootstrap(kata, n, k, seed):
    got = kata.bootstrap_indices(n, k, np.random.default_rng(seed))
    idx = as_array(got, "bootstrap_indices", dtype=np.float64)
    if idx.shape != (k, n):
        fail(f"bootstrap_indices: expected shape {(k, n)}, got {idx.shape} [n={n}, k={k}]")
    if np.any(idx != np.round(idx)) or idx.min() < 0 or idx.max() > n - 1:
        fail(
            f"bootstrap_indices: expected integers in 0 .. {n - 1}, got {idx.min()} .. {idx.max()}"
        )
    return idx.astype(np.int64)


@pytest.mark.points(1)
def test_bootstrap_indices_are_an_integer_array_of_shape_k_n_in_range(kata):
    n, k = 9, 4
    bootstrap(kata, n, k, 3)  # shape (k, n), whole numbers in 0 .. n-1
    dtype = getattr(kata.bootstrap_indices(n, k, np.random.default_rng(3)), "dtype", None)
    if dtype is None or np.dtype(str(dtype).replace("torch.", "")).kind not in "iu":
        fail(f"bootstrap_indices: expected an integer array, got dtype {dtype}")
    assert_equal(bootstrap(kata, 1, 3, 0), [[0], [0], [0]], what="bootstrap_indices(1, 3, ...)")


@pytest.mark.points(1)
def test_bootstrap_indices_come_from_the_given_generator(kata):
    n, k = 9, 4
    first = bootstrap(kata, n, k, 3)
    if not np.array_equal(first, bootstrap(kata, n, k, 3)):
        fail("bootstrap_indices: generators seeded alike (3) gave different samples")
    if np.array_equal(first, bootstrap(kata, n, k, 4)):
        fail("bootstrap_indices: generators seeded 3 and 4 gave the same samples")


@pytest.mark.points(2)
def test_bootstrap_draws_with_replacement(kata):
    # each sample keeps on average 1 - (1 - 1/n)^n ~ 63.2 % distinct points; the per-sample
    # distinct fraction has standard deviation < 0.011 for n = 1000, so the mean over k = 200
    # samples is within 0.005 of it for any correct solution (0.02 is our bound)
    seed, n, k = 31, 1000, 200
    idx = bootstrap(kata, n, k, seed)
    distinct = np.mean([np.unique(row).size / n for row in idx])
    expected = 1 - (1 - 1 / n) ** n
    if abs(distinct - expected) > 0.02:
        message = (
            f"bootstrap_indices: each sample should hold about {expected:.3f} * n distinct points "
            f"(drawn with replacement), got {distinct:.3f} on average [seed {seed}, n={n}, k={k}]"
        )
        if distinct == 1.0:
            message += naming(MISTAKES["bootstrap-without-replacement"])
        fail(message)
    # uniform over points: each point is drawn k*n*(1/n) = k times on average, variance ~ k
    counts = np.bincount(idx.ravel(), minlength=n)
    z = np.abs(counts - k) / np.sqrt(k * (1 - 1 / n))
    if z.max() > 7:
        worst = int(np.argmax(z))
        fail(
            f"bootstrap_indices: point {worst} was drawn {counts[worst]} times over {k} samples; "
            f"expected about {k} (every point equally likely) [seed {seed}, n={n}, k={k}]"
        )
    if any(np.array_equal(idx[0], idx[b]) for b in range(1, k)):
        fail("bootstrap_indices: two samples are identical; every row must be a fresh draw")


@pytest.mark.points(2)
def test_out_of_bag_mask_marks_the_points_absent_from_each_sample(kata):
    seed, n, k = 41, 25, 6
    idx = np.random.default_rng(seed).integers(0, n, size=(k, n))
    expected = np.ones((k, n), dtype=bool)
    for b in range(k):
        for j in idx[b]:
            expected[b, j] = False
    got = kata.out_of_bag_mask(idx.copy(), n)
    assert_equal(
        got,
        expected,
        what="out_of_bag_mask",
        where=describe(seed, indices=idx, n=n),
        misconceptions={MISTAKES["in-bag-not-out-of-bag"]: ~expected},
    )
    # more points than indices per row: a point never drawn anywhere is out of every bag
    small = np.array([[0, 0], [1, 0]])
    assert_equal(
        kata.out_of_bag_mask(small, 4),
        [[False, True, True, True], [False, False, True, True]],
        what="out_of_bag_mask",
        where="indices [[0, 0], [1, 0]], n=4",
    )
