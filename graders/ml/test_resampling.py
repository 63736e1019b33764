"""Hidden grader for ml/resampling.

Oracles: resampled rows are matched back to the original samples (every row of the grader's data
is unique), so counts, replacement and class membership are checked exactly; SMOTE points are
checked geometrically (each must lie on a segment from a minority sample to one of its k nearest
minority neighbours, found by the grader itself); class weights against n / (K n_c) counted with
a Python Counter; the weighted loss against torch.nn.functional.cross_entropy(weight=...).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from katakit import misconceptions
from katakit.checks import (
    as_array,
    as_number,
    assert_close,
    assert_equal,
    assert_unchanged,
    describe,
    fail,
    naming,
    rng,
    snapshot,
)

MISTAKES = misconceptions.of(__file__)


def draw(seed, counts, d=2, spread=1.0):
    """Overlapping classes with the given sizes; rows are unique (continuous values)."""
    gen = rng(seed)
    X = np.concatenate(
        [gen.normal(spread * label, 1.0, (count, d)) for label, count in enumerate(counts)]
    )
    y = np.repeat(np.arange(len(counts)), counts)
    order = gen.permutation(len(y))
    return X[order], y[order]


def unpack(result, what):
    if not isinstance(result, tuple | list) or len(result) != 2:
        fail(f"{what} must return a tuple (X_res, y_res), got {type(result).__name__}")
    return result


def match_rows(X, y, X_res, y_res, what, where):
    """Indices of the original samples the returned rows are, checking labels travel along."""
    X_res = as_array(X_res, f"{what} X_res")
    y_res = as_array(y_res, f"{what} y_res")
    if X_res.ndim != 2 or X_res.shape[1] != X.shape[1] or len(y_res) != len(X_res):
        fail(
            f"{what}: X_res should be (m, {X.shape[1]}) with y_res (m,), got {X_res.shape} and "
            f"{y_res.shape} [{where}]"
        )
    lookup = {row.tobytes(): i for i, row in enumerate(X)}
    index = []
    for row, label in zip(X_res, y_res, strict=True):
        i = lookup.get(np.ascontiguousarray(row).tobytes())
        if i is None:
            fail(f"{what}: the row {row} is not one of the original samples [{where}]")
        if label != y[i]:
            fail(f"{what}: the row {row} comes back with label {label}, its label is {y[i]}")
        index.append(i)
    return np.array(index)


def call_with_generator(function, seed, *args, junk=0, **kwargs):
    """Run with a Generator seeded ``seed``, numpy's global state set to junk meanwhile."""
    state = np.random.get_state()
    try:
        np.random.seed(seed * 7919 + 13 + junk)
        return function(*args, rng=np.random.default_rng(seed), **kwargs)
    finally:
        np.random.set_state(state)


def assert_reproducible(kata_function, seed, *args, **kwargs):
    # The global state differs between the two calls: only the Generator may matter.
    first = call_with_generator(kata_function, seed, *args, junk=0, **kwargs)
    second = call_with_generator(kata_function, seed, *args, junk=1, **kwargs)
    first = first if isinstance(first, tuple | list) else [first]
    second = second if isinstance(second, tuple | list) else [second]
    for a, b in zip(first, second, strict=True):
        if not np.array_equal(as_array(a, "result"), as_array(b, "result")):
            fail(
                f"{kata_function.__name__}: two calls with Generators of the same seed {seed} "
                "gave different results; draw every random number from the rng you are given, "
                "not from numpy.random's global functions"
            )


# ---------------------------------------------------------------------------- oversampling


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, counts", [(11, [30, 12, 5]), (12, [3, 20])])
def test_oversampling_keeps_originals_and_fills_every_class_to_the_largest(kata, seed, counts):
    X, y = draw(seed, counts)
    before = snapshot(X=X, y=y)
    where = describe(seed, X=X) + f", class sizes {counts}"
    X_res, y_res = unpack(
        call_with_generator(kata.random_oversample, seed, X, y), "random_oversample"
    )
    index = match_rows(X, y, X_res, y_res, "random_oversample", where)
    assert_equal(
        [int(np.sum(y[index] == c)) for c in range(len(counts))],
        [max(counts)] * len(counts),
        what="class sizes after random_oversample",
        where=where,
        misconceptions={
            MISTAKES["oversample-without-replacement"]: [min(max(counts), 2 * c) for c in counts],
        },
    )
    missing = sorted(set(range(len(y))) - set(index.tolist()))
    if missing:
        fail(f"random_oversample dropped original samples {missing[:10]}; keep every one once")
    assert_unchanged(before, X=X, y=y)


