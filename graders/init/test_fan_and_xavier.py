"""Hidden grader for init/fan_and_xavier.

Oracles: torch's own fan rule (``torch.nn.init._calculate_fan_in_and_fan_out``) and the standard
deviations / bounds that ``torch.nn.init.xavier_normal_`` and ``xavier_uniform_`` use. The samples
are judged by their statistics on large draws at fixed seeds, with bounds of 6 standard errors:
a correct sampler fails one of them with probability below 1e-8, and the seeds never change.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from katakit import misconceptions
from katakit.checks import (
    as_array,
    assert_equal,
    assert_float64_array,
    assert_python_ints,
    describe,
    fail,
    naming,
    rng,
)

MISTAKES = misconceptions.of(__file__)

Z = 6.0  # standard errors each statistical check allows


def torch_fans(shape):
    return torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


def samples(result, shape, what, where):
    """The learner's samples as a float64 array of the right shape, all finite."""
    w = as_array(result, what)
    if w.shape != tuple(shape):
        fail(f"{what}: expected shape {tuple(shape)}, got {w.shape} [{where}]")
    if not np.isfinite(w).all():
        fail(f"{what}: {int((~np.isfinite(w)).sum())} values are NaN or infinite [{where}]")
    return w


def chi2_band(n, var):
    """Bounds on mean(w**2) for n draws of N(0, var): n * mean(w**2) / var is chi-square(n).

    Wilson-Hilferty: (X / n) ** (1/3) is close to normal with mean 1 - 2/(9n), variance 2/(9n).
    """
    k = 2.0 / (9.0 * n)
    return var * (1 - k - Z * math.sqrt(k)) ** 3, var * (1 - k + Z * math.sqrt(k)) ** 3


def uniform_band(n, bound):
    """Bounds on mean(w**2) for n draws of U(-b, b): mean b^2/3, variance 4 b^4 / (45 n)."""
    centre, se = bound**2 / 3, math.sqrt(4 / 45 / n) * bound**2
    return centre - Z * se, centre + Z * se


def check_mean(w, var, what, where):
    limit = Z * math.sqrt(var / w.size)
    if abs(w.mean()) > limit:
        fail(
            f"{what}: the sample mean {w.mean():.4g} of {w.size} draws is further than "
            f"{Z:g} standard errors ({limit:.3g}) from 0; the weights must have mean zero [{where}]"
        )


def check_variance(w, var, what, where, mistakes, band=chi2_band):
    """mean(w**2) must fall in ``band(n, ...)`` around ``var``; name the mistake it fits."""
    n, ms = w.size, float(np.mean(w**2))
    scale = math.sqrt(3 * var) if band is uniform_band else var
    lo, hi = band(n, scale)
    if lo <= ms <= hi:
        return
    message = (
        f"{what}: sample variance mean(w**2) = {ms:.5g} over {n} draws is outside "
        f"[{lo:.5g}, {hi:.5g}], {Z:g} standard errors around the expected variance {var:.5g} "
        f"(std {math.sqrt(var):.5g}) [{where}]"
    )
    matched = None
    for name, wrong_var in mistakes.items():
        wrong_scale = math.sqrt(3 * wrong_var) if band is uniform_band else wrong_var
        wlo, whi = band(n, wrong_scale)
        if wlo <= ms <= whi:
            message += naming(name) + f" (variance {wrong_var:.5g})"
            matched = name
            break
    fail(message, matched)


def xavier_mistakes(shape, gain=1.0):
    fi, fo = torch_fans(shape)
    rf = math.prod(shape[2:])
    return {
        MISTAKES["glorot-with-fan-in"]: gain**2 / fi,
        MISTAKES["no-receptive-field"]: gain**2 * 2 / (fi / rf + fo / rf),
        MISTAKES["variance-as-std"]: (gain * 2 / (fi + fo)) ** 2,
        MISTAKES["gain-on-variance"]: (gain * 2 / (fi + fo)),
    }


SHAPES = [(300, 100), (64, 32, 3, 5)]


# -- fans --------------------------------------------------------------------------------------


@pytest.mark.points(1)
@pytest.mark.parametrize("shape", SHAPES, ids=["linear", "conv2d_3x5"])
def test_fans_match_torch_for_linear_and_conv_weights(kata, shape):
    expected = torch_fans(shape)
    rf = math.prod(shape[2:])
    assert_equal(
        kata.fan_in_fan_out(shape),
        expected,
        what="fan_in_fan_out",
        where=f"shape {shape}",
        misconceptions={
            MISTAKES["no-receptive-field"]: (
                shape[1],
                shape[0],
            ),
            MISTAKES["fans-swapped"]: (
                shape[0] * rf,
                shape[1] * rf,
            ),
        },
    )


@pytest.mark.points(1)
@settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=100,
    # the kata fixture is the learner's module: nothing in it needs resetting between examples
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(st.integers(1, 7), min_size=2, max_size=5))
def test_fans_match_torch_for_any_weight_rank(kata, dims):
    shape = tuple(dims)
    assert_equal(
        kata.fan_in_fan_out(shape),
        torch_fans(shape),
        what="fan_in_fan_out",
        where=f"shape {shape} (conv1d/2d/3d kernels: every axis after the first two)",
    )


