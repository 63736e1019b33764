"""Hidden grader for ml/imbalance_metrics.

Oracles: a confusion matrix counted sample by sample in a Python loop, precision / recall / F-beta
/ kappa from their definitions on those counts, and ROC-AUC as the brute-force fraction of
(positive, negative) pairs won (ties counting one half). Small hand-made cases come with their
counts worked out by hand in the comments.
"""

from __future__ import annotations

import numpy as np
import pytest

from katakit import misconceptions
from katakit.checks import (
    as_number,
    assert_close,
    assert_equal,
    assert_unchanged,
    describe,
    fail,
    rng,
    snapshot,
    to_numpy,
)

MISTAKES = misconceptions.of(__file__)


def count_matrix(y_true, y_pred, k):
    """The confusion matrix, one sample at a time."""
    counts = [[0] * k for _ in range(k)]
    for t, p in zip(y_true.tolist(), y_pred.tolist(), strict=True):
        counts[t][p] += 1
    return counts


def binary_counts(y_true, y_pred):
    tp = int(np.sum((y_true == 1) & (y_pred == 1)))
    fp = int(np.sum((y_true == 0) & (y_pred == 1)))
    fn = int(np.sum((y_true == 1) & (y_pred == 0)))
    return tp, fp, fn


def prf(tp, fp, fn, beta):
    """Precision, recall and F-beta from the counts, with the statement's zero conventions."""
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    b2 = beta * beta
    f = (1 + b2) * p * r / (b2 * p + r) if b2 * p + r else 0.0
    return p, r, f


def f_beta_mistakes(tp, fp, fn, beta):
    p, r, _ = prf(tp, fp, fn, beta)
    return {
        MISTAKES["fbeta-uses-beta"]: (1 + beta) * p * r / (beta * p + r),
        MISTAKES["fbeta-weights-swapped"]: (1 + beta**2) * p * r / (p + beta**2 * r),
    }


def kappa_parts(counts):
    counts = np.asarray(counts, dtype=np.float64)
    n = counts.sum()
    observed = np.trace(counts) / n
    expected = sum(counts[k].sum() * counts[:, k].sum() for k in range(len(counts))) / n**2
    return observed, expected


def kappa_oracle(counts):
    observed, expected = kappa_parts(counts)
    return 0.0 if expected == 1 else (observed - expected) / (1 - expected)


def kappa_mistakes(counts):
    observed, expected = kappa_parts(counts)
    return {
        MISTAKES["kappa-observed-only"]: observed,
        MISTAKES["kappa-not-normalised"]: observed - expected,
    }


def pairwise_auc(y_true, scores):
    pos, neg = scores[y_true == 1], scores[y_true == 0]
    wins = pos[:, None] > neg[None, :]
    ties = pos[:, None] == neg[None, :]
    return float(wins.mean() + 0.5 * ties.mean()), wins, ties


def auc_mistakes(y_true, scores):
    _, wins, ties = pairwise_auc(y_true, scores)
    return {
        MISTAKES["auc-ties-ignored"]: float(wins.mean()),
        MISTAKES["auc-tie-full-win"]: float((wins | ties).mean()),
        MISTAKES["auc-classes-swapped"]: float(1 - wins.mean() - 0.5 * ties.mean()),
    }


def noisy_binary(seed, n, positive_rate):
    """Imbalanced truth and a noisy classifier that finds some positives and invents a few."""
    gen = rng(seed)
    y_true = (gen.random(n) < positive_rate).astype(np.int64)
    flip = gen.random(n) < np.where(y_true == 1, 0.35, 0.08)
    return y_true, np.where(flip, 1 - y_true, y_true), gen


# ------------------------------------------------------------------------- confusion matrix