@pytest.mark.points(1)
def test_oversampling_draws_uniformly_from_the_small_class(kata):
    seed, counts = 13, [1004, 4]
    X, y = draw(seed, counts)
    X_res, y_res = unpack(
        call_with_generator(kata.random_oversample, seed, X, y), "random_oversample"
    )
    index = match_rows(X, y, X_res, y_res, "random_oversample", describe(seed, X=X))
    small = np.flatnonzero(y == 1)
    added = np.array([np.sum(index == i) - 1 for i in small])
    expected = added.sum() / len(small)
    chi2 = float(((added - expected) ** 2 / expected).sum())
    # 3 degrees of freedom: P(chi2 > 30) is about 1.4e-6 for a uniform draw
    if chi2 > 30:
        fail(
            f"random_oversample: the 1000 extra copies of a 4-sample class are spread "
            f"{added.tolist()} over its samples; uniform draws give about 250 each "
            f"(chi-square {chi2:.1f} > 30, {describe(seed)})"
        )


@pytest.mark.points(1)
def test_oversampling_is_reproducible_from_the_generator(kata):
    X, y = draw(14, [40, 9])
    assert_reproducible(kata.random_oversample, 14, X, y)


# --------------------------------------------------------------------------- undersampling


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, counts", [(21, [50, 10, 24]), (22, [7, 60])])
def test_undersampling_keeps_the_smallest_size_without_repeats(kata, seed, counts):
    X, y = draw(seed, counts)
    before = snapshot(X=X, y=y)
    where = describe(seed, X=X) + f", class sizes {counts}"
    X_res, y_res = unpack(
        call_with_generator(kata.random_undersample, seed, X, y), "random_undersample"
    )
    index = match_rows(X, y, X_res, y_res, "random_undersample", where)
    assert_equal(
        [int(np.sum(y[index] == c)) for c in range(len(counts))],
        [min(counts)] * len(counts),
        what="class sizes after random_undersample",
        where=where,
    )
    repeated = [i for i, n in Counter(index.tolist()).items() if n > 1]
    if repeated:
        fail(
            f"random_undersample returned samples {repeated[:10]} more than once; undersampling "
            f"draws without replacement [{where}]"
        )
    assert_unchanged(before, X=X, y=y)


@pytest.mark.points(1)
def test_undersampling_keeps_a_random_subset(kata):
    X, y = draw(23, [60, 10])
    kept = []
    for seed in (1, 2):
        X_res, y_res = unpack(
            call_with_generator(kata.random_undersample, seed, X, y), "random_undersample"
        )
        index = match_rows(X, y, X_res, y_res, "random_undersample", describe(23, X=X))
        kept.append(sorted(index[y[index] == 0].tolist()))
    first_ten = np.flatnonzero(y == 0)[:10].tolist()
    if kept[0] == kept[1] or kept[0] == first_ten:
        fail(
            "random_undersample keeps the same majority samples whatever the seed (or the first "
            "ones); draw which samples to keep at random from the rng"
        )


# ----------------------------------------------------------------------------------- SMOTE


def knn_segments(P, k, among=None):
    """(anchors, partners): each row of P to each of its k nearest rows of ``among``."""
    among = P if among is None else among
    distances = np.linalg.norm(P[:, None, :] - among[None, :, :], axis=-1)
    distances[distances == 0] = np.inf  # the anchor itself
    nearest = np.argsort(distances, axis=1, kind="stable")[:, :k]
    return np.repeat(P, k, axis=0), among[nearest.ravel()]


def segment_fit(points, anchors, partners, tol=1e-9):
    """For each point: whether it lies on one of the segments, and its t on the first such."""
    v = partners - anchors
    diff = points[:, None, :] - anchors[None, :, :]
    t = (diff * v).sum(-1) / (v * v).sum(-1)
    residual = np.linalg.norm(diff - t[..., None] * v, axis=-1)
    on = (t >= -tol) & (t <= 1 + tol) & (residual <= tol * (1 + np.abs(points).max()))
    first = on.argmax(axis=1)
    return on.any(axis=1), t[np.arange(len(points)), first]


