"""Hidden grader for ml/iid_batches.

Oracles: sorted batches against Python's (stable) sorted() of the indices by label; shuffled
batches and epochs by their properties (a partition of the indices into consecutive-size batches,
reproducible from the Generator alone, a new permutation every epoch, uniform positions by a
chi-square bound); label skew counted with collections.Counter; BN statistics with numpy per
batch. The experiment tests run the learner's own functions on a fixed-seed data set and check the
bounds the statement announces (sorted: skew > 0.5, mean shift > 0.5, variance ratio < 0.5;
shuffled: skew < 0.2, mean shift < 0.3, variance ratio in [0.85, 1.1]); at this seed the
reference lands far inside them (about 0.61 / 0.76 / 0.28 and 0.10 / 0.15 / 0.96).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from katakit import misconceptions
from katakit.checks import (
    as_array,
    as_number,
    assert_close,
    assert_equal,
    assert_unchanged,
    describe,
    fail,
    rng,
    snapshot,
)

MISTAKES = misconceptions.of(__file__)


def as_batches(result, what):
    if not isinstance(result, list | tuple):
        fail(f"{what} must return a list of index arrays, got {type(result).__name__}")
    batches = []
    for i, batch in enumerate(result):
        values = as_array(batch, f"{what} batch {i}")
        if values.ndim != 1 or not np.array_equal(values, np.round(values)):
            fail(f"{what}: batch {i} should be a 1-D array of integer indices")
        batches.append(values.astype(np.int64))
    return batches


def check_epoch(batches, n, batch_size, what, where):
    sizes = [len(b) for b in batches]
    expected_sizes = [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
    covered = sorted(i for b in batches for i in b.tolist())
    if covered != list(range(n)):
        dropped = sorted(set(range(n)) - set(covered))
        message = f"{what}: the batches must cover 0 .. {n - 1} once each"
        if dropped and sizes == expected_sizes[: len(sizes)] and len(sizes) < len(expected_sizes):
            message += "; the short last batch was dropped: keep it"
        fail(f"{message} (missing {dropped[:8]}) [{where}]")
    if sizes != expected_sizes:
        fail(
            f"{what}: batch sizes {sizes}; consecutive cuts of {batch_size} give {expected_sizes} "
            f"[{where}]"
        )


def call(function, seed, *args, junk=0):
    state = np.random.get_state()
    try:
        np.random.seed(2000 + seed + junk)
        return function(*args, np.random.default_rng(seed))
    finally:
        np.random.set_state(state)


def skew_oracle(batches, y, n_classes, reference=None):
    n = len(y)
    overall = Counter(y.tolist())
    total = 0.0
    for batch in batches:
        inside = Counter(y[batch].tolist())
        for c in range(n_classes):
            p = overall[c] / n if reference is None else reference[c]
            total += 0.5 * abs(inside[c] / len(batch) - p)
    return total / len(batches)


def reference_from_batches(batches, y, n_classes):
    shares = [[Counter(y[b].tolist())[c] / len(b) for c in range(n_classes)] for b in batches]
    return skew_oracle(batches, y, n_classes, np.mean(shares, axis=0).tolist())


def skew_mistakes(batches, y, n_classes):
    return {
        MISTAKES["skew-against-uniform"]: skew_oracle(
            batches, y, n_classes, [1 / n_classes] * n_classes
        ),
        MISTAKES["skew-without-half"]: 2 * skew_oracle(batches, y, n_classes),
        MISTAKES["skew-reference-from-batches"]: reference_from_batches(batches, y, n_classes),
        MISTAKES["skew-weighted-by-batch-size"]: sum(
            len(b) * d for b, d in ((b, skew_oracle([b], y, n_classes)) for b in batches)
        )
        / len(y),
    }


def experiment_data(seed=71, n=1200):
    gen = rng(seed)
    y = gen.choice(3, n, p=[0.5, 0.3, 0.2])
    x = np.column_stack([2.0 * y + gen.normal(size=n), gen.normal(size=n)])
    return x, y


# --------------------------------------------------------------------------------- batching


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, n, batch_size, k", [(11, 50, 8, 3), (12, 12, 4, 4)])
def test_sorted_batches_cut_the_stable_label_order(kata, seed, n, batch_size, k):
    y = rng(seed).integers(0, k, n)
    before = snapshot(y=y)
    batches = as_batches(kata.sorted_batches(y.copy(), batch_size), "sorted_batches")
    check_epoch(batches, n, batch_size, "sorted_batches", describe(seed, n=n))
    order = sorted(range(n), key=lambda i: y[i])  # Python's sort is stable
    expected = [sorted(order[s : s + batch_size]) for s in range(0, n, batch_size)]
    assert_equal(
        [sorted(b.tolist()) for b in batches],
        expected,
        what="sorted_batches (each batch's indices, sorted)",
        where=describe(seed, y=y, batch_size=batch_size),
    )
    assert_unchanged(before, y=y)


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, n, batch_size", [(21, 50, 8), (22, 64, 16)])
def test_shuffled_batches_partition_the_samples(kata, seed, n, batch_size):
    batches = as_batches(call(kata.shuffled_batches, seed, n, batch_size), "shuffled_batches")
    check_epoch(batches, n, batch_size, "shuffled_batches", describe(seed, n=n))


@pytest.mark.points(1)
def test_shuffled_batches_depend_on_the_generator_only(kata):
    n, batch_size = 40, 8
    runs = [
        [b.tolist() for b in as_batches(call(kata.shuffled_batches, s, n, 8, junk=j), "batches")]
        for s, j in [(23, 0), (23, 1), (24, 0)]
    ]
    if runs[0] != runs[1]:
        fail(
            "shuffled_batches: the same seed gave different batches; draw the permutation from "
            "the rng you are given, not from numpy.random's global functions"
        )
    if runs[0] == runs[2] or np.concatenate(runs[0]).tolist() == list(range(n)):
        fail(f"shuffled_batches: the batches are not shuffled (n={n}, batch_size={batch_size})")


# ---------------------------------------------------------------------------------- epochs


def schedule(kata, seed, n, batch_size, n_epochs, junk=0):
    result = call(kata.epoch_schedule, seed, n, batch_size, n_epochs, junk=junk)
    if not isinstance(result, list | tuple) or len(result) != n_epochs:
        fail(f"epoch_schedule must return a list of {n_epochs} epochs")
    return [as_batches(epoch, f"epoch_schedule epoch {e}") for e, epoch in enumerate(result)]


@pytest.mark.points(1)
def test_every_epoch_of_the_schedule_cuts_the_samples_into_batches(kata):
    seed, n, batch_size, n_epochs = 33, 30, 7, 3
    for e, epoch in enumerate(schedule(kata, seed, n, batch_size, n_epochs)):
        check_epoch(epoch, n, batch_size, f"epoch_schedule epoch {e}", describe(seed, n=n))


@pytest.mark.points(1)
def test_every_epoch_is_reshuffled(kata):
    # Only the orders: how each epoch is cut into batches is the test above's concern.
    seed, n, batch_size, n_epochs = 31, 30, 7, 5
    epochs = schedule(kata, seed, n, batch_size, n_epochs)
    orders = [np.concatenate(epoch).tolist() for epoch in epochs]
    same = [
        (a, b) for a in range(n_epochs) for b in range(a + 1, n_epochs) if orders[a] == orders[b]
    ]
    if same:
        fail(
            f"epoch_schedule: epochs {same[0][0]} and {same[0][1]} visit the samples in the same "
            "order; draw a new permutation from rng for every epoch (shuffling once and reusing "
            "the order repeats the same batches every epoch)"
        )
    again = schedule(kata, seed, n, batch_size, n_epochs, junk=1)
    if [np.concatenate(e).tolist() for e in again] != orders:
        fail("epoch_schedule: the same seed gave a different schedule; use only the given rng")


@pytest.mark.points(1)
def test_shuffled_positions_are_uniform(kata):
    # One epoch from each of 400 seeds: whether the epochs of one schedule differ is
    # test_every_epoch_is_reshuffled's concern, the uniformity of each permutation is this one's.
    n, batch_size = 8, 2
    where = []
    for seed in range(3200, 3600):
        (epoch,) = schedule(kata, seed, n, batch_size, 1)
        where.append(next((i for i, b in enumerate(epoch) if 0 in b.tolist()), 0))
    counts = np.bincount(where, minlength=4)
    chi2 = float(((counts - 100) ** 2 / 100).sum())
    # 3 degrees of freedom: P(chi2 > 30) is about 1.4e-6 for uniform permutations
    if chi2 > 30:
        fail(
            f"epoch_schedule: over one epoch from each of 400 seeds, sample 0 landed in batches "
            f"0..3 {counts.tolist()} times; uniform shuffling gives about 100 each (chi-square "
            f"{chi2:.1f} > 30)"
        )


# ----------------------------------------------------------------------------------- skew


@pytest.mark.points(1)
def test_label_skew_of_a_hand_case(kata):
    # p = (5/6, 1/6); batch (0, 0, 0): TV = 1/6; batch (0, 0, 1): TV = 1/2 (1/6 + 1/6) = 1/6
    y = np.array([0, 0, 0, 0, 0, 1])
    batches = [np.array([0, 1, 2]), np.array([3, 4, 5])]
    assert_close(
        as_number(kata.label_skew(batches, y, 2), "label_skew"),
        (1 / 6 + 1 / 6) / 2,
        what="label_skew",
        where=f"y={y.tolist()}, batches [[0, 1, 2], [3, 4, 5]]",
        misconceptions=skew_mistakes(batches, y, 2),
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, n, k, batch_size", [(41, 100, 4, 16), (42, 75, 3, 10)])
def test_label_skew_matches_counting(kata, seed, n, k, batch_size):
    gen = rng(seed)
    y = gen.choice(k, n, p=np.arange(k, 0, -1) / np.arange(k, 0, -1).sum())
    order = np.argsort(y + gen.random(n) * 1.5)  # partly sorted: a real but moderate skew
    batches = [order[s : s + batch_size] for s in range(0, n, batch_size)]
    before = snapshot(y=y)
    assert_close(
        as_number(kata.label_skew([b.copy() for b in batches], y, k), "label_skew"),
        skew_oracle(batches, y, k),
        what="label_skew",
        where=describe(seed, y=y, batch_size=batch_size),
        misconceptions=skew_mistakes(batches, y, k),
    )
    assert_unchanged(before, y=y)


# ----------------------------------------------------------------------- BN statistics


@pytest.mark.points(1)
def test_batch_norm_stats_per_batch(kata):
    seed = 51
    gen = rng(seed)
    x = gen.normal(3.0, 2.0, (37, 3))
    batches = [b for b in np.split(gen.permutation(37), [10, 20, 30])]
    before = snapshot(x=x)
    result = kata.batch_norm_stats(x, batches)
    if not isinstance(result, tuple | list) or len(result) != 2:
        fail("batch_norm_stats must return a tuple (means, variances)")
    means, variances = result
    where = describe(seed, x=x) + f", batch sizes {[len(b) for b in batches]}"
    assert_close(means, np.stack([x[b].mean(axis=0) for b in batches]), what="means", where=where)
    assert_close(
        variances,
        np.stack([x[b].var(axis=0) for b in batches]),
        what="variances",
        where=where,
        misconceptions={
            MISTAKES["unbiased-batch-variance"]: np.stack(
                [x[b].var(axis=0, ddof=1) for b in batches]
            ),
        },
    )
    assert_unchanged(before, x=x)


@pytest.mark.points(1)
def test_mean_shift_matches_its_formula(kata):
    seed = 52
    gen = rng(seed)
    y = gen.integers(0, 2, 90)
    x = np.column_stack([3.0 * y + gen.normal(size=90), gen.normal(5.0, 0.1, 90)])
    batches = [np.argsort(y, kind="stable")[s : s + 20] for s in range(0, 90, 20)]
    means = np.stack([x[b].mean(axis=0) for b in batches])
    expected = np.abs(means - x.mean(axis=0)).mean(axis=0) / x.std(axis=0)
    assert_close(
        kata.mean_shift(x, batches),
        expected,
        what="mean_shift",
        where=describe(seed, x=x) + ", label-sorted batches of 20",
        misconceptions={
            MISTAKES["mean-shift-signed"]: ((means - x.mean(axis=0)).mean(axis=0) / x.std(axis=0)),
            MISTAKES["mean-shift-not-scaled"]: np.abs(means - x.mean(axis=0)).mean(axis=0),
            MISTAKES["mean-shift-unbiased-std"]: np.abs(means - x.mean(axis=0)).mean(axis=0)
            / x.std(axis=0, ddof=1),
        },
    )


# ------------------------------------------------------------------------- the experiment


def measure(kata, x, y, batches):
    skew = as_number(kata.label_skew(batches, y, 3), "label_skew")
    shift = as_array(kata.mean_shift(x, batches), "mean_shift")
    _, variances = kata.batch_norm_stats(x, batches)
    ratio = as_array(variances, "variances").mean(axis=0) / x.var(axis=0)
    if shift.shape != (2,) or ratio.shape != (2,):
        fail("mean_shift and batch_norm_stats must give one value per feature (d = 2)")
    return skew, shift, ratio


@pytest.mark.points(2)
def test_sorted_batches_skew_the_labels_and_bias_bn_statistics(kata):
    x, y = experiment_data()
    batches = as_batches(kata.sorted_batches(y, 32), "sorted_batches")
    skew, shift, ratio = measure(kata, x, y, batches)
    report = (
        f"label skew {skew:.3f}, mean shift {shift.round(3).tolist()}, batch variance / data "
        f"variance {ratio.round(3).tolist()} (grader's data: 1200 samples, batches of 32)"
    )
    if not (skew > 0.5 and shift[0] > 0.5 and ratio[0] < 0.5 and shift[1] < 0.3):
        fail(
            "sorted batches: expected label skew > 0.5, a mean shift > 0.5 and a variance ratio "
            "< 0.5 for the label-correlated feature 0, and a mean shift < 0.3 for the "
            f"independent feature 1; got {report}"
        )


@pytest.mark.points(2)
def test_shuffled_batches_keep_labels_and_bn_statistics_representative(kata):
    x, y = experiment_data()
    batches = as_batches(call(kata.shuffled_batches, 72, len(y), 32), "shuffled_batches")
    skew, shift, ratio = measure(kata, x, y, batches)
    report = (
        f"label skew {skew:.3f}, mean shift {shift.round(3).tolist()}, batch variance / data "
        f"variance {ratio.round(3).tolist()}"
    )
    if not (skew < 0.2 and np.all(shift < 0.3) and np.all((ratio > 0.85) & (ratio < 1.1))):
        fail(
            "shuffled batches: expected label skew < 0.2, mean shifts < 0.3 and variance ratios "
            f"between 0.85 and 1.1 (each batch a small random sample of the data); got {report}"
        )


@pytest.mark.points(1)
def test_shuffled_batch_means_approach_the_data_mean_as_batches_grow(kata):
    x, y = experiment_data()
    small = as_array(
        kata.mean_shift(x, as_batches(call(kata.shuffled_batches, 73, len(y), 4), "batches")),
        "mean_shift",
    )
    large = as_array(
        kata.mean_shift(x, as_batches(call(kata.shuffled_batches, 74, len(y), 64), "batches")),
        "mean_shift",
    )
    # standard error ~ 1/sqrt(B): 16 times the batch size, about a quarter of the shift
    if not np.all(large < 0.5 * small):
        fail(
            f"mean shift with shuffled batches of 4: {small.round(3).tolist()}, of 64: "
            f"{large.round(3).tolist()}; batches 16 times larger should shift about 4 times less"
        )