@pytest.mark.points(1)
def test_confusion_matrix_counts_a_hand_case_rows_true_columns_predicted(kata):
    y_true = np.array([0, 0, 1, 1, 1, 2, 2, 0])
    y_pred = np.array([0, 1, 1, 1, 2, 2, 0, 0])
    # true 0: predicted 0, 1, 0 -> row [2, 1, 0]; true 1: 1, 1, 2 -> [0, 2, 1]; true 2: 2, 0
    expected = [[2, 1, 0], [0, 2, 1], [1, 0, 1]]
    before = snapshot(y_true=y_true, y_pred=y_pred)
    assert_equal(
        kata.confusion_matrix(y_true, y_pred),
        expected,
        what="confusion_matrix",
        where=f"y_true={y_true.tolist()}, y_pred={y_pred.tolist()}",
        misconceptions={
            MISTAKES["confusion-transposed"]: np.array(expected).T,
        },
    )
    assert_unchanged(before, y_true=y_true, y_pred=y_pred)


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, k, n_classes", [(11, 4, None), (12, 3, 6)])
def test_confusion_matrix_matches_counting_on_random_labels(kata, seed, k, n_classes):
    gen = rng(seed)
    y_true = gen.integers(0, k, 200)
    y_pred = np.where(gen.random(200) < 0.6, y_true, gen.integers(0, k, 200))
    size = k if n_classes is None else n_classes
    expected = count_matrix(y_true, y_pred, size)
    assert_equal(
        kata.confusion_matrix(y_true, y_pred, n_classes),
        expected,
        what="confusion_matrix",
        where=describe(seed, y_true=y_true, n_classes=n_classes),
        misconceptions={MISTAKES["confusion-transposed"]: np.array(expected).T},
    )


@pytest.mark.points(1)
def test_confusion_matrix_is_an_integer_array(kata):
    seed = 13
    gen = rng(seed)
    y_true, y_pred = gen.integers(0, 3, 20), gen.integers(0, 3, 20)
    counts = to_numpy(kata.confusion_matrix(y_true, y_pred))
    if counts.dtype.kind not in "iu":
        fail(
            f"confusion_matrix must return an integer array of counts, got dtype {counts.dtype} "
            f"[{describe(seed, y_true=y_true)}]: count into an integer array (np.bincount does, "
            "np.zeros(..., dtype=int) with np.add.at too)"
        )


# ------------------------------------------------------------- precision, recall, F-beta


HAND_TRUE = np.array([1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0])
HAND_PRED = np.array([1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0])
# TP 3, FN 2, FP 1: P = 3/4, R = 3/5, F1 = 2/3, F2 = 5 * 3 / (5 * 3 + 4 * 2 + 1) = 15/24
HAND_WHERE = f"y_true={HAND_TRUE.tolist()}, y_pred={HAND_PRED.tolist()}"
RANDOM_CASES = [(21, 0.5), (22, 2.0), (23, 3.0)]


def random_cases():
    """(y_true, y_pred, beta, where) of the seeded random label sets."""
    for seed, beta in RANDOM_CASES:
        y_true, y_pred, _ = noisy_binary(seed, 300, 0.15)
        yield y_true, y_pred, beta, describe(seed, y_true=y_true, beta=beta)


def all_cases():
    yield HAND_TRUE, HAND_PRED, 1.0, HAND_WHERE
    yield from random_cases()


@pytest.mark.points(1)
def test_precision_matches_its_definition(kata):
    for y_true, y_pred, _, where in all_cases():
        tp, fp, fn = binary_counts(y_true, y_pred)
        p, r, _ = prf(tp, fp, fn, 1.0)
        assert_close(
            as_number(kata.precision(y_true, y_pred), "precision"),
            p,
            what="precision",
            where=where,
            misconceptions={MISTAKES["precision-recall-swapped"]: r},
        )


@pytest.mark.points(1)
def test_recall_matches_its_definition(kata):
    for y_true, y_pred, _, where in all_cases():
        tp, fp, fn = binary_counts(y_true, y_pred)
        p, r, _ = prf(tp, fp, fn, 1.0)
        assert_close(
            as_number(kata.recall(y_true, y_pred), "recall"),
            r,
            what="recall",
            where=where,
            misconceptions={MISTAKES["precision-recall-swapped"]: p},
        )


def own_f_beta(kata, y_true, y_pred, beta):
    """F-beta from the learner's own precision and recall (None if they fail): f_beta's tests
    also accept it, since P and R are their own tests' concern."""
    try:
        p = as_number(kata.precision(y_true, y_pred), "precision")
        r = as_number(kata.recall(y_true, y_pred), "recall")
    except Exception:
        return None
    b2 = beta * beta
    return (1 + b2) * p * r / (b2 * p + r) if b2 * p + r else 0.0


