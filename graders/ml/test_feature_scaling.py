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
    returned = scaler.fit(train.copy())  # whether fit leaves its input alone is another test's
    if returned is not scaler:
        fail(f"{kind}.fit must return the scaler itself (self), got {type(returned).__name__}")
    return scaler


def own_statistics(scaler, kind):
    """The statistics the learner's fit stored (read before any transform), or None: the tests
    of transform and inverse_transform also accept a result that is right for them, whose
    values are the fit tests' concern."""
    names = ("data_min_", "data_max_") if kind == "MinMaxScaler" else ("mean_", "scale_")
    try:
        return tuple(np.asarray(getattr(scaler, name), dtype=np.float64) for name in names)
    except (AttributeError, TypeError, ValueError):
        return None


def own_transform(statistics, kind, X, feature_range=(0.0, 1.0)):
    """``transform(X)`` by the statement's formula with the learner's own statistics."""
    if statistics is None:
        return None
    if kind == "MinMaxScaler":
        return minmax(X, *statistics, feature_range)
    mean, scale = statistics
    with np.errstate(all="ignore"):
        return (X - mean) / scale


def own_inverse(statistics, kind, Z, feature_range=(0.0, 1.0)):
    """``inverse_transform(Z)`` by the statement's formula with the learner's own statistics."""
    if statistics is None:
        return None
    if kind == "MinMaxScaler":
        low, high = statistics
        lo, hi = feature_range
        return (Z - lo) * np.where(high == low, 1.0, high - low) / (hi - lo) + low
    mean, scale = statistics
    return Z * scale + mean


