"""Hidden grader for ml/feature_scaling; the oracles are the closed forms of the statement,
computed by the grader with numpy from the training data only.

Test data come from a shifted, rescaled distribution, so statistics recomputed on them differ
visibly from the training statistics.
"""

from __future__ import annotations

import numpy as np
import pytest

from katakit import misconceptions
from katakit.checks import as_array, assert_close, assert_unchanged, describe, fail, rng, snapshot

MISTAKES = misconceptions.of(__file__)

RANGES = [(0.0, 1.0), (-1.0, 2.0)]


def draw(seed, n=12, d=4):
    """(train, test): columns with different offsets and scales; test shifted and wider."""
    gen = rng(seed)
    centre, spread = gen.normal(0, 20, d), gen.uniform(0.1, 50, d)
    train = centre + spread * gen.normal(size=(n, d))
    test = centre + 3 * spread + 2 * spread * gen.normal(size=(n // 2 + 1, d))
    return train, test


def with_constant_columns(seed):
    """Seven training rows; column 1 is 5.0 everywhere, column 3 is 0.1 everywhere.

    The 0.1 column's std comes out of numpy as about 1.4e-17, not 0: only the statement's rule,
    max == min, recognises it as constant.
    """
    train, test = draw(seed, n=7, d=4)
    train[:, 1], train[:, 3] = 5.0, 0.1
    test[:, 1] = 5.0 + np.arange(len(test))
    test[:, 3] = 0.1 - 0.5 * np.arange(len(test))
    return train, test


def attribute(scaler, name):
    if not hasattr(scaler, name):
        fail(f"after fit, the scaler has no attribute {name} (the statement names it)")
    return as_array(getattr(scaler, name), name)


def fitted(kata, kind, train, feature_range=(0.0, 1.0)):
    if kind == "MinMaxScaler":
        scaler = kata.MinMaxScaler(feature_range=feature_range)
    else:
        scaler = kata.StandardScaler()
    returned = scaler.fit(train)
    if returned is not scaler:
        fail(f"{kind}.fit must return the scaler itself (self), got {type(returned).__name__}")
    return scaler


def minmax(X, low, high, feature_range):
    lo, hi = feature_range
    span = np.where(high == low, 1.0, high - low)
    return lo + (X - low) * (hi - lo) / span


def zscore(X, mean, std, constant):
    return (X - mean) / np.where(constant, 1.0, std)


@pytest.mark.points(1)
def test_min_max_fit_stores_the_training_min_and_max(kata):
    seed = 1
    train, _ = draw(seed)
    before = snapshot(train=train)
    scaler = fitted(kata, "MinMaxScaler", train)
    where = describe(seed, train=train)
    assert_close(attribute(scaler, "data_min_"), train.min(axis=0), what="data_min_", where=where)
    assert_close(attribute(scaler, "data_max_"), train.max(axis=0), what="data_max_", where=where)
    assert_unchanged(before, train=train)


@pytest.mark.points(1)
@pytest.mark.parametrize("feature_range", RANGES)
def test_min_max_maps_the_training_data_onto_the_feature_range(kata, feature_range):
    seed = 2
    train, _ = draw(seed)
    scaler = fitted(kata, "MinMaxScaler", train, feature_range)
    out = scaler.transform(train.copy())
    low, high = train.min(axis=0), train.max(axis=0)
    assert_close(
        out,
        minmax(train, low, high, feature_range),
        what=f"MinMaxScaler(feature_range={feature_range}).transform(train)",
        where=describe(seed, train=train),
        rtol=1e-10,
        atol=1e-12,
        misconceptions={
            MISTAKES["feature-range-ignored"]: minmax(train, low, high, (0.0, 1.0)),
        },
    )


@pytest.mark.points(1)
def test_min_max_reuses_the_training_statistics_on_test_data(kata):
    seed, feature_range = 3, (-1.0, 2.0)
    train, test = draw(seed)
    before = snapshot(test=test)
    scaler = fitted(kata, "MinMaxScaler", train, feature_range)
    out = scaler.transform(test)
    low, high = train.min(axis=0), train.max(axis=0)
    assert_close(
        out,
        minmax(test, low, high, feature_range),
        what="MinMaxScaler.transform(test) after fit(train)",
        where=describe(seed, train=train, test=test),
        rtol=1e-10,
        atol=1e-12,
        misconceptions={
            MISTAKES["statistics-refit-on-test"]: minmax(
                test, test.min(axis=0), test.max(axis=0), feature_range
            ),
            MISTAKES["clipped-to-range"]: np.clip(minmax(test, low, high, feature_range), -1, 2),
        },
    )
    assert_close(
        attribute(scaler, "data_min_"),
        low,
        what="data_min_ after transform(test)",
        where="transform must not change the fitted statistics",
    )
    assert_unchanged(before, test=test)


@pytest.mark.points(1)
def test_standard_fit_stores_the_mean_and_the_population_std(kata):
    seed = 4
    train, _ = draw(seed)
    before = snapshot(train=train)
    scaler = fitted(kata, "StandardScaler", train)
    where = describe(seed, train=train)
    assert_close(attribute(scaler, "mean_"), train.mean(axis=0), what="mean_", where=where)
    assert_close(
        attribute(scaler, "scale_"),
        train.std(axis=0),
        what="scale_",
        where=where,
        misconceptions={
            MISTAKES["unbiased-std"]: train.std(axis=0, ddof=1),
            MISTAKES["variance-not-std"]: train.var(axis=0),
        },
    )
    assert_unchanged(before, train=train)


@pytest.mark.points(1)
def test_standard_fit_stays_exact_for_columns_far_from_zero(kata):
    # Unix timestamps: about 1.7e9 s, spread over ten hours. x^2 is about 3e18, where float64
    # spacing is 512, so sqrt(E[x^2] - E[x]^2) is off in the fifth digit; the std of the
    # centred values is exact.
    seed, offset = 41, 1.7e9
    gen = rng(seed)
    train = np.column_stack([offset + gen.uniform(0, 36000, 20), gen.normal(3.0, 2.0, 20)])
    scale = attribute(fitted(kata, "StandardScaler", train), "scale_")
    expected = train.std(axis=0)
    mistake = None
    if scale.shape == expected.shape and not np.allclose(scale, expected, rtol=1e-9, atol=0):
        # the same data moved near zero: when that is right, the offset is the cause
        near = train - [offset, 0.0]
        near_scale = attribute(fitted(kata, "StandardScaler", near), "scale_")
        if np.allclose(near_scale, near.std(axis=0), rtol=1e-9, atol=0):
            mistake = MISTAKES["one-pass-std"]
    assert_close(
        scale,
        expected,
        what="scale_",
        where=describe(seed, train=train) + ", column 0 holds timestamps around 1.7e9",
        rtol=1e-9,
        atol=0,
        misconceptions=None if mistake is None else {mistake: scale},
    )


@pytest.mark.points(1)
def test_standard_reuses_the_training_statistics_on_test_data(kata):
    seed = 5
    train, test = draw(seed)
    scaler = fitted(kata, "StandardScaler", train)
    where = describe(seed, train=train, test=test)
    no_constant = np.zeros(train.shape[1], dtype=bool)
    before = snapshot(test=test)
    assert_close(
        scaler.transform(train.copy()),
        zscore(train, train.mean(axis=0), train.std(axis=0), no_constant),
        what="StandardScaler.transform(train)",
        where=where,
        rtol=1e-10,
        atol=1e-12,
        misconceptions={
            MISTAKES["unbiased-std"]: zscore(
                train, train.mean(axis=0), train.std(axis=0, ddof=1), no_constant
            ),
        },
    )
    expected = zscore(test, train.mean(axis=0), train.std(axis=0), no_constant)
    refit = zscore(test, test.mean(axis=0), test.std(axis=0), no_constant)
    assert_close(
        scaler.transform(test),
        expected,
        what="StandardScaler.transform(test) after fit(train)",
        where=where,
        rtol=1e-10,
        atol=1e-12,
        misconceptions={
            MISTAKES["statistics-refit-on-test"]: refit,
        },
    )
    # the manifest's input check covers module functions, not methods: the grader looks itself
    assert_unchanged(before, test=test)


@pytest.mark.points(1)
@pytest.mark.parametrize("kind", ["MinMaxScaler", "StandardScaler"])
def test_constant_columns_are_scaled_by_one_without_nan(kata, kind):
    seed = 6
    train, test = with_constant_columns(seed)
    scaler = fitted(kata, kind, train)
    constant = train.max(axis=0) == train.min(axis=0)
    if kind == "MinMaxScaler":
        expected = minmax(test, train.min(axis=0), train.max(axis=0), (0.0, 1.0))
        expected_train = minmax(train, train.min(axis=0), train.max(axis=0), (0.0, 1.0))
    else:
        expected = zscore(test, train.mean(axis=0), train.std(axis=0), constant)
        expected_train = zscore(train, train.mean(axis=0), train.std(axis=0), constant)
    where = describe(seed, train=train) + ", columns 1 (all 5.0) and 3 (all 0.1) constant"
    for name, data, target in (("train", train, expected_train), ("test", test, expected)):
        out = as_array(scaler.transform(data.copy()), f"{kind}.transform({name})")
        if out.shape == data.shape and not np.isfinite(out).all():
            columns = sorted({int(c) for c in np.argwhere(~np.isfinite(out))[:, 1]})
            mistake = MISTAKES["constant-column-divided-by-zero"]
            fail(
                f"{kind}.transform({name}) has NaN or infinite values in columns {columns} "
                f"[{where}]",
                mistake,
            )
        with np.errstate(all="ignore"):
            raw_std = train.std(axis=0)
            tiny = zscore(data, train.mean(axis=0), raw_std, raw_std == 0)
        assert_close(
            out,
            target,
            what=f"{kind}.transform({name})",
            where=where,
            rtol=1e-10,
            atol=1e-9,
            misconceptions={
                MISTAKES["constancy-by-std-zero"]: tiny,
            }
            if kind == "StandardScaler"
            else None,
        )


@pytest.mark.points(1)
@pytest.mark.parametrize("kind", ["MinMaxScaler", "StandardScaler"])
def test_inverse_transform_returns_to_the_original_units(kata, kind):
    seed = 7
    train, test = with_constant_columns(seed)
    feature_range = (-1.0, 2.0)
    scaler = fitted(kata, kind, train, feature_range)
    constant = train.max(axis=0) == train.min(axis=0)
    scaled = rng(seed + 1).normal(0, 2, test.shape)
    before = snapshot(scaled=scaled)
    if kind == "MinMaxScaler":
        lo, hi = feature_range
        span = np.where(constant, 1.0, train.max(axis=0) - train.min(axis=0))
        expected = (scaled - lo) * span / (hi - lo) + train.min(axis=0)
    else:
        expected = scaled * np.where(constant, 1.0, train.std(axis=0)) + train.mean(axis=0)
    where = describe(seed, train=train, scaled=scaled)
    assert_close(
        scaler.inverse_transform(scaled),
        expected,
        what=f"{kind}.inverse_transform",
        where=where,
        rtol=1e-10,
        atol=1e-9,
    )
    assert_unchanged(before, scaled=scaled)
    round_trip = scaler.inverse_transform(as_array(scaler.transform(test.copy()), "transform"))
    assert_close(
        round_trip,
        test,
        what=f"{kind}.inverse_transform(transform(test))",
        where=where,
        rtol=1e-10,
        atol=1e-9,
    )


@pytest.mark.points(1)
def test_fit_transform_is_fit_then_transform(kata):
    seed = 8
    train, test = draw(seed)
    for kind in ("MinMaxScaler", "StandardScaler"):
        scaler = kata.MinMaxScaler() if kind == "MinMaxScaler" else kata.StandardScaler()
        out = scaler.fit_transform(train.copy())
        if kind == "MinMaxScaler":
            expected = minmax(train, train.min(axis=0), train.max(axis=0), (0.0, 1.0))
            expected_test = minmax(test, train.min(axis=0), train.max(axis=0), (0.0, 1.0))
        else:
            no_constant = np.zeros(train.shape[1], dtype=bool)
            expected = zscore(train, train.mean(axis=0), train.std(axis=0), no_constant)
            expected_test = zscore(test, train.mean(axis=0), train.std(axis=0), no_constant)
        where = describe(seed, train=train)
        assert_close(out, expected, what=f"{kind}.fit_transform(train)", where=where, atol=1e-12)
        # the fit inside fit_transform must stick: later data are scaled with train statistics
        assert_close(
            scaler.transform(test.copy()),
            expected_test,
            what=f"{kind}.transform(test) after fit_transform(train)",
            where=where,
            atol=1e-12,
        )