def check_f_beta(kata, y_true, y_pred, beta, where):
    tp, fp, fn = binary_counts(y_true, y_pred)
    _, _, f = prf(tp, fp, fn, beta)
    got = as_number(kata.f_beta(y_true, y_pred, beta), "f_beta")
    own = own_f_beta(kata, y_true, y_pred, beta)
    if own is not None and np.isclose(got, own, rtol=1e-7, atol=0):
        return
    assert_close(
        got,
        f,
        what=f"f_beta with beta={beta}",
        where=where,
        misconceptions=f_beta_mistakes(tp, fp, fn, beta),
    )


@pytest.mark.points(1)
def test_f1_and_f2_of_a_hand_case(kata):
    for beta in (1.0, 2.0):
        check_f_beta(kata, HAND_TRUE, HAND_PRED, beta, HAND_WHERE + f", beta={beta}")


@pytest.mark.points(1)
def test_f_beta_matches_its_definition_on_random_labels(kata):
    for y_true, y_pred, beta, where in random_cases():
        check_f_beta(kata, y_true, y_pred, beta, where)


@pytest.mark.points(1)
def test_precision_recall_f_beta_zero_division_conventions(kata):
    nothing_predicted = (np.array([1, 0, 1, 0]), np.array([0, 0, 0, 0]))
    no_positives = (np.array([0, 0, 0]), np.array([0, 1, 0]))
    for (y_true, y_pred), name in [(nothing_predicted, "no 1 predicted"), (no_positives, "no 1")]:
        where = f"{name}: y_true={y_true.tolist()}, y_pred={y_pred.tolist()}"
        for function in ("precision", "recall", "f_beta"):
            value = as_number(getattr(kata, function)(y_true, y_pred), function)
            if value != 0.0:
                fail(
                    f"{function}: expected 0.0 by the statement's convention, got {value} [{where}]"
                )


@pytest.mark.points(1)
def test_kappa_is_zero_when_chance_agreement_is_one(kata):
    same = np.array([2, 2, 2])
    kappa = as_number(kata.cohen_kappa(same, same), "cohen_kappa")
    if kappa != 0.0:
        fail(f"cohen_kappa: expected 0.0 when p_e == 1 (a single class in both), got {kappa}")


# ----------------------------------------------------------------------------------- kappa


