"""Hidden grader for ml/cross_validation.

Folds are judged by their properties, computed here with plain counting: they partition the
indices (disjoint, union = all), sizes differ by at most one, per-class counts differ by at most
one for stratified folds, they depend on the Generator only, and they are shuffled. The CV score
is checked against the grader's own loop over the same folds, with an instrumented learner that
records which samples (column 0 of X is the sample id) every fit and predict call received.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from katakit import misconceptions
from katakit.checks import (
    as_array,
    assert_close,
    assert_unchanged,
    describe,
    fail,
    naming,
    rng,
    snapshot,
)

MISTAKES = misconceptions.of(__file__)


def as_folds(result, k, what):
    if not isinstance(result, list | tuple):
        fail(f"{what} must return a list of k index arrays, got {type(result).__name__}")
    if len(result) != k:
        fail(f"{what}: expected {k} folds, got {len(result)}")
    folds = []
    for i, fold in enumerate(result):
        values = as_array(fold, f"{what} fold {i}")
        if values.ndim != 1 or not np.array_equal(values, np.round(values)):
            fail(f"{what}: fold {i} should be a 1-D array of integer indices, got {values}")
        folds.append(values.astype(np.int64))
    return folds


def check_partition(folds, n, what, where, restart_mistake=None):
    seen = Counter(i for fold in folds for i in fold.tolist())
    twice = sorted(i for i, count in seen.items() if count > 1)
    if twice:
        fail(
            f"{what}: the folds overlap; indices {twice[:8]} are in more than one fold, so they "
            f"would be validated twice [{where}]"
        )
    missing = sorted(set(range(n)) - set(seen))
    stray = sorted(set(seen) - set(range(n)))
    if missing or stray:
        fail(
            f"{what}: the folds must cover 0 .. {n - 1} exactly once; missing {missing[:8]}, "
            f"out of range {stray[:8]} [{where}]"
        )
    sizes = [len(fold) for fold in folds]
    if max(sizes) - min(sizes) > 1:
        mistake = None
        if restart_mistake is not None and sizes == restart_mistake:
            mistake = MISTAKES["classes-restart-at-fold-zero"]
        elif sorted(sizes)[:-1] == [n // len(folds)] * (len(folds) - 1):
            mistake = MISTAKES["last-fold-takes-remainder"]
        named = "" if mistake is None else naming(mistake)
        fail(f"{what}: fold sizes {sizes} differ by more than one [{where}]{named}", mistake)


def call(function, seed, *args, junk=0):
    """Call with a Generator seeded ``seed``, numpy's global state set to junk meanwhile."""
    state = np.random.get_state()
    try:
        np.random.seed(1000 + seed + junk)
        return function(*args, np.random.default_rng(seed))
    finally:
        np.random.set_state(state)


# ------------------------------------------------------------------------------------ k_fold


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, n, k", [(11, 20, 5), (12, 23, 5), (13, 7, 7), (14, 101, 10)])
def test_k_fold_partitions_the_samples_with_sizes_within_one(kata, seed, n, k):
    folds = as_folds(call(kata.k_fold, seed, n, k), k, "k_fold")
    check_partition(folds, n, "k_fold", describe(seed, n_samples=n, k=k))


@pytest.mark.points(1)
def test_k_fold_is_shuffled_by_the_generator_only(kata):
    n, k = 60, 4
    first = as_folds(call(kata.k_fold, 21, n, k), k, "k_fold")
    again = as_folds(call(kata.k_fold, 21, n, k, junk=1), k, "k_fold")
    other = as_folds(call(kata.k_fold, 22, n, k), k, "k_fold")
    as_sets = [[sorted(f.tolist()) for f in folds] for folds in (first, again, other)]
    if as_sets[0] != as_sets[1]:
        fail(
            "k_fold: two calls with Generators of the same seed gave different folds; draw the "
            "permutation from the rng you are given, not from numpy.random's global functions"
        )
    if as_sets[0] == as_sets[2]:
        fail("k_fold: seeds 21 and 22 gave the same folds; the folds must be shuffled with rng")
    if all(f == list(range(f[0], f[0] + len(f))) for f in as_sets[0]):
        fail(
            "k_fold: every fold is a block of consecutive indices; shuffle the indices before "
            "splitting (sorted or grouped data would give unrepresentative folds)"
        )