@pytest.mark.points(1)
def test_fans_of_fewer_than_two_dims_raise_value_error(kata):
    for shape in [(5,), ()]:
        try:
            result = kata.fan_in_fan_out(shape)
        except ValueError:
            continue
        except Exception as exc:
            fail(
                f"fan_in_fan_out({shape!r}): expected ValueError, got {type(exc).__name__}: "
                f"{exc}\n  A tensor with fewer than 2 dimensions has no fans; raise ValueError, "
                "as torch does."
            )
        fail(
            f"fan_in_fan_out({shape!r}): expected ValueError, got {result!r}\n"
            "  A tensor with fewer than 2 dimensions (a bias) has no fans; raise ValueError."
        )


# -- LeCun and Xavier normal -------------------------------------------------------------------


@pytest.mark.points(1)
def test_lecun_normal_variance_is_one_over_fan_in(kata):
    for seed, shape in zip((101, 102), SHAPES, strict=True):
        fi, fo = torch_fans(shape)
        where = describe(seed, shape=shape) + f", fan_in {fi}, fan_out {fo}"
        w = samples(kata.lecun_normal(shape, rng(seed)), shape, "lecun_normal", where)
        check_mean(w, 1 / fi, "lecun_normal", where)
        rf = math.prod(shape[2:])
        check_variance(
            w,
            1 / fi,
            "lecun_normal",
            where,
            {
                MISTAKES["fans-swapped"]: 1 / fo,
                MISTAKES["glorot-instead-of-lecun"]: 2 / (fi + fo),
                MISTAKES["no-receptive-field"]: rf / fi,
                MISTAKES["variance-as-std"]: 1 / fi**2,
            },
        )


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "seed, shape", [(201, SHAPES[0]), (202, SHAPES[1])], ids=["linear", "conv"]
)
def test_xavier_normal_variance_matches_torch(kata, seed, shape):
    fi, fo = torch_fans(shape)
    var = 2 / (fi + fo)  # torch.nn.init.xavier_normal_: std = gain * sqrt(2 / (fan_in + fan_out))
    where = describe(seed, shape=shape) + f", fan_in {fi}, fan_out {fo}"
    w = samples(kata.xavier_normal(shape, rng(seed)), shape, "xavier_normal", where)
    check_mean(w, var, "xavier_normal", where)
    check_variance(w, var, "xavier_normal", where, xavier_mistakes(shape))


@pytest.mark.points(1)
def test_xavier_normal_samples_have_normal_tails(kata):
    # A normal puts 4.55% of its mass beyond 2 std; a uniform with the same variance puts none.
    # Measured against the samples' own std, so a wrong variance (the other tests' business)
    # does not change the verdict on the shape of the distribution.
    seed, shape = 301, (400, 200)
    where = describe(seed, shape=shape)
    w = samples(kata.xavier_normal(shape, rng(seed)), shape, "xavier_normal", where)
    std = math.sqrt(float(np.mean(w**2)))
    p = math.erfc(2 / math.sqrt(2))
    # the binomial error of the count, plus that of the estimated std (d p / d std = 4 phi(2))
    density = math.exp(-2) / math.sqrt(2 * math.pi)
    se = math.sqrt((p * (1 - p) + (4 * density) ** 2 / 2) / w.size)
    beyond = float(np.mean(np.abs(w) > 2 * std))
    if abs(beyond - p) > Z * se:
        fail(
            f"xavier_normal: {beyond:.4%} of the samples lie beyond 2 sample standard deviations "
            f"({2 * std:.4g}); a normal distribution puts {p:.4%} there (allowed: within {Z:g} "
            f"standard errors, {Z * se:.3%}) [{where}]\n  Draw from a normal distribution "
            "(rng.normal), not a uniform one."
        )


# -- Xavier uniform ----------------------------------------------------------------------------


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "seed, shape", [(401, SHAPES[0]), (402, SHAPES[1])], ids=["linear", "conv"]
)
def test_xavier_uniform_stays_within_and_reaches_the_bound(kata, seed, shape):
    fi, fo = torch_fans(shape)
    bound = math.sqrt(6 / (fi + fo))  # torch.nn.init.xavier_uniform_: a = sqrt(3) * std
    where = describe(seed, shape=shape) + f", fan_in {fi}, fan_out {fo}, bound {bound:.5g}"
    w = samples(kata.xavier_uniform(shape, rng(seed)), shape, "xavier_uniform", where)
    largest = float(np.abs(w).max())
    if largest > bound * (1 + 1e-12):
        fail(
            f"xavier_uniform: a sample of magnitude {largest:.5g} exceeds the bound "
            f"sqrt(6 / (fan_in + fan_out)) = {bound:.5g} [{where}]"
        )
    # The largest of n uniform magnitudes misses the last 20/n of the range with prob. e^-20.
    if largest < bound * (1 - 20 / w.size):
        hint, matched = "", None
        for name, wrong in {
            MISTAKES["uniform-bound-sqrt3"]: math.sqrt(3 / (fi + fo)),
            MISTAKES["uniform-bound-is-std"]: math.sqrt(2 / (fi + fo)),
        }.items():
            if wrong * (1 - 20 / w.size) <= largest <= wrong * (1 + 1e-12):
                hint, matched = naming(name), name
        fail(
            f"xavier_uniform: the largest |sample| is {largest:.5g}, but {w.size} draws from "
            f"U(-{bound:.5g}, {bound:.5g}) come within {bound * 20 / w.size:.2g} of the bound "
            f"[{where}]{hint}",
            matched,
        )
    check_mean(w, bound**2 / 3, "xavier_uniform", where)
    check_variance(w, bound**2 / 3, "xavier_uniform", where, xavier_mistakes(shape), uniform_band)