@pytest.mark.points(1)
def test_kappa_of_a_hand_made_two_rater_table(kata):
    # 50 items, table [[20, 5], [10, 15]]: p_o = 35/50, p_e = (25*30 + 25*20) / 2500 = 1/2,
    # kappa = (0.7 - 0.5) / 0.5 = 0.4
    table = [[20, 5], [10, 15]]
    pairs = [(i, j) for i in range(2) for j in range(2) for _ in range(table[i][j])]
    y_true, y_pred = (np.array(column) for column in zip(*pairs, strict=True))
    assert_close(
        as_number(kata.cohen_kappa(y_true, y_pred), "cohen_kappa"),
        kappa_oracle(table),
        what="cohen_kappa",
        where=f"confusion table {table}",
        misconceptions=kappa_mistakes(table),
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, k, agree", [(31, 4, 0.5), (32, 3, 0.0)])
def test_kappa_matches_its_definition_on_random_multiclass_labels(kata, seed, k, agree):
    gen = rng(seed)
    # skewed marginals, so that chance agreement is large; agree=0 gives kappa near or below 0
    y_true = gen.choice(k, 400, p=np.linspace(2, 1, k) / np.linspace(2, 1, k).sum())
    y_pred = np.where(
        gen.random(400) < agree, y_true, gen.choice(k, 400, p=np.r_[0.7, [0.3 / (k - 1)] * (k - 1)])
    )
    counts = count_matrix(y_true, y_pred, k)
    assert_close(
        as_number(kata.cohen_kappa(y_true, y_pred), "cohen_kappa"),
        kappa_oracle(counts),
        what="cohen_kappa",
        where=describe(seed, y_true=y_true, k=k),
        misconceptions=kappa_mistakes(counts),
    )


# --------------------------------------------------------------------------------- ROC-AUC


@pytest.mark.points(1)
def test_roc_auc_of_a_hand_case_with_ties(kata):
    y_true = np.array([1, 0, 1, 0, 1])
    scores = np.array([0.8, 0.4, 0.4, 0.1, 0.4])
    # positives 0.8, 0.4, 0.4 vs negatives 0.4, 0.1: 4 wins and 2 ties of 6 pairs -> 5/6
    expected = (4 + 0.5 * 2) / 6
    assert_close(
        as_number(kata.roc_auc(y_true, scores), "roc_auc"),
        expected,
        what="roc_auc",
        where=f"y_true={y_true.tolist()}, scores={scores.tolist()}",
        misconceptions=auc_mistakes(y_true, scores),
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, tied", [(41, False), (42, True)])
def test_roc_auc_matches_brute_force_pair_counting(kata, seed, tied):
    y_true, _, gen = noisy_binary(seed, 1500, 0.2)
    scores = gen.normal(0, 1, y_true.size) + 1.2 * y_true
    if tied:
        scores = np.round(scores * 2) / 2  # a few distinct values: most pairs are ties
    before = snapshot(y_true=y_true, scores=scores)
    expected, _, _ = pairwise_auc(y_true, scores)
    assert_close(
        as_number(kata.roc_auc(y_true, scores), "roc_auc"),
        expected,
        what="roc_auc",
        where=describe(seed, scores=scores, tied=tied),
        rtol=1e-9,
        misconceptions=auc_mistakes(y_true, scores),
    )
    assert_unchanged(before, y_true=y_true, scores=scores)


@pytest.mark.points(1)
def test_roc_auc_rejects_labels_of_a_single_class(kata):
    try:
        kata.roc_auc(np.array([1, 1, 1]), np.array([0.2, 0.5, 0.9]))
    except ValueError:
        return
    fail("roc_auc: expected ValueError when y_true has no negatives (the AUC is undefined)")


# --------------------------------------------------------------------- the accuracy paradox


@pytest.mark.points(1)
@pytest.mark.parametrize("n_neg, n_pos", [(95, 5), (3, 7), (6, 6)])
def test_majority_baseline_shows_the_accuracy_paradox(kata, n_neg, n_pos):
    y_true = np.array([0] * n_neg + [1] * n_pos)
    rng(51).shuffle(y_true)
    report = kata.majority_baseline(y_true)
    if not isinstance(report, dict):
        fail(f"majority_baseline must return a dict, got {type(report).__name__}")
    majority = 1 if n_pos > n_neg else 0
    y_pred = np.full_like(y_true, majority)
    p, r, f = prf(*binary_counts(y_true, y_pred), 1.0)
    expected = {
        "accuracy": max(n_neg, n_pos) / (n_neg + n_pos),
        "precision": p,
        "recall": r,
        "f1": f,
        "kappa": kappa_oracle(count_matrix(y_true, y_pred, 2)),
    }
    wrong = {}
    if n_neg == n_pos:  # a tie: the statement sends it to class 0, the mistake to class 1
        ones = np.ones_like(y_true)
        p1, r1, f1 = prf(*binary_counts(y_true, ones), 1.0)
        tie_to_one = {
            "precision": p1,
            "recall": r1,
            "f1": f1,
            "kappa": kappa_oracle(count_matrix(y_true, ones, 2)),
        }
        wrong = {key: {MISTAKES["majority-tie-to-class-1"]: v} for key, v in tie_to_one.items()}
    # The metrics themselves are their own tests' concern: the learner's own functions applied
    # to the majority prediction are accepted as well.
    own = {}
    for key, call in [
        ("precision", lambda: kata.precision(y_true, y_pred)),
        ("recall", lambda: kata.recall(y_true, y_pred)),
        ("f1", lambda: kata.f_beta(y_true, y_pred, 1.0)),
        ("kappa", lambda: kata.cohen_kappa(y_true, y_pred)),
    ]:
        try:
            own[key] = as_number(call(), key)
        except Exception:
            continue
    for key, value in expected.items():
        if key not in report:
            fail(f"majority_baseline: the dict has no key {key!r} (got {sorted(report)})")
        got = as_number(report[key], f"majority_baseline()[{key!r}]")
        if key in own and np.isclose(got, own[key], rtol=1e-7, atol=1e-12, equal_nan=True):
            continue
        assert_close(
            got,
            value,
            what=f"majority_baseline()[{key!r}]",
            where=f"{n_neg} negatives, {n_pos} positives; always predicting {majority}",
            misconceptions=wrong.get(key),
        )