def close(actual, expected, *, rtol, atol):
    """Whether ``actual`` converts to an array of ``expected``'s shape and values."""
    if expected is None:
        return False
    try:
        actual = np.asarray(actual, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return actual.shape == np.shape(expected) and np.allclose(actual, expected, rtol, atol)


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
    scaler = fitted(kata, "MinMaxScaler", train)
    where = describe(seed, train=train)
    assert_close(attribute(scaler, "data_min_"), train.min(axis=0), what="data_min_", where=where)
    assert_close(attribute(scaler, "data_max_"), train.max(axis=0), what="data_max_", where=where)


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
    scaler = fitted(kata, "MinMaxScaler", train, feature_range)
    out = scaler.transform(test.copy())
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


@pytest.mark.points(1)
def test_standard_fit_stores_the_mean_and_the_population_std(kata):
    seed = 4
    train, _ = draw(seed)
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
    if close(scale, train.std(axis=0, ddof=1), rtol=1e-9, atol=0):
        return  # exact, with the ddof=1 of test_standard_fit_stores_...'s concern
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
    own = own_statistics(scaler, "StandardScaler")
    where = describe(seed, train=train, test=test)
    no_constant = np.zeros(train.shape[1], dtype=bool)
    out = scaler.transform(train.copy())
    if close(out, own_transform(own, "StandardScaler", train), rtol=1e-10, atol=1e-12):
        out_test = scaler.transform(test.copy())
        if close(out_test, own_transform(own, "StandardScaler", test), rtol=1e-10, atol=1e-12):
            return  # the fitted statistics, whatever their convention (the fit tests' concern)
    assert_close(
        out,
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
        scaler.transform(test.copy()),
        expected,
        what="StandardScaler.transform(test) after fit(train)",
        where=where,
        rtol=1e-10,
        atol=1e-12,
        misconceptions={
            MISTAKES["statistics-refit-on-test"]: refit,
        },
    )


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
    # Only the constant columns are compared: the other columns are the other tests' concern.
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
        if out.shape != data.shape:
            fail(f"{kind}.transform({name}): expected shape {data.shape}, got {out.shape}")
        assert_close(
            out[:, constant],
            target[:, constant],
            what=f"{kind}.transform({name}), constant columns 1 and 3",
            where=where,
            rtol=1e-10,
            atol=1e-9,
            misconceptions={
                MISTAKES["constancy-by-std-zero"]: tiny[:, constant],
            }
            if kind == "StandardScaler"
            else None,
        )
    # and back: a constant column's range or scale_ of 1 multiplies in inverse_transform too
    scaled = rng(seed + 1).normal(0, 2, test.shape)
    back = scaled + (train.min(axis=0) if kind == "MinMaxScaler" else train.mean(axis=0))
    restored = as_array(scaler.inverse_transform(scaled.copy()), f"{kind}.inverse_transform")
    if restored.shape != scaled.shape:
        fail(f"{kind}.inverse_transform: expected shape {scaled.shape}, got {restored.shape}")
    assert_close(
        restored[:, constant],
        back[:, constant],
        what=f"{kind}.inverse_transform, constant columns 1 and 3",
        where=where,
        rtol=1e-10,
        atol=1e-9,
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("kind", ["MinMaxScaler", "StandardScaler"])
def test_inverse_transform_returns_to_the_original_units(kata, kind):
    # No constant column here: those are test_constant_columns_are_scaled_by_one_...'s concern.
    seed = 7
    train, test = draw(seed)
    feature_range = (-1.0, 2.0)
    scaler = fitted(kata, kind, train, feature_range)
    own = own_statistics(scaler, kind)
    scaled = rng(seed + 1).normal(0, 2, test.shape)
    if kind == "MinMaxScaler":
        lo, hi = feature_range
        span = train.max(axis=0) - train.min(axis=0)
        expected = (scaled - lo) * span / (hi - lo) + train.min(axis=0)
    else:
        expected = scaled * train.std(axis=0) + train.mean(axis=0)
    where = describe(seed, train=train, scaled=scaled)
    restored = scaler.inverse_transform(scaled.copy())
    if not close(restored, own_inverse(own, kind, scaled, feature_range), rtol=1e-10, atol=1e-9):
        assert_close(
            restored,
            expected,
            what=f"{kind}.inverse_transform",
            where=where,
            rtol=1e-10,
            atol=1e-9,
        )
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
        later = scaler.transform(test.copy())
        # The learner's own fit followed by transform is the promise itself: accepted whatever
        # the statistics (their values are the other tests' concern).
        reference = kata.MinMaxScaler() if kind == "MinMaxScaler" else kata.StandardScaler()
        try:
            reference.fit(train.copy())
            own, own_test = reference.transform(train.copy()), reference.transform(test.copy())
            own, own_test = as_array(own, "transform"), as_array(own_test, "transform")
        except Exception:
            own = own_test = None
        if close(out, own, rtol=1e-12, atol=1e-12) and close(
            later, own_test, rtol=1e-12, atol=1e-12
        ):
            continue
        assert_close(out, expected, what=f"{kind}.fit_transform(train)", where=where, atol=1e-12)
        # the fit inside fit_transform must stick: later data are scaled with train statistics
        assert_close(
            later,
            expected_test,
            what=f"{kind}.transform(test) after fit_transform(train)",
            where=where,
            atol=1e-12,
        )


@pytest.mark.points(1)
@pytest.mark.parametrize("kind", ["MinMaxScaler", "StandardScaler"])
def test_scalers_leave_their_inputs_unchanged(kata, kind):
    # The manifest's input check covers module functions, not methods: the grader looks itself.
    seed = 9
    train, test = draw(seed)
    scaled = rng(seed + 1).normal(0, 2, test.shape)
    scaler = kata.MinMaxScaler() if kind == "MinMaxScaler" else kata.StandardScaler()
    for method, data in [
        ("fit", train),
        ("transform", test),
        ("inverse_transform", scaled),
        ("fit_transform", train),
    ]:
        before = snapshot(X=data)
        getattr(scaler, method)(data)
        try:
            assert_unchanged(before, X=data)
        except AssertionError as error:
            fail(f"{kind}.{method}(X) changed its input X: {error}")
