"""Hidden grader for ml/svm_multiclass.

The binary classifiers handed to the learner are instrumented scorers: column 0 of every row of X
is the sample's id, each scorer looks its decision value up in a table the grader drew, and it
logs which sample it was evaluated on. So predictions are checked against the grader's own
replay of each rule on the same tables, and the number of evaluations per sample is counted
exactly (OvR K, OvO K(K-1)/2, DAG K-1). Pegasos is checked against the grader's replay of the
update rule on the same sample order.
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
    describe,
    fail,
    rng,
    to_numpy,
)

MISTAKES = misconceptions.of(__file__)


class Scorers:
    """Instrumented binary scorers: decision values from tables, every evaluation logged."""

    def __init__(self, X, tables):
        self.X, self.tables = X, tables
        self.log = Counter()  # (key, sample id) -> number of evaluations

    def __getitem__(self, key):
        table = self.tables[key]

        def scorer(rows):
            rows = np.asarray(rows, dtype=np.float64)
            single = rows.ndim == 1
            rows = rows.reshape(-1, self.X.shape[1])
            ids = np.rint(rows[:, 0]).astype(np.int64)
            if len(ids) and (
                ids.min() < 0 or ids.max() >= len(self.X) or not np.array_equal(self.X[ids], rows)
            ):
                fail(f"scorer {key} was given rows that are not rows of X")
            self.log.update((key, i) for i in ids.tolist())
            values = table[ids].copy()
            return float(values[0]) if single else values

        return scorer

    def as_list(self, n_classes):
        return [self[c] for c in range(n_classes)]

    def as_pairs(self, n_classes):
        return {(i, j): self[(i, j)] for i in range(n_classes) for j in range(i + 1, n_classes)}


def with_ids(gen, n, d=2):
    return np.column_stack([np.arange(n, dtype=np.float64), gen.normal(size=(n, d))])


def pair_tables(gen, n, K):
    return {(i, j): gen.normal(size=n) for i in range(K) for j in range(i + 1, K)}


# ------------------------------------------------------------------------- grader's replays


def ovr_replay(tables, K, n):
    scores = np.stack([tables[c] for c in range(K)], axis=1)
    return np.argmax(scores, axis=1).tolist()


def ovo_votes(tables, K, n):
    votes = np.zeros((n, K), dtype=np.int64)
    for (i, j), values in tables.items():
        for s in range(n):
            votes[s, i if values[s] > 0 else j] += 1
    return votes


def ovo_replay(tables, K, n, *, largest_on_tie=False):
    votes = ovo_votes(tables, K, n)
    predictions = []
    for row in votes:
        tied = np.flatnonzero(row == row.max())
        predictions.append(int(tied.max() if largest_on_tie else tied.min()))
    return predictions


def dag_path(tables, K, s, *, reverse=False):
    """The pairs sample s visits and the class it ends in (reverse: the winner leaves)."""
    candidates, path = list(range(K)), []
    while len(candidates) > 1:
        pair = (candidates[0], candidates[-1])
        path.append(pair)
        candidates.pop(-1 if (tables[pair][s] > 0) != reverse else 0)
    return path, candidates[0]


def is_a_dag_path(pairs, K):
    """Whether ``pairs`` (a sorted list) are the K - 1 pairs of one walk down the list
    [0, .., K - 1], asking (first, last) and removing either of them at each step."""

    def walk(candidates, left):
        if len(candidates) == 1:
            return not left
        pair = (candidates[0], candidates[-1])
        if pair not in left:
            return False
        rest = list(left)
        rest.remove(pair)
        return walk(candidates[1:], rest) or walk(candidates[:-1], rest)

    return walk(list(range(K)), list(pairs))


def predictions_of(result, n, what):
    values = as_array(result, what)
    if values.shape != (n,):
        fail(f"{what}: expected {n} predicted labels, shape ({n},), got shape {values.shape}")
    return [int(v) for v in values]


def check_counts(scorers, keys, n, per_key, what, where):
    """Every key evaluated per_key times on every sample (per_key=0: never)."""
    for key in keys:
        counts = [scorers.log[(key, s)] for s in range(n)]
        if counts != [per_key] * n:
            wrong = next(s for s in range(n) if counts[s] != per_key)
            fail(
                f"{what}: scorer {key} was evaluated {counts[wrong]} times on sample {wrong}; "
                f"expected {per_key} (once per sample, on the whole batch or row by row) "
                f"[{where}]"
            )


# --------------------------------------------------------------------------- one-vs-rest


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, K", [(11, 3), (12, 5)])
def test_one_vs_rest_predicts_the_largest_score_ties_to_smallest(kata, seed, K):
    gen = rng(seed)
    n = 60
    X = with_ids(gen, n)
    # small integer scores: many samples are claimed by several classes (ties) or by none
    tables = {c: gen.integers(-2, 2, n).astype(np.float64) for c in range(K)}
    scorers = Scorers(X, tables)
    predicted = predictions_of(
        kata.predict_one_vs_rest(scorers.as_list(K), X.copy()), n, "predict_one_vs_rest"
    )
    scores = np.stack([tables[c] for c in range(K)], axis=1)
    assert_equal(
        predicted,
        ovr_replay(tables, K, n),
        what="predict_one_vs_rest",
        where=describe(seed, X=X, K=K),
        misconceptions={
            MISTAKES["ovr-ties-to-largest"]: (K - 1 - np.argmax(scores[:, ::-1], axis=1)).tolist(),
        },
    )


@pytest.mark.points(1)
def test_one_vs_rest_evaluates_every_scorer_once_per_sample(kata):
    seed, K, n = 13, 4, 30
    gen = rng(seed)
    X = with_ids(gen, n)
    scorers = Scorers(X, {c: gen.normal(size=n) for c in range(K)})
    kata.predict_one_vs_rest(scorers.as_list(K), X)
    check_counts(scorers, range(K), n, 1, "predict_one_vs_rest", describe(seed, K=K))


# ---------------------------------------------------------------------------- one-vs-one


def ovo_mistakes(tables, K, n):
    return {
        MISTAKES["ovo-ties-to-largest"]: ovo_replay(tables, K, n, largest_on_tie=True),
    }


@pytest.mark.points(1)
def test_one_vs_one_hand_cases_with_vote_ties(kata):
    # sample 0: 0 beats 1 and 2          -> votes (2, 0, 1) -> 0
    # sample 1: 0>1, 1>2, 2>0 (a cycle)  -> votes (1, 1, 1) -> tie -> 0
    # sample 2: 1>0, 2>0, 2>1            -> votes (0, 1, 2) -> 2
    # sample 3: 1>0, 2>1, 0>2 (a cycle)  -> votes (1, 1, 1) -> tie -> 0
    tables = {
        (0, 1): np.array([1.0, 1.0, -1.0, -1.0]),
        (0, 2): np.array([1.0, -1.0, -1.0, 1.0]),
        (1, 2): np.array([-1.0, 1.0, -1.0, -1.0]),
    }
    X = with_ids(rng(21), 4)
    predicted = predictions_of(
        kata.predict_one_vs_one(Scorers(X, tables).as_pairs(3), 3, X), 4, "predict_one_vs_one"
    )
    assert_equal(
        predicted,
        [0, 0, 2, 0],
        what="predict_one_vs_one",
        where="pair scores " + str({k: v.tolist() for k, v in tables.items()}),
        misconceptions={MISTAKES["ovo-ties-to-largest"]: [0, 2, 2, 2]},
    )


# "> 0" favours i, anything else j: a score of exactly 0 votes for j (one-vs-one) and
# removes first from the list (DAG); ">= 0" ends both samples at 0.
ZERO_SCORE_CASES = {
    # sample 0: every pair scores 0 -> votes (0, 1, 2) -> 2;
    # sample 1: (0, 1) = 1, (0, 2) = 0, (1, 2) = -1 -> votes (1, 0, 2) -> 2
    "predict_one_vs_one": (
        {
            (0, 1): np.array([0.0, 1.0]),
            (0, 2): np.array([0.0, 0.0]),
            (1, 2): np.array([0.0, -1.0]),
        },
        [2, 2],
    ),
    # sample 0: (0, 2) = 0 drops 0, (1, 2) = 1 drops 2 -> 1;
    # sample 1: (0, 2) = 1 drops 2, (0, 1) = 0 drops 0 -> 1.
    # A list that drops the winner instead ends at 1 too: only the zero rule is judged here.
    "predict_dag": (
        {
            (0, 1): np.array([1.0, 0.0]),
            (0, 2): np.array([0.0, 1.0]),
            (1, 2): np.array([1.0, -1.0]),
        },
        [1, 1],
    ),
}


@pytest.mark.points(1)
@pytest.mark.parametrize("name", ["predict_one_vs_one", "predict_dag"])
def test_a_pair_score_of_exactly_zero_goes_against_the_first_class(kata, name):
    tables, expected = ZERO_SCORE_CASES[name]
    X = with_ids(rng(25), 2)
    predicted = predictions_of(getattr(kata, name)(Scorers(X, tables).as_pairs(3), 3, X), 2, name)
    assert_equal(
        predicted,
        expected,
        what=name,
        where="pair scores " + str({k: v.tolist() for k, v in tables.items()}),
        misconceptions={MISTAKES["zero-score-favours-first"]: [0, 0]},
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, K", [(22, 4), (23, 5)])
def test_one_vs_one_majority_vote_on_random_pair_scores(kata, seed, K):
    gen = rng(seed)
    n = 80
    X = with_ids(gen, n)
    tables = pair_tables(gen, n, K)
    predicted = predictions_of(
        kata.predict_one_vs_one(Scorers(X, tables).as_pairs(K), K, X.copy()),
        n,
        "predict_one_vs_one",
    )
    assert_equal(
        predicted,
        ovo_replay(tables, K, n),
        what="predict_one_vs_one",
        where=describe(seed, X=X, K=K),
        misconceptions=ovo_mistakes(tables, K, n),
    )


@pytest.mark.points(1)
def test_one_vs_one_evaluates_every_pair_once_per_sample(kata):
    seed, K, n = 24, 5, 30
    gen = rng(seed)
    X = with_ids(gen, n)
    tables = pair_tables(gen, n, K)
    scorers = Scorers(X, tables)
    kata.predict_one_vs_one(scorers.as_pairs(K), K, X)
    check_counts(scorers, tables, n, 1, "predict_one_vs_one", describe(seed, K=K))
    total = sum(scorers.log.values())
    if total != n * K * (K - 1) // 2:
        fail(f"predict_one_vs_one: {total} evaluations for {n} samples; expected n K(K-1)/2")


# ------------------------------------------------------------------------------------- DAG


@pytest.mark.points(1)
def test_dag_hand_cases_first_against_last(kata):
    # same tables as the one-vs-one hand cases, K = 3, list [0, 1, 2]:
    # sample 0: (0,2) > 0 drops 2, (0,1) > 0 drops 1 -> 0
    # sample 1: (0,2) < 0 drops 0, (1,2) > 0 drops 2 -> 1   (one-vs-one said 0)
    # sample 2: (0,2) < 0 drops 0, (1,2) < 0 drops 1 -> 2
    # sample 3: (0,2) > 0 drops 2, (0,1) < 0 drops 0 -> 1   (one-vs-one said 0)
    tables = {
        (0, 1): np.array([1.0, 1.0, -1.0, -1.0]),
        (0, 2): np.array([1.0, -1.0, -1.0, 1.0]),
        (1, 2): np.array([-1.0, 1.0, -1.0, -1.0]),
    }
    X = with_ids(rng(31), 4)
    predicted = predictions_of(
        kata.predict_dag(Scorers(X, tables).as_pairs(3), 3, X), 4, "predict_dag"
    )
    assert_equal(
        predicted,
        [0, 1, 2, 1],
        what="predict_dag",
        where="pair scores " + str({k: v.tolist() for k, v in tables.items()}),
        misconceptions={
            MISTAKES["dag-is-one-vs-one"]: [0, 0, 2, 0],
            MISTAKES["dag-removes-winner"]: [
                dag_path(tables, 3, s, reverse=True)[1] for s in range(4)
            ],
        },
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, K", [(32, 4), (33, 6)])
def test_dag_predictions_match_the_elimination_list(kata, seed, K):
    gen = rng(seed)
    n = 80
    X = with_ids(gen, n)
    tables = pair_tables(gen, n, K)
    predicted = predictions_of(
        kata.predict_dag(Scorers(X, tables).as_pairs(K), K, X.copy()), n, "predict_dag"
    )
    assert_equal(
        predicted,
        [dag_path(tables, K, s)[1] for s in range(n)],
        what="predict_dag",
        where=describe(seed, X=X, K=K),
        misconceptions={
            MISTAKES["dag-is-one-vs-one"]: ovo_replay(tables, K, n),
            MISTAKES["dag-removes-winner"]: [
                dag_path(tables, K, s, reverse=True)[1] for s in range(n)
            ],
        },
    )


@pytest.mark.points(2)
@pytest.mark.parametrize("K", [4, 7])
def test_dag_evaluates_k_minus_1_scorers_per_sample_along_its_path(kata, K):
    seed, n = 34 + K, 50
    gen = rng(seed)
    X = with_ids(gen, n)
    tables = pair_tables(gen, n, K)
    scorers = Scorers(X, tables)
    kata.predict_dag(scorers.as_pairs(K), K, X)
    total = sum(scorers.log.values())
    if total != n * (K - 1):
        fail(
            f"predict_dag: {total} scorer evaluations for {n} samples and K={K}; the DAG needs "
            f"exactly K - 1 = {K - 1} per sample ({n * (K - 1)} in all)"
            + (
                " -- this is every pair on every sample: evaluate only the pairs on each "
                "sample's path"
                if total == n * K * (K - 1) // 2
                else ""
            )
        )
    # Each sample's pairs must be those of one path through the list, whichever class each step
    # removes: which one it should remove is test_dag_predictions_match_...'s concern.
    for s in range(n):
        visited = sorted(
            key for (key, i), count in scorers.log.items() if i == s for _ in range(count)
        )
        if not is_a_dag_path(visited, K):
            path, _ = dag_path(tables, K, s)
            fail(
                f"predict_dag: sample {s} was evaluated by {visited}, which are not the pairs of "
                f"one path through the list (first against last, one class removed each time); "
                f"this sample's path visits {path} [{describe(seed, K=K)}]"
            )


@pytest.mark.points(1)
@pytest.mark.parametrize("name", ["predict_one_vs_rest", "predict_one_vs_one", "predict_dag"])
def test_every_rule_picks_the_top_class_when_pair_scores_come_from_one_ranking(kata, name):
    seed, K, n = 41, 5, 60
    gen = rng(seed)
    X = with_ids(gen, n)
    f = gen.normal(size=(n, K))  # one score per class; pair (i, j) says f_i - f_j
    if name == "predict_one_vs_rest":
        result = kata.predict_one_vs_rest(Scorers(X, {c: f[:, c] for c in range(K)}).as_list(K), X)
    else:
        pairs = {(i, j): f[:, i] - f[:, j] for i in range(K) for j in range(i + 1, K)}
        result = getattr(kata, name)(Scorers(X, pairs).as_pairs(K), K, X)
    assert_equal(
        predictions_of(result, n, name),
        np.argmax(f, axis=1).tolist(),
        what=name,
        where=describe(seed, K=K) + ", consistent scores: every rule must pick argmax f",
    )


# --------------------------------------------------------------------------------- Pegasos


def pegasos_replay(X, y, lam, order, *, step=None, shrink_always=True):
    """The Pegasos updates; ``step``/``shrink_always`` produce the classic mistakes."""
    w = np.zeros(X.shape[1])
    for t, i in enumerate(order, start=1):
        eta = 1.0 / (lam * t) if step is None else step(t)
        violated = y[i] * (w @ X[i]) < 1
        if shrink_always or violated:
            w = (1.0 - eta * lam) * w
        if violated:
            w = w + eta * y[i] * X[i]
    return w


def pegasos_mistakes(X, y, lam, order, w):
    """The classic mistakes' weights; of the fixed rates, the one closest to the learner's ``w``."""
    fixed = [pegasos_replay(X, y, lam, order, step=lambda t, r=r: r) for r in (0.01, 0.1)]
    w = as_array(w, "pegasos weights")
    if w.shape == fixed[0].shape:
        fixed.sort(key=lambda v: float(np.abs(v - w).max()))
    return {
        MISTAKES["pegasos-shrink-only-on-violation"]: (
            pegasos_replay(X, y, lam, order, shrink_always=False)
        ),
        MISTAKES["pegasos-step-without-lambda"]: (
            pegasos_replay(X, y, lam, order, step=lambda t: 1.0 / t)
        ),
        MISTAKES["pegasos-fixed-step"]: fixed[0],
    }


def blobs(seed, n, d, gap):
    gen = rng(seed)
    y = np.where(gen.random(n) < 0.5, 1, -1)
    centre = gen.normal(size=d - 1)
    centre *= gap / np.linalg.norm(centre)
    X = np.column_stack([gen.normal(size=(n, d - 1)) + np.outer(y, centre), np.ones(n)])
    return X, y, gen


@pytest.mark.points(2)
@pytest.mark.parametrize("seed, n, d, lam, epochs", [(51, 40, 3, 0.1, 5), (52, 25, 5, 0.01, 3)])
def test_pegasos_matches_a_replay_of_the_updates(kata, seed, n, d, lam, epochs):
    X, y, gen = blobs(seed, n, d, gap=1.0)
    order = np.concatenate([gen.permutation(n) for _ in range(epochs)])
    w = kata.pegasos(X.copy(), y.copy(), lam=lam, order=order.copy())
    assert_close(
        w,
        pegasos_replay(X, y, lam, order),
        what="pegasos weights",
        where=describe(seed, X=X, lam=lam, order=order),
        rtol=1e-9,
        atol=1e-12,
        misconceptions=pegasos_mistakes(X, y, lam, order, w),
    )


@pytest.mark.points(1)
def test_pegasos_separates_blobs_and_lowers_the_objective(kata):
    seed, n, lam = 53, 200, 0.01
    X, y, gen = blobs(seed, n, 3, gap=2.5)
    order = gen.integers(0, n, 10 * n)
    w = as_array(kata.pegasos(X, y, lam=lam, order=order), "pegasos weights")
    if w.shape != (3,):
        fail(f"pegasos: expected weights of shape (3,), got {w.shape}")
    accuracy = float(np.mean(np.sign(X @ w) == y))
    objective = lam / 2 * w @ w + np.maximum(0, 1 - y * (X @ w)).mean()
    # at w = 0 the objective is exactly 1 (every hinge term is 1)
    if accuracy < 0.95 or objective > 0.5:
        fail(
            f"pegasos on two well separated blobs: training accuracy {accuracy:.3f} (want >= "
            f"0.95) and objective {objective:.3f} (want <= 0.5; it is 1.0 at w = 0) "
            f"[{describe(seed, X=X, lam=lam)}, {len(order)} steps]"
        )


@pytest.mark.points(1)
def test_pegasos_margin_of_exactly_one_is_not_a_violation(kata):
    # lam = 1, sample 0 twice: t = 1 (eta = 1) sets w = x_0 = (1, 0) -- w was 0, a violation;
    # at t = 2 the margin y_0 w.x_0 is exactly 1, not < 1, so only the shrink (1 - 1/2) applies.
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    y = np.array([1, -1])
    order = np.array([0, 0])
    w = kata.pegasos(X, y, lam=1.0, order=order)
    # The steps and the shrink are other tests' concern: the learner's own run with x_0 scaled
    # by 1 + 1e-6 (a margin just above 1 for the right steps) is accepted too, as long as
    # nothing jumps between the two; counting a margin of exactly 1 as a violation does jump.
    nudged = kata.pegasos(X * [[1.0 + 1e-6], [1.0]], y, lam=1.0, order=order)
    try:
        jump = np.abs(as_array(w, "pegasos weights") - as_array(nudged, "pegasos weights")).max()
    except Exception:
        jump = np.inf
    if jump < 1e-4:
        return
    assert_close(
        w,
        np.array([0.5, 0.0]),
        what="pegasos weights",
        where=f"X={X.tolist()}, y={y.tolist()}, lam=1.0, order={order.tolist()}",
        rtol=0,
        atol=1e-12,
        misconceptions={MISTAKES["margin-of-one-as-violation"]: np.array([1.0, 0.0])},
    )


@pytest.mark.points(1)
def test_predictions_are_integer_arrays(kata):
    K, n = 3, 4
    X = with_ids(rng(26), n)
    pairs = pair_tables(rng(27), n, K)
    tables = {c: rng(28 + c).normal(size=n) for c in range(K)}
    for name, result in [
        ("predict_one_vs_rest", kata.predict_one_vs_rest(Scorers(X, tables).as_list(K), X)),
        ("predict_one_vs_one", kata.predict_one_vs_one(Scorers(X, pairs).as_pairs(K), K, X)),
        ("predict_dag", kata.predict_dag(Scorers(X, pairs).as_pairs(K), K, X)),
    ]:
        labels = to_numpy(result)
        if labels.dtype.kind not in "iu":
            fail(
                f"{name} must return an integer array of labels, got dtype {labels.dtype}: "
                "convert with .astype(int) (np.argmax already returns integers)"
            )


@pytest.mark.points(1)
def test_hinge_objective_matches_its_formula(kata):
    seed, lam = 54, 0.3
    X, y, gen = blobs(seed, 30, 4, gap=0.5)
    w = gen.normal(size=4)
    hinge = np.maximum(0.0, 1.0 - y * (X @ w))
    assert_close(
        as_number(kata.hinge_objective(w, X, y, lam), "hinge_objective"),
        lam / 2 * w @ w + hinge.mean(),
        what="hinge_objective",
        where=describe(seed, X=X, lam=lam),
        misconceptions={
            MISTAKES["hinge-summed-not-mean"]: lam / 2 * w @ w + hinge.sum(),
            MISTAKES["regulariser-without-half"]: lam * w @ w + hinge.mean(),
        },
    )