# -- gain and seeding --------------------------------------------------------------------------


@pytest.mark.points(1)
def test_gain_multiplies_the_standard_deviation(kata):
    # Judged by the ratio of the variances drawn with and without the gain, so the fans and the
    # base formula (the other tests' business) cancel out: only how the gain enters counts here.
    seed, shape = 501, (64, 32, 3, 5)
    gain = torch.nn.init.calculate_gain("tanh")  # 5/3
    n = math.prod(shape)
    where = describe(seed, shape=shape, gain=round(gain, 6))
    wrong = {MISTAKES["gain-ignored"]: 1.0, MISTAKES["gain-on-variance"]: gain}
    for name, band in (("xavier_normal", chi2_band), ("xavier_uniform", uniform_band)):
        sampler = getattr(kata, name)
        plain = samples(sampler(shape, rng(seed)), shape, name, where + ", gain=1")
        scaled = samples(sampler(shape, rng(seed), gain=gain), shape, name, where)
        base, ms = float(np.mean(plain**2)), float(np.mean(scaled**2))
        if base == 0.0:
            fail(f"{name} with gain=1 returned only zeros [{where}]")
        # each mean(w**2) lies within its band around its own variance, whatever that variance is
        # and however the two draws are related: so does their ratio, around gain**2
        lo, hi = band(n, 1.0)
        spread_lo, spread_hi = lo / hi, hi / lo
        ratio = ms / base
        if gain**2 * spread_lo <= ratio <= gain**2 * spread_hi:
            continue
        message = (
            f"{name}: with gain={gain:.6g} the sample variance mean(w**2) = {ms:.5g} is "
            f"{ratio:.5g} times the {base:.5g} drawn with gain=1; expected gain**2 = "
            f"{gain**2:.5g} times (allowed [{gain**2 * spread_lo:.5g}, "
            f"{gain**2 * spread_hi:.5g}]): the gain multiplies the standard deviation [{where}]"
        )
        matched = None
        for mistake, wrong_ratio in wrong.items():
            if wrong_ratio * spread_lo <= ratio <= wrong_ratio * spread_hi:
                message += naming(mistake) + f" (ratio {wrong_ratio:.5g})"
                matched = mistake
                break
        fail(message, matched)


@pytest.mark.points(1)
def test_same_seed_gives_same_samples_from_the_passed_generator(kata):
    shape = (30, 20, 3)
    for name in ("lecun_normal", "xavier_normal", "xavier_uniform"):
        sampler = getattr(kata, name)
        np.random.seed(1)
        torch.manual_seed(1)
        first = samples(sampler(shape, rng(77)), shape, name, describe(77, shape=shape))
        np.random.seed(2)
        torch.manual_seed(2)
        again = samples(sampler(shape, rng(77)), shape, name, describe(77, shape=shape))
        if not np.array_equal(first, again):
            fail(
                f"{name}: two generators seeded 77 gave different samples [shape {shape}]\n"
                "  Draw every number from the rng argument, not from np.random.* global state."
            )
        other = samples(sampler(shape, rng(78)), shape, name, describe(78, shape=shape))
        if np.array_equal(first, other):
            fail(
                f"{name}: generators seeded 77 and 78 gave identical samples [shape {shape}]\n"
                "  The rng argument seems to be ignored; draw the samples from it."
            )


@pytest.mark.points(1)
def test_fans_are_a_pair_of_python_ints(kata):
    for shape in [(300, 100), (64, 32, 3, 5), (8, 4, 2, 2, 2)]:
        result = kata.fan_in_fan_out(shape)
        if not isinstance(result, tuple) or len(result) != 2:
            fail(f"fan_in_fan_out({shape}): expected a tuple of two Python ints, got {result!r}")
        assert_python_ints(result, f"fan_in_fan_out({shape})")


@pytest.mark.points(1)
def test_samplers_return_float64_numpy_arrays(kata):
    shape = (16, 8, 3)
    for name in (
        "lecun_normal",
        "xavier_normal",
        "xavier_uniform",
    ):
        assert_float64_array(getattr(kata, name)(shape, rng(90)), f"{name}{shape}")