def call_smote(kata, seed, X, y, minority, n_new, k):
    new = call_with_generator(kata.smote, seed, X, y, minority=minority, n_new=n_new, k=k)
    new = as_array(new, "smote result")
    if new.shape != (n_new, X.shape[1]):
        fail(f"smote: expected shape {(n_new, X.shape[1])}, got {new.shape}")
    return new


@pytest.mark.points(2)
@pytest.mark.parametrize(
    "seed, counts, d, minority, k",
    [(31, [60, 45, 14], 2, 2, 3), (32, [9, 50], 4, 0, 5)],
)
def test_smote_points_lie_on_segments_to_k_nearest_minority_neighbours(
    kata, seed, counts, d, minority, k
):
    X, y = draw(seed, counts, d=d, spread=0.6)
    before = snapshot(X=X, y=y)
    new = call_smote(kata, seed, X, y, minority, 200, k)
    M = X[y == minority]
    on, _ = segment_fit(new, *knn_segments(M, k))
    assert_unchanged(before, X=X, y=y)
    if on.all():
        return
    bad = new[~on]
    message = (
        f"smote: {len(bad)} of {len(new)} synthetic points lie on no segment from a minority "
        f"sample to one of its {k} nearest minority neighbours; the first is {bad[0]} "
        f"[{describe(seed, X=X, k=k, minority=minority)}]"
    )
    mistake = None
    if segment_fit(bad, *knn_segments(M, k, among=X))[0].all():
        mistake = MISTAKES["smote-neighbours-from-all-classes"]
    elif segment_fit(bad, *knn_segments(M, len(M) - 1))[0].all():
        mistake = MISTAKES["smote-partners-from-all-minority"]
    if mistake is not None:
        message += naming(mistake)
    fail(message, mistake)


@pytest.mark.points(1)
def test_smote_points_are_new_and_spread_along_their_segments(kata):
    seed, k = 33, 4
    X, y = draw(seed, [40, 12], spread=0.6)
    M = X[y == 1]
    new = call_smote(kata, seed, X, y, 1, 300, k)
    # t along a segment from a minority sample to any other sample: which partners are allowed
    # is test_smote_points_lie_on_segments_to_k_nearest_minority_neighbours' concern.
    on, t = segment_fit(new, *knn_segments(M, len(X) - 1, among=X))
    if not on.all():
        fail(
            f"smote: {int((~on).sum())} of 300 synthetic points lie on no segment from a minority "
            f"sample to another sample, the first {new[~on][0]} [{describe(seed, X=X, k=k)}]"
        )
    gap = np.linalg.norm(new[:, None, :] - M[None, :, :], axis=-1).min(axis=1)
    copies = int(np.sum(gap < 1e-9))
    if copies > 30:
        fail(
            f"smote: {copies} of 300 synthetic points are copies of minority samples; SMOTE "
            "creates new points a + t (b - a) with t drawn uniformly from [0, 1)"
        )
    # one t per synthetic point, uniform on [0, 1): mean 1/2, standard deviation 0.289
    if not (0.4 < t.mean() < 0.6 and 0.22 < t.std() < 0.36):
        fail(
            f"smote: the positions t along the segments have mean {t.mean():.3f} and standard "
            f"deviation {t.std():.3f}; a uniform draw per point gives about 0.5 and 0.289 "
            "(draw a fresh t for every synthetic point)"
        )


@pytest.mark.points(1)
def test_smote_is_reproducible_from_the_generator(kata):
    X, y = draw(34, [30, 6])
    assert_reproducible(kata.smote, 34, X, y, minority=1, n_new=50, k=2)


@pytest.mark.points(1)
def test_smote_rejects_impossible_k(kata):
    X, y = draw(34, [30, 6])
    for k in (6, 0):
        try:
            call_with_generator(kata.smote, 34, X, y, minority=1, n_new=5, k=k)
        except ValueError:
            continue
        fail(f"smote: expected ValueError for k={k} with 6 minority samples (need 1 <= k < 6)")


# --------------------------------------------------------------------------- class weights


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, counts", [(41, [90, 10]), (42, [5, 40, 17, 2])])
def test_class_weights_are_n_over_k_times_class_count(kata, seed, counts):
    _, y = draw(seed, counts)
    n, K = len(y), len(counts)
    tally = Counter(y.tolist())
    expected = [n / (K * tally[c]) for c in range(K)]
    assert_close(
        kata.class_weights(y),
        expected,
        what="class_weights",
        where=f"class sizes {counts}",
        misconceptions={
            MISTAKES["class-weights-inverted"]: [1 / w for w in expected],
            MISTAKES["class-weights-without-factor"]: [1 / tally[c] for c in range(K)],
            MISTAKES["class-weights-frequency"]: [tally[c] / n for c in range(K)],
        },
    )


