"""Hidden grader for loss/cross_entropy.

Oracles: torch.nn.functional.log_softmax, cross_entropy (weights, label smoothing, probability
targets), binary_cross_entropy_with_logits and kl_div(log q, p) run here; torch.special.entr for
the entropy; the identity H(p, q) = H(p) + KL(p || q) on the learner's own three functions.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from katakit import misconceptions
from katakit.checks import as_array, as_number, assert_close, describe, fail, naming, rng

MISTAKES = misconceptions.of(__file__)
REDUCTIONS = ["none", "mean", "sum"]


def t(x):
    return torch.as_tensor(x)


def logits_and_targets(seed, n, c, scale=2.0):
    gen = rng(seed)
    return gen.normal(0, scale, (n, c)), gen.integers(0, c, n)


def distribution(seed, n, c, zeros=False):
    gen = rng(seed)
    p = gen.dirichlet(np.ones(c), n)
    if zeros:
        p[gen.random((n, c)) < 0.4] = 0.0
        p[:, 0] += 1e-3  # every row keeps some mass
        p /= p.sum(axis=1, keepdims=True)
    return p


def same_including_inf(actual, wrong):
    """True when ``actual`` has NaN and inf where ``wrong`` has them and is close elsewhere."""
    wrong = np.asarray(wrong, dtype=np.float64)
    if actual.shape != wrong.shape:
        return False
    ok = np.isfinite(wrong)
    return bool(
        np.array_equal(np.isnan(actual), np.isnan(wrong))
        and np.array_equal(actual[np.isinf(wrong)], wrong[np.isinf(wrong)])
        and np.allclose(actual[ok], wrong[ok], rtol=1e-9, atol=1e-9)
    )


def finite(value, what, where, named):
    """Fail when the learner's result has NaN or inf in it, naming the mistake whose output
    (computed here, NaN and inf included) it reproduces."""
    __tracebackhide__ = True
    array = as_array(value, what)
    if not np.all(np.isfinite(array)):
        kind = "NaN" if np.isnan(array).any() else "infinite"
        message = f"{what}: {kind} values for finite inputs [{where}]\n  got: {array}"
        message += naming([m for m, wrong in named.items() if same_including_inf(array, wrong)])
        fail(message)
    return array


def naive_log_softmax(logits, shift):
    """The unstable log-softmaxes: without the max shift, the log of the softmax, and
    (shift="global") a shift by the whole array's maximum."""
    z = np.asarray(logits, dtype=np.float64)
    with np.errstate(all="ignore"):
        if shift == "global":
            shifted = z - z.max()
            return shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
        if shift:
            e = np.exp(z - z.max(-1, keepdims=True))
            return np.log(e / e.sum(-1, keepdims=True))
        return z - np.log(np.exp(z).sum(-1, keepdims=True))


def unstable(logits, reduce=lambda log_q: log_q):
    return {
        MISTAKES["no-max-shift"]: reduce(naive_log_softmax(logits, False)),
        MISTAKES["log-of-softmax"]: reduce(naive_log_softmax(logits, True)),
        MISTAKES["max-over-whole-array"]: reduce(naive_log_softmax(logits, "global")),
    }


def naive_bce(logits, target):
    with np.errstate(all="ignore"):
        s = 1.0 / (1.0 + np.exp(-logits))
        return -(target * np.log(s) + (1.0 - target) * np.log(1.0 - s))


def clipped_log(expected_log, got):
    """What log(max(q, eps)) or log(q + eps) gives for the eps at which the learner's
    log-probabilities bottom out, or None when they show no such floor."""
    try:
        actual = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    expected_log = np.asarray(expected_log, dtype=np.float64)
    deep = expected_log < -1000.0
    if actual.shape != expected_log.shape or not deep.any():
        return None
    floor = actual[deep]
    level = floor.max()
    if not np.isfinite(floor).all() or floor.min() < level - 1e-6 or not -800.0 < level < 0.0:
        return None
    clipped, added = np.maximum(expected_log, level), np.logaddexp(expected_log, level)
    return min((clipped, added), key=lambda wrong: float(np.abs(wrong - actual).max()))


def clipped_bce(logits, target, got):
    """BCE with sigmoid(z) clipped to [eps, 1 - eps] (or eps added inside each log), for the eps
    the learner's loss of a confidently wrong logit (z <= -1e3, y = 1) points at; or None."""
    try:
        actual = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    wrong_way = np.flatnonzero((logits <= -1e3) & (target == 1.0))
    if actual.shape != logits.shape or not wrong_way.size:
        return None
    level = actual.flat[wrong_way[0]]
    if not 0.0 < level < 800.0:
        return None
    eps = np.exp(-level)
    s = torch.sigmoid(t(logits)).numpy()
    with np.errstate(all="ignore"):
        c = np.clip(s, eps, 1.0 - eps)
        clipped = -(target * np.log(c) + (1.0 - target) * np.log(1.0 - c))
        added = -(target * np.log(s + eps) + (1.0 - target) * np.log(1.0 - s + eps))
    return min((clipped, added), key=lambda wrong: float(np.abs(wrong - actual).max()))