@pytest.mark.points(1)
def test_k_fold_rejects_impossible_k(kata):
    for n, k in [(10, 1), (5, 6)]:
        try:
            call(kata.k_fold, 23, n, k)
        except ValueError:
            continue
        fail(f"k_fold: expected ValueError for n_samples={n}, k={k} (need 2 <= k <= n_samples)")


# ------------------------------------------------------------------------- stratified_k_fold


def labels(seed, counts):
    y = np.repeat(np.arange(len(counts)), counts)
    rng(seed).shuffle(y)
    return y


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "seed, counts, k",
    [(31, [13, 7, 4], 3), (32, [50, 5], 5), (33, [9, 2, 11, 6], 4)],
)
def test_stratified_folds_keep_every_class_within_one_per_fold(kata, seed, counts, k):
    y = labels(seed, counts)
    before = snapshot(y=y)
    where = describe(seed, y=y, k=k) + f", class sizes {counts}"
    folds = as_folds(call(kata.stratified_k_fold, seed, y.copy(), k), k, "stratified_k_fold")
    check_partition(
        folds,
        len(y),
        "stratified_k_fold",
        where,
        # the fold sizes when every class is dealt from fold 0: class c gives fold i
        # count // k samples, plus one when i < count % k
        restart_mistake=[sum(count // k + (i < count % k) for count in counts) for i in range(k)],
    )
    for c, count in enumerate(counts):
        per_fold = [int(np.sum(y[fold] == c)) for fold in folds]
        if max(per_fold) - min(per_fold) > 1:
            fail(
                f"stratified_k_fold: class {c} ({count} samples) is spread {per_fold} over the "
                f"folds; each fold should hold {count // k} or {count // k + 1} of them "
                f"(stratification keeps every class's share in every fold) [{where}]"
            )
    assert_unchanged(before, y=y)


@pytest.mark.points(1)
def test_stratified_k_fold_rejects_impossible_k(kata):
    y = labels(34, [4, 3])
    for k in (1, len(y) + 1):
        try:
            call(kata.stratified_k_fold, 34, y.copy(), k)
        except ValueError:
            continue
        fail(
            f"stratified_k_fold: expected ValueError for len(y)={len(y)}, k={k} "
            "(need 2 <= k <= len(y))"
        )
    # k = len(y) is legal: one sample per fold
    as_folds(call(kata.stratified_k_fold, 34, y.copy(), len(y)), len(y), "stratified_k_fold")


@pytest.mark.points(1)
def test_stratified_folds_are_shuffled_within_each_class(kata):
    y = labels(34, [30, 12])
    k = 3
    first = as_folds(call(kata.stratified_k_fold, 34, y, k), k, "stratified_k_fold")
    again = as_folds(call(kata.stratified_k_fold, 34, y, k, junk=1), k, "stratified_k_fold")
    other = as_folds(call(kata.stratified_k_fold, 35, y, k), k, "stratified_k_fold")
    as_sets = [[sorted(f.tolist()) for f in folds] for folds in (first, again, other)]
    if as_sets[0] != as_sets[1]:
        fail("stratified_k_fold: the same seed gave different folds; use only the given rng")
    if as_sets[0] == as_sets[2]:
        fail("stratified_k_fold: seeds 34 and 35 gave the same folds; shuffle with rng")


# ---------------------------------------------------------------------------- cross_val_score


class Learner:
    """Nearest class mean, recording the sample ids of every fit and predict call."""

    def __init__(self):
        self.fits, self.predictions = [], []

    def fit(self, X, y):
        X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
        self.fits.append(np.rint(X[:, 0]).astype(int).tolist())
        means = {c: X[y == c, 1:].mean(axis=0) for c in np.unique(y)}
        return len(self.fits) - 1, means

    def predict(self, model, X):
        number, means = model
        X = np.asarray(X, dtype=np.float64)
        self.predictions.append((number, np.rint(X[:, 0]).astype(int).tolist()))
        classes = sorted(means)
        distances = np.stack([np.linalg.norm(X[:, 1:] - means[c], axis=1) for c in classes])
        return np.array(classes)[np.argmin(distances, axis=0)]


def accuracy(y_true, y_pred):
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def grader_folds(seed, y, k):
    """Uneven folds built by the grader: a shuffled split at random cut points."""
    gen = rng(seed)
    cuts = np.sort(gen.choice(np.arange(1, len(y)), size=k - 1, replace=False))
    return np.split(gen.permutation(len(y)), cuts)


def data(seed, n):
    gen = rng(seed)
    y = gen.integers(0, 3, n)
    features = gen.normal(size=(n, 2)) + 1.2 * np.column_stack([y, -y])
    return np.column_stack([np.arange(n, dtype=np.float64), features]), y


def expected_scores(X, y, folds):
    learner, scores = Learner(), []
    for fold in folds:
        train = np.setdiff1d(np.arange(len(y)), fold)
        model = learner.fit(X[train], y[train])
        scores.append(accuracy(y[fold], learner.predict(model, X[fold])))
    return scores


@pytest.mark.points(2)
@pytest.mark.parametrize("seed, n, k", [(41, 60, 4), (42, 45, 7)])
def test_cross_val_score_matches_a_loop_over_the_same_folds(kata, seed, n, k):
    X, y = data(seed, n)
    folds = grader_folds(seed, y, k)
    before = snapshot(X=X, y=y)
    learner = Learner()
    scores = kata.cross_val_score(
        X, y, learner.fit, learner.predict, [f.copy() for f in folds], accuracy
    )
    # Which samples each fit sees is test_cross_val_score_fits_once_per_fold_...'s concern: the
    # scores of the learner's own fits, each applied to its fold in order, are accepted too.
    if len(learner.fits) == len(folds):
        replay = Learner()
        own = []
        for seen, fold in zip(learner.fits, folds, strict=True):
            model = replay.fit(X[seen], y[seen])
            own.append(accuracy(y[fold], replay.predict(model, X[fold])))
        got = np.asarray(scores, dtype=np.float64)
        if got.shape == (len(folds),) and np.allclose(got, own, rtol=1e-12, atol=0):
            assert_unchanged(before, X=X, y=y)
            return
    everything = Learner()
    leaked = everything.predict(everything.fit(X, y), X)
    assert_close(
        scores,
        expected_scores(X, y, folds),
        what="cross_val_score",
        where=describe(seed, X=X, k=k) + f", fold sizes {[len(f) for f in folds]}",
        misconceptions={
            MISTAKES["trains-on-all-data"]: [accuracy(y[f], leaked[f]) for f in folds],
        },
    )
    assert_unchanged(before, X=X, y=y)


@pytest.mark.points(1)
def test_cross_val_score_fits_once_per_fold_on_the_other_folds_only(kata):
    seed, n, k = 43, 40, 5
    X, y = data(seed, n)
    folds = grader_folds(seed, y, k)
    learner = Learner()
    kata.cross_val_score(X, y, learner.fit, learner.predict, folds, accuracy)
    if len(learner.fits) != k:
        fail(f"cross_val_score called fit {len(learner.fits)} times for {k} folds; once per fold")
    for i, (fold, seen) in enumerate(zip(folds, learner.fits, strict=True)):
        leaked = sorted(set(seen) & set(fold.tolist()))
        if leaked:
            fail(
                f"cross_val_score: round {i} trained on validation samples {leaked[:8]}; fit "
                "must only see the samples outside fold i",
                MISTAKES["trains-on-all-data"] if sorted(seen) == list(range(n)) else None,
            )
        if sorted(seen) != sorted(set(range(n)) - set(fold.tolist())):
            fail(
                f"cross_val_score: round {i} did not train on exactly the samples outside fold {i}"
            )
    validated = sorted(i for _, ids in learner.predictions for i in ids)
    if validated != list(range(n)):
        fail(
            "cross_val_score: every sample must be predicted exactly once, by the model that did "
            "not see it; predict was called on other samples"
        )