@pytest.mark.points(1)
def test_balanced_weights_give_every_class_the_same_total_weight(kata):
    counts = [70, 3, 27]
    _, y = draw(43, counts)
    weights = as_array(kata.class_weights(y), "class_weights")
    if weights.shape != (3,):
        fail(f"class_weights: expected shape (3,), got {weights.shape}")
    totals = [float(weights[c] * counts[c]) for c in range(3)]
    assert_close(
        totals,
        [len(y) / 3] * 3,
        what="total weight of each class, w_c * n_c",
        where=f"class sizes {counts}",
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, n, K", [(51, 40, 3), (52, 7, 5)])
def test_weighted_cross_entropy_matches_torch(kata, seed, n, K):
    gen = rng(seed)
    logits = gen.normal(0, 3, (n, K))
    y = gen.integers(0, K, n)
    weights = gen.uniform(0.2, 5.0, K)
    before = snapshot(logits=logits, y=y, weights=weights)
    expected = F.cross_entropy(
        torch.tensor(logits), torch.tensor(y), weight=torch.tensor(weights)
    ).item()
    per_sample = F.cross_entropy(torch.tensor(logits), torch.tensor(y), reduction="none").numpy()
    assert_close(
        as_number(kata.weighted_cross_entropy(logits, y, weights), "weighted_cross_entropy"),
        expected,
        what="weighted_cross_entropy",
        where=describe(seed, logits=logits),
        misconceptions={
            MISTAKES["weighted-loss-over-n"]: float((weights[y] * per_sample).sum() / n),
            MISTAKES["weights-not-applied"]: float(per_sample.mean()),
        },
    )
    assert_unchanged(before, logits=logits, y=y, weights=weights)


@pytest.mark.points(1)
def test_weighted_cross_entropy_stays_exact_for_huge_logits(kata):
    # Two batches: logits near 1000 and close together, where only an unshifted exp overflows;
    # then logits spread over thousands, where a softmax of 0 makes log(softmax) infinite.
    seed, n, K = 53, 12, 4
    gen = rng(seed)
    y = gen.integers(0, K, n)
    weights = gen.uniform(0.2, 5.0, K)
    w = weights[y]
    rows = np.arange(n)
    for logits, name, mistake in [
        (1000.0 + gen.normal(0, 2, (n, K)), "logits near 1000", "softmax-not-shifted"),
        (gen.normal(0, 1000, (n, K)), "logits spread over +-3000", "log-of-softmax"),
    ]:
        expected = F.cross_entropy(
            torch.tensor(logits), torch.tensor(y), weight=torch.tensor(weights)
        ).item()
        result = as_number(
            kata.weighted_cross_entropy(logits, y, weights), "weighted_cross_entropy"
        )
        # Exact values of the normalisation mistakes pass here: they are
        # test_weighted_cross_entropy_matches_torch's concern, this test judges the stability.
        per_sample_exact = F.cross_entropy(
            torch.tensor(logits), torch.tensor(y), reduction="none"
        ).numpy()
        if any(
            np.isclose(result, other, rtol=1e-9, atol=1e-9)
            for other in ((w * per_sample_exact).sum() / n, per_sample_exact.mean())
        ):
            continue
        with np.errstate(all="ignore"):
            if mistake == "softmax-not-shifted":
                # z - log(sum(exp(z))) gives inf, log(exp(z) / sum(exp(z))) gives NaN
                exp = np.exp(logits)
                if np.isnan(result):
                    per_sample = -np.log(exp / exp.sum(axis=1, keepdims=True))[rows, y]
                else:
                    per_sample = -(logits - np.log(exp.sum(axis=1, keepdims=True)))[rows, y]
            else:
                shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
                per_sample = -np.log(shifted / shifted.sum(axis=1, keepdims=True))[rows, y]
        assert_close(
            result,
            expected,
            what="weighted_cross_entropy",
            where=describe(seed, logits=logits) + f", {name}",
            rtol=1e-9,
            atol=1e-9,
            misconceptions={MISTAKES[mistake]: float((w * per_sample).sum() / w.sum())},
        )