def if_any(mistake, wrong):
    return {} if wrong is None else {mistake: wrong}


def log_with_zeros(p):
    with np.errstate(divide="ignore"):
        return np.log(p)


def p_log(p, log_x, guarded):
    """sum p * log_x per row, with or without the 0 log 0 = 0 guard."""
    with np.errstate(all="ignore"):
        terms = p * log_x
    return (np.where(p > 0, terms, 0.0) if guarded else terms).sum(-1)


def p_log_mistakes(p, logits, log_term):
    """What KL / soft cross-entropy give with an unguarded 0 log 0, or with log(softmax)."""
    with np.errstate(all="ignore"):
        return {
            MISTAKES["zero-log-zero-nan"]: p_log(
                p, log_term(F.log_softmax(t(logits), -1).numpy()), False
            ),
            MISTAKES["no-max-shift"]: p_log(p, log_term(naive_log_softmax(logits, False)), True),
            MISTAKES["log-of-softmax"]: p_log(p, log_term(naive_log_softmax(logits, True)), True),
        }


def ce_call(kata, logits, target, reduction, **options):
    result = kata.cross_entropy(logits.copy(), target.copy(), reduction=reduction, **options)
    what = f"cross_entropy(reduction={reduction!r}" + "".join(
        f", {k}={'...' if k == 'weight' else v}" for k, v in options.items()
    )
    what += ")"
    if reduction == "none":
        return as_array(result, what), what
    return as_number(result, what), what


def ce_oracle(logits, target, reduction, **options):
    if options.get("weight") is not None:
        options["weight"] = t(options["weight"])
    return F.cross_entropy(t(logits), t(target), reduction=reduction, **options).numpy()


def ce_by_hand(logits, target, weight, eps, c_share, smooth_weighted, divide_by_n, reduction):
    """Variants of the weighted, smoothed cross-entropy, for naming mistakes."""
    log_q = F.log_softmax(t(logits), -1).numpy()
    n, c = log_q.shape
    w = np.ones(c) if weight is None else weight
    onehot = np.eye(c)[target]
    smooth = eps * (1 - onehot) / (c - 1) if c_share == "others" else np.full((n, c), eps / c)
    hard = -(1 - eps) * w[target] * log_q[np.arange(n), target]
    soft = -(smooth * (w if smooth_weighted else 1.0) * log_q).sum(1)
    losses = hard + soft
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    return losses.sum() / (n if divide_by_n else w[target].sum())


# -- log_softmax -------------------------------------------------------------------------------


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, shape", [(11, (5, 4)), (12, (1, 7)), (13, (9, 2))])
def test_log_softmax_matches_torch(kata, seed, shape):
    logits, _ = logits_and_targets(seed, *shape, scale=3.0)
    expected = F.log_softmax(t(logits), -1).numpy()
    assert_close(
        kata.log_softmax(logits.copy()),
        expected,
        what="log_softmax",
        where=describe(seed, logits=logits),
        rtol=1e-10,
        atol=1e-12,
    )


@pytest.mark.points(2)
def test_log_softmax_is_exact_at_logits_of_1e4(kata):
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [5e3, 1e4, 1e4], [800.0, 0.0, -900.0]])
    where = f"logits = {logits.tolist()}"
    result = finite(
        kata.log_softmax(logits.copy()),
        "log_softmax at extreme logits",
        where,
        unstable(logits),
    )
    expected = F.log_softmax(t(logits), -1).numpy()
    assert_close(
        result,
        expected,
        what="log_softmax at extreme logits",
        where=where,
        rtol=1e-12,
        atol=1e-9,
        misconceptions=if_any(MISTAKES["probs-clipped-before-log"], clipped_log(expected, result)),
    )


# -- cross_entropy -----------------------------------------------------------------------------


@pytest.mark.points(1)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_matches_torch(kata, reduction):
    seed = 21
    logits, target = logits_and_targets(seed, 7, 5)
    result, what = ce_call(kata, logits, target, reduction)
    assert_close(
        result,
        ce_oracle(logits, target, reduction),
        what=what,
        where=describe(seed, logits=logits, target=target),
        rtol=1e-10,
    )


