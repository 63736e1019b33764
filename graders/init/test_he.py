"""Hidden grader for init/he.

Oracles: ``torch.nn.init.calculate_gain`` for the gains, and the standard deviation / bound that
``torch.nn.init.kaiming_normal_`` / ``kaiming_uniform_`` use (``gain / sqrt(fan)``, times sqrt(3)
for the uniform bound) with torch's own fans. The samples are judged by their statistics on large
draws at fixed seeds, with bounds of 6 standard errors: a correct sampler fails one of them with
probability below 1e-8, and the seeds never change.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from katakit import misconceptions
from katakit.checks import (
    as_array,
    as_number,
    assert_close,
    assert_float64_array,
    describe,
    fail,
    naming,
    rng,
)

MISTAKES = misconceptions.of(__file__)

Z = 6.0  # standard errors each statistical check allows


def torch_fan(shape, mode):
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    return fan_in if mode == "fan_in" else fan_out


def torch_std(shape, mode="fan_in", nonlinearity="leaky_relu", a=0.0):
    """The std torch.nn.init.kaiming_normal_ draws with."""
    return torch.nn.init.calculate_gain(nonlinearity, a) / math.sqrt(torch_fan(shape, mode))


def samples(result, shape, what, where):
    w = as_array(result, what)
    if w.shape != tuple(shape):
        fail(f"{what}: expected shape {tuple(shape)}, got {w.shape} [{where}]")
    if not np.isfinite(w).all():
        fail(f"{what}: {int((~np.isfinite(w)).sum())} values are NaN or infinite [{where}]")
    return w


def chi2_band(n, var):
    """Bounds on mean(w**2) for n draws of N(0, var): n * mean(w**2) / var is chi-square(n),
    with the Wilson-Hilferty normal approximation of its cube root."""
    k = 2.0 / (9.0 * n)
    return var * (1 - k - Z * math.sqrt(k)) ** 3, var * (1 - k + Z * math.sqrt(k)) ** 3


def uniform_band(n, var):
    """Bounds on mean(w**2) for n draws of a uniform with variance var: mean(w**2) has mean var
    and variance 4 b^4 / (45 n) with b^2 = 3 var."""
    se = math.sqrt(4 / 45 / n) * 3 * var
    return var - Z * se, var + Z * se


def check_variance(w, var, what, where, mistakes, band=chi2_band):
    n, ms = w.size, float(np.mean(w**2))
    limit = Z * math.sqrt(var / n)
    if abs(w.mean()) > limit:
        fail(
            f"{what}: the sample mean {w.mean():.4g} of {n} draws is further than {Z:g} standard "
            f"errors ({limit:.3g}) from 0; the weights must have mean zero [{where}]"
        )
    lo, hi = band(n, var)
    if lo <= ms <= hi:
        return
    message = (
        f"{what}: sample variance mean(w**2) = {ms:.5g} over {n} draws is outside "
        f"[{lo:.5g}, {hi:.5g}], {Z:g} standard errors around the expected variance {var:.5g} "
        f"(std {math.sqrt(var):.5g}) [{where}]"
    )
    matched = None
    for name, wrong in mistakes.items():
        wlo, whi = band(n, wrong)
        if wlo <= ms <= whi:
            message += naming(name) + f" (variance {wrong:.5g})"
            matched = name
            break
    fail(message, matched)


def mistakes(shape, mode, nonlinearity="leaky_relu", a=0.0):
    """The variance each classic mistake gives for this weight."""
    g = torch.nn.init.calculate_gain(nonlinearity, a)
    fan = torch_fan(shape, mode)
    other = torch_fan(shape, "fan_out" if mode == "fan_in" else "fan_in")
    fan_in, fan_out = torch_fan(shape, "fan_in"), torch_fan(shape, "fan_out")
    named = {
        MISTAKES["wrong-fan-mode"]: g**2 / other,
        MISTAKES["variance-as-std"]: (g**2 / fan) ** 2,
        MISTAKES["gain-on-variance"]: g / fan,
        MISTAKES["gain-left-out"]: 1 / fan,
        MISTAKES["xavier-instead-of-he"]: 2 / (fan_in + fan_out),
    }
    if nonlinearity == "leaky_relu" and a not in (0.0, 1.0):
        named[MISTAKES["slope-not-squared"]] = 2 / (1 + a) / fan
        named[MISTAKES["slope-ignored"]] = 2 / fan
    # a mistake is named only when it alone gives this variance (a square weight makes some of
    # them coincide: naming one would be a guess)
    return {
        name: var
        for name, var in named.items()
        if not math.isclose(var, g**2 / fan)
        and not any(math.isclose(var, other) for n, other in named.items() if n != name)
    }


# -- gains -------------------------------------------------------------------------------------


GAIN_CASES = [
    ("linear", 0.0),
    ("tanh", 0.0),
    ("relu", 0.0),
    ("leaky_relu", 0.0),
    ("leaky_relu", 0.01),
    ("leaky_relu", 0.2),
    ("leaky_relu", 1.0),
    ("leaky_relu", 3.0),
]


@pytest.mark.points(2)
def test_gain_matches_torch_calculate_gain(kata):
    for nonlinearity, a in GAIN_CASES:
        expected = torch.nn.init.calculate_gain(nonlinearity, a)
        wrong = {}
        if nonlinearity == "leaky_relu" and a not in (0.0, 1.0):
            wrong = {
                MISTAKES["slope-not-squared"]: math.sqrt(2 / (1 + a)),
                MISTAKES["variance-ratio-as-gain"]: (2 / (1 + a * a)),
                MISTAKES["slope-ignored"]: math.sqrt(2),
            }
        elif nonlinearity in ("relu", "leaky_relu"):
            wrong = {MISTAKES["variance-ratio-as-gain"]: 2.0}
        assert_close(
            as_number(kata.gain(nonlinearity, a), f"gain({nonlinearity!r}, a={a})"),
            expected,
            what=f"gain({nonlinearity!r}, a={a})",
            rtol=1e-9,
            misconceptions=wrong,
        )
    # our default slope is 0, as in kaiming_normal_ (torch's calculate_gain alone defaults to 0.01)
    assert_close(
        as_number(kata.gain("leaky_relu"), 'gain("leaky_relu")'),
        math.sqrt(2),
        what='gain("leaky_relu") with the default a = 0',
        rtol=1e-9,
        misconceptions={
            MISTAKES["default-slope-0-01"]: (torch.nn.init.calculate_gain("leaky_relu"))
        },
    )


@pytest.mark.points(1)
def test_unknown_nonlinearity_or_mode_raises_value_error(kata):
    shape = (8, 4)
    calls = [
        ('gain("swish")', lambda: kata.gain("swish")),
        ('he_normal(..., mode="fan_avg")', lambda: kata.he_normal(shape, rng(1), mode="fan_avg")),
        ('he_uniform(..., mode="in")', lambda: kata.he_uniform(shape, rng(1), mode="in")),
        (
            'he_normal(..., nonlinearity="softplus")',
            lambda: kata.he_normal(shape, rng(1), nonlinearity="softplus"),
        ),
    ]
    for text, call in calls:
        try:
            result = call()
        except ValueError:
            continue
        except Exception as exc:
            fail(f"{text}: expected ValueError, got {type(exc).__name__}: {exc}")
        fail(
            f"{text}: expected ValueError, got {type(result).__name__}\n  An unknown mode or "
            "nonlinearity must raise ValueError rather than fall back to a default."
        )


# -- He normal ---------------------------------------------------------------------------------


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "seed, shape", [(101, (100, 400)), (102, (16, 64, 3, 3))], ids=["linear", "conv"]
)
def test_he_normal_fan_in_variance_matches_kaiming_normal(kata, seed, shape):
    var = torch_std(shape) ** 2
    where = describe(seed, shape=shape) + ", mode 'fan_in', leaky_relu a=0 (the defaults)"
    w = samples(kata.he_normal(shape, rng(seed)), shape, "he_normal", where)
    check_variance(w, var, "he_normal", where, mistakes(shape, "fan_in"))
    # relu explicitly, by keyword: the same distribution
    w = kata.he_normal(shape, rng(seed + 10), mode="fan_in", nonlinearity="relu")
    where = describe(seed + 10, shape=shape) + ", mode 'fan_in', nonlinearity 'relu'"
    w = samples(w, shape, "he_normal", where)
    check_variance(w, var, "he_normal", where, mistakes(shape, "fan_in", "relu"))
    # a normal puts 4.55% of its mass beyond 2 std; a uniform with the same variance none
    p = math.erfc(2 / math.sqrt(2))
    beyond, se = float(np.mean(np.abs(w) > 2 * math.sqrt(var))), math.sqrt(p * (1 - p) / w.size)
    if abs(beyond - p) > Z * se:
        fail(
            f"he_normal: {beyond:.3%} of the samples lie beyond 2 std; a normal puts {p:.3%} "
            f"there (allowed within {Z * se:.3%}) [{where}]\n  Draw from rng.normal."
        )


@pytest.mark.points(1)
def test_he_normal_fan_out_mode_uses_fan_out(kata):
    for seed, shape in [(201, (400, 100)), (202, (64, 16, 3, 3))]:
        var = torch_std(shape, "fan_out", "relu") ** 2
        where = describe(seed, shape=shape) + ", mode 'fan_out', nonlinearity 'relu'"
        w = kata.he_normal(shape, rng(seed), mode="fan_out", nonlinearity="relu")
        w = samples(w, shape, "he_normal", where)
        check_variance(w, var, "he_normal", where, mistakes(shape, "fan_out", "relu"))


@pytest.mark.points(1)
@pytest.mark.parametrize("a", [0.2, 3.0])
def test_leaky_relu_slope_sets_the_gain(kata, a):
    # A square weight: fan_in == fan_out, so only the slope decides the variance here (a fan
    # taken from the wrong mode is the mode tests' business).
    seed, shape = 301, (250, 250)
    var = torch_std(shape, "fan_in", "leaky_relu", a) ** 2
    where = describe(seed, shape=shape, a=a) + ", mode 'fan_in', nonlinearity 'leaky_relu'"
    w = kata.he_normal(shape, rng(seed), mode="fan_in", nonlinearity="leaky_relu", a=a)
    w = samples(w, shape, "he_normal", where)
    check_variance(w, var, "he_normal", where, mistakes(shape, "fan_in", "leaky_relu", a))


# -- He uniform --------------------------------------------------------------------------------


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "seed, shape, mode, nonlinearity, a",
    [
        (401, (32, 128, 3, 3), "fan_in", "relu", 0.0),
        (402, (300, 100), "fan_out", "leaky_relu", 0.2),
    ],
    ids=["conv_fan_in_relu", "linear_fan_out_leaky"],
)
def test_he_uniform_matches_kaiming_uniform_bound(kata, seed, shape, mode, nonlinearity, a):
    std = torch_std(shape, mode, nonlinearity, a)
    bound = math.sqrt(3) * std  # torch.nn.init.kaiming_uniform_'s bound
    where = describe(seed, shape=shape, a=a) + f", mode {mode!r}, nonlinearity {nonlinearity!r}"
    w = kata.he_uniform(shape, rng(seed), mode=mode, nonlinearity=nonlinearity, a=a)
    w = samples(w, shape, "he_uniform", where)
    largest = float(np.abs(w).max())
    if largest > bound * (1 + 1e-12):
        fail(
            f"he_uniform: a sample of magnitude {largest:.5g} exceeds the bound "
            f"sqrt(3) * gain / sqrt(fan) = {bound:.5g} [{where}]"
        )
    # the largest of n uniform magnitudes misses the last 20/n of the range with prob. e^-20
    if largest < bound * (1 - 20 / w.size):
        hint, matched = "", None
        if std * (1 - 20 / w.size) <= largest <= std * (1 + 1e-12):
            matched = MISTAKES["uniform-bound-is-std"]
            hint = naming(matched)
        fail(
            f"he_uniform: the largest |sample| is {largest:.5g}, but {w.size} draws from "
            f"U(-{bound:.5g}, {bound:.5g}) come within {bound * 20 / w.size:.2g} of the bound "
            f"[{where}]{hint}",
            matched,
        )
    named = mistakes(shape, mode, nonlinearity, a)
    named[MISTAKES["uniform-bound-is-std"]] = std**2 / 3
    check_variance(w, std**2, "he_uniform", where, named, uniform_band)


# -- seeding -----------------------------------------------------------------------------------


@pytest.mark.points(1)
def test_same_seed_gives_same_samples_from_the_passed_generator(kata):
    shape = (24, 12, 3)
    for name in ("he_normal", "he_uniform"):
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
def test_samplers_return_float64_numpy_arrays(kata):
    shape = (16, 8, 3)
    for name in (
        "he_normal",
        "he_uniform",
    ):
        assert_float64_array(getattr(kata, name)(shape, rng(90)), f"{name}{shape}")