@pytest.mark.points(1)
def test_cross_entropy_is_exact_at_logits_of_1e4_and_1000(kata):
    logits = np.array(
        [[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [1e4, 1e4, -1e4], [1000.0, -1000.0, 3.0]]
    )
    target = np.array([1, 2, 2, 1])
    where = f"logits = {logits.tolist()}, target = {target.tolist()}"
    result, what = ce_call(kata, logits, target, "none")
    finite(
        result,
        what,
        where,
        unstable(logits, lambda log_q: -log_q[np.arange(len(target)), target]),
    )
    expected = ce_oracle(logits, target, "none")
    floor = clipped_log(-expected, -as_array(result, what))
    assert_close(
        result,
        expected,
        what=what,
        where=where,
        rtol=1e-12,
        misconceptions=if_any(
            MISTAKES["probs-clipped-before-log"], None if floor is None else -floor
        ),
    )


@pytest.mark.points(2)
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_class_weights_follow_torch(kata, reduction):
    seed = 31
    logits, target = logits_and_targets(seed, 8, 4)
    weight = rng(seed + 1).uniform(0.2, 3.0, 4)
    result, what = ce_call(kata, logits, target, reduction, weight=weight.copy())
    wrong = ce_by_hand(logits, target, weight, 0.0, "all", True, True, reduction)
    assert_close(
        result,
        ce_oracle(logits, target, reduction, weight=weight),
        what=what,
        where=describe(seed, logits=logits, weight=weight),
        rtol=1e-10,
        misconceptions={MISTAKES["weighted-mean-over-n"]: wrong} if reduction == "mean" else {},
    )


@pytest.mark.points(2)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_label_smoothing_follows_torch(kata, reduction):
    seed = 41
    for eps in (0.1, 0.35):
        logits, target = logits_and_targets(seed, 6, 5)
        result, what = ce_call(kata, logits, target, reduction, label_smoothing=eps)
        wrong = ce_by_hand(logits, target, None, eps, "others", True, False, reduction)
        assert_close(
            result,
            ce_oracle(logits, target, reduction, label_smoothing=eps),
            what=what,
            where=describe(seed, logits=logits, target=target),
            rtol=1e-10,
            misconceptions={MISTAKES["smoothing-other-classes"]: wrong},
        )


@pytest.mark.points(2)
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_label_smoothing_with_class_weights_follows_torch(kata, reduction):
    seed = 51
    logits, target = logits_and_targets(seed, 9, 4)
    weight = rng(seed + 1).uniform(0.2, 3.0, 4)
    eps = 0.25
    result, what = ce_call(
        kata, logits, target, reduction, weight=weight.copy(), label_smoothing=eps
    )
    hand = lambda *flags: ce_by_hand(logits, target, weight, eps, *flags, reduction)  # noqa: E731
    wrong = {
        MISTAKES["smoothing-unweighted"]: hand("all", False, False),
        MISTAKES["smoothing-other-classes"]: hand("others", True, False),
    }
    if reduction == "mean":
        wrong[MISTAKES["weighted-mean-over-n"]] = hand("all", True, True)
    assert_close(
        result,
        ce_oracle(logits, target, reduction, weight=weight, label_smoothing=eps),
        what=what,
        where=describe(seed, logits=logits, weight=weight, label_smoothing=eps),
        rtol=1e-10,
        misconceptions=wrong,
    )


# -- bce_with_logits ---------------------------------------------------------------------------


@pytest.mark.points(1)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_matches_torch(kata, reduction):
    seed = 61
    gen = rng(seed)
    logits, target = gen.normal(0, 3, (4, 5)), gen.uniform(0, 1, (4, 5))
    target[0] = np.round(target[0])
    result = kata.bce_with_logits(logits.copy(), target.copy(), reduction)
    what = f"bce_with_logits(reduction={reduction!r})"
    expected = F.binary_cross_entropy_with_logits(t(logits), t(target), reduction=reduction)
    assert_close(
        result if reduction == "none" else as_number(result, what),
        expected.numpy(),
        what=what,
        where=describe(seed, logits=logits),
        rtol=1e-10,
    )


@pytest.mark.points(2)
def test_bce_with_logits_is_exact_at_logits_of_1e4(kata):
    logits = np.array([1e4, -1e4, 1e4, -1e4, 1e4, -1e3, 40.0, 1000.0])
    target = np.array([0.0, 1.0, 1.0, 0.0, 0.25, 0.5, 1.0, 0.0])
    where = f"logits = {logits.tolist()}, target = {target.tolist()}"
    result = finite(
        kata.bce_with_logits(logits.copy(), target.copy(), "none"),
        "bce_with_logits(reduction='none') at extreme logits",
        where,
        {MISTAKES["bce-log-of-sigmoid"]: naive_bce(logits, target)},
    )
    expected = F.binary_cross_entropy_with_logits(t(logits), t(target), reduction="none")
    assert_close(
        result,
        expected.numpy(),
        what="bce_with_logits(reduction='none') at extreme logits",
        where=where,
        rtol=1e-12,
        atol=1e-15,
        misconceptions=if_any(MISTAKES["bce-clipped-sigmoid"], clipped_bce(logits, target, result)),
    )


# -- entropy, KL, soft cross-entropy ------------------------------------------------------------


@pytest.mark.points(1)
def test_entropy_matches_torch(kata):
    seed = 71
    p = distribution(seed, 6, 5)
    assert_close(
        kata.entropy(p.copy()),
        torch.special.entr(t(p)).sum(-1).numpy(),
        what="entropy",
        where=describe(seed, p=p),
        rtol=1e-10,
    )


@pytest.mark.points(1)
def test_entropy_counts_zero_log_zero_as_zero(kata):
    seed = 72
    p = np.vstack([np.eye(4)[[2]], distribution(seed, 5, 4, zeros=True)])
    where = describe(seed, p=p) + ", row 0 one-hot, zeros in other rows"
    result = finite(
        kata.entropy(p.copy()),
        "entropy",
        where,
        {MISTAKES["zero-log-zero-nan"]: -p_log(p, log_with_zeros(p), False)},
    )
    assert_close(
        result, torch.special.entr(t(p)).sum(-1).numpy(), what="entropy", where=where, rtol=1e-10
    )


def kl_oracle(p, logits):
    """torch's kl_div takes input = log q and target = p, and returns KL(p || q) terms."""
    return F.kl_div(F.log_softmax(t(logits), -1), t(p), reduction="none").sum(-1).numpy()


@pytest.mark.points(2)
def test_kl_divergence_is_kl_of_p_from_q(kata):
    seed = 81
    p = distribution(seed, 6, 5)
    logits, _ = logits_and_targets(seed + 1, 6, 5)
    log_q = F.log_softmax(t(logits), -1).numpy()
    swapped = (np.exp(log_q) * (log_q - np.log(p))).sum(-1)
    assert_close(
        kata.kl_divergence(p.copy(), logits.copy()),
        kl_oracle(p, logits),
        what="kl_divergence(p, logits)",
        where=describe(seed, p=p, logits=logits),
        rtol=1e-10,
        misconceptions={MISTAKES["kl-arguments-swapped"]: swapped},
    )


@pytest.mark.points(1)
def test_kl_divergence_with_zeros_in_p_and_extreme_logits(kata):
    seed = 82
    p = np.vstack([np.eye(4)[[1]], distribution(seed, 4, 4, zeros=True)])
    logits, _ = logits_and_targets(seed + 1, 5, 4)
    logits[0] = [1e4, -1e4, 0.0, 3.0]  # q of the one-hot class is exp(-2e4): KL = 2e4
    logits[1] = [-1e4, 1e4, 0.0, 0.0]
    where = describe(seed, p=p, logits=logits) + f", p[0] = {p[0].tolist()}, logits[0:2] large"
    result = finite(
        kata.kl_divergence(p.copy(), logits.copy()),
        "kl_divergence(p, logits)",
        where,
        p_log_mistakes(p, logits, lambda log_q: np.log(p) - log_q),
    )
    assert_close(
        result, kl_oracle(p, logits), what="kl_divergence(p, logits)", where=where, rtol=1e-10
    )


@pytest.mark.points(1)
def test_soft_cross_entropy_matches_torch_probability_targets(kata):
    seed = 91
    p = np.vstack([distribution(seed, 4, 6), distribution(seed + 1, 2, 6, zeros=True)])
    logits, _ = logits_and_targets(seed + 2, 6, 6)
    logits[5] = [1e4, 0.0, -1e4, 2.0, 0.0, 1.0]
    expected = F.cross_entropy(t(logits), t(p), reduction="none").numpy()
    where = describe(seed, p=p, logits=logits) + ", row 5 with logits of +-1e4"
    result = finite(
        kata.soft_cross_entropy(p.copy(), logits.copy()),
        "soft_cross_entropy(p, logits)",
        where,
        p_log_mistakes(p, logits, lambda log_q: -log_q),
    )
    assert_close(result, expected, what="soft_cross_entropy(p, logits)", where=where, rtol=1e-10)


@pytest.mark.points(1)
def test_cross_entropy_is_entropy_plus_kl(kata):
    seed = 101
    p = distribution(seed, 7, 4)
    logits, _ = logits_and_targets(seed + 1, 7, 4)
    h = as_array(kata.entropy(p.copy()), "entropy")
    kl = as_array(kata.kl_divergence(p.copy(), logits.copy()), "kl_divergence")
    ce = as_array(kata.soft_cross_entropy(p.copy(), logits.copy()), "soft_cross_entropy")
    assert_close(
        ce,
        h + kl,
        what="soft_cross_entropy(p, logits) against entropy(p) + kl_divergence(p, logits)",
        where=describe(seed, p=p, logits=logits),
        rtol=1e-10,
    )
    if np.any(kl < -1e-12):
        fail(f"kl_divergence returned negative values {kl}; KL(p || q) >= 0 [seed {seed}]")
