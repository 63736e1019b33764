"""Hidden grader for nas/reinforce.

Oracles: torch autograd of log_softmax for the score function, the closed-form average for the
estimate on fixed samples, and, for unbiasedness, the exact gradient of the expected reward
(autograd through the sum over all K**L architectures) compared with the learner's estimate over
200,000 architectures sampled here from a fixed seed, within six standard errors estimated from
those samples. The variance check compares the spread of 60 batch estimates with and without a
baseline near the mean reward.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from katakit import misconceptions
from katakit.checks import agrees, as_array, as_number, assert_close, describe, fail, naming, rng

MISTAKES = misconceptions.of(__file__)
L, K = 2, 3


def gen(seed):
    return torch.Generator().manual_seed(seed)


def controller(seed):
    gen_ = rng(seed)
    logits = torch.from_numpy(gen_.normal(0, 1, (L, K)))
    # rewards like validation accuracies: around 11 with a real interaction between decisions
    table = torch.from_numpy(10.0 + 2.0 * gen_.uniform(0, 1, (K, K)))
    return logits, table


def sample(logits, n, seed):
    p = torch.softmax(logits, dim=1)
    cols = [torch.multinomial(p[d], n, replacement=True, generator=gen(seed + d)) for d in range(L)]
    return torch.stack(cols, dim=1)


def expected_reward_grad(logits, table):
    z = logits.clone().requires_grad_(True)
    p = torch.softmax(z, dim=1)
    (p[0][:, None] * p[1][None, :] * table).sum().backward()
    return z.grad, float(
        (torch.softmax(logits, 1)[0][:, None] * torch.softmax(logits, 1)[1] * table).sum()
    )


def score(logits, actions):
    """Per-sample grad log p(a) by autograd, one sample at a time (small N only)."""
    rows = []
    for a in actions:
        z = logits.clone().requires_grad_(True)
        torch.log_softmax(z, dim=1)[torch.arange(L), a].sum().backward()
        rows.append(z.grad)
    return torch.stack(rows)


def closed_score(logits, actions):
    one_hot = torch.nn.functional.one_hot(actions, K).double()
    return one_hot - torch.softmax(logits, 1)


# ---------------------------------------------------------------- score function


@pytest.mark.points(3)
@pytest.mark.parametrize("seed", [1, 2])
def test_log_prob_grad_matches_autograd(kata, seed):
    logits, _ = controller(seed)
    actions = torch.from_numpy(rng(seed + 50).integers(0, K, (6, L)))
    got = kata.log_prob_grad(logits.clone(), actions.clone())
    p = torch.softmax(logits, 1)
    one_hot = torch.nn.functional.one_hot(actions, K).double()
    assert_close(
        got,
        score(logits, actions),
        what="grad log p(actions[i]) per sample, (N, L, K)",
        where=describe(seed, logits=logits, actions=actions),
        misconceptions={
            MISTAKES["score-function-one-hot-only"]: one_hot,
            MISTAKES["score-function-sign"]: p - one_hot,
            MISTAKES["score-softmax-over-decisions"]: one_hot - torch.softmax(logits, 0),
        },
    )


@pytest.mark.points(1)
def test_log_prob_grad_is_finite_at_logits_of_1e4(kata):
    logits = torch.tensor([[1e4, -1e4, 1e4 - 2.0], [-1e4, -1e4, -1e4]], dtype=torch.float64)
    actions = torch.tensor([[0, 2], [1, 0], [2, 1]])
    where = "logits [[1e4, -1e4, 1e4 - 2], [-1e4] * 3], actions [[0, 2], [1, 0], [2, 1]]"
    got = kata.log_prob_grad(logits.clone(), actions.clone())
    values = as_array(got, "grad log p(actions[i])")
    if not np.isfinite(values).all():
        fail(
            f"grad log p(actions[i]): {int((~np.isfinite(values)).sum())} of {values.size} "
            f"values are NaN or infinite; the softmax must stay finite at logits of +-1e4 "
            f"(subtract each row's max first) [{where}]",
            MISTAKES["softmax-overflow"],
        )
    # the values at 1e4 are judged only where the learner's formula is right at ordinary logits
    # (the same orderings, a few units apart): a wrong formula is the value tests' concern
    ordinary = logits * 3e-4
    if agrees(kata.log_prob_grad(ordinary.clone(), actions.clone()), score(ordinary, actions)):
        assert_close(
            got, score(logits, actions), what="grad log p(actions[i])", atol=1e-9, where=where
        )


# ---------------------------------------------------------------- the estimate


def own_estimate(kata, logits, actions, advantages):
    """(1/N) sum_i advantages[i] * g[i] with the learner's own log_prob_grad for g: the estimate
    the statement defines on top of it, None where it gives nothing usable."""
    try:
        g = as_array(kata.log_prob_grad(logits.clone(), actions.clone()), "log_prob_grad")
    except Exception:  # log_prob_grad's tests say what is wrong with it
        return None
    if g.shape != (len(actions), L, K) or not np.any(g):
        return None  # nothing to be consistent with
    return (torch.from_numpy(g) * advantages.double().reshape(-1, 1, 1)).mean(0)


@pytest.mark.points(3)
@pytest.mark.parametrize("seed, baseline", [(11, 10.8), (12, 3.0)])
def test_estimate_is_the_mean_of_advantage_times_score(kata, seed, baseline):
    logits, table = controller(seed)
    actions = sample(logits, 8, seed)
    rewards = table[actions[:, 0], actions[:, 1]]
    got = kata.reinforce_gradient(logits.clone(), actions.clone(), rewards.clone(), baseline)
    g = closed_score(logits, actions)
    term = lambda r: (r.reshape(-1, 1, 1) * g).mean(0)  # noqa: E731
    own = own_estimate(kata, logits, actions, rewards - baseline)
    if own is not None and agrees(got, own):
        return  # the mean over the learner's own g: a wrong g is log_prob_grad's tests' concern
    assert_close(
        got,
        term(rewards - baseline),
        what="REINFORCE estimate (L, K)",
        where=describe(seed, logits=logits, actions=actions, rewards=rewards, baseline=baseline),
        misconceptions={
            MISTAKES["baseline-added"]: term(rewards + baseline),
            MISTAKES["baseline-ignored"]: term(rewards),
            MISTAKES["policy-gradient-descent-sign"]: -term(rewards - baseline),
            MISTAKES["estimate-summed-not-averaged"]: term(rewards - baseline) * len(actions),
        },
    )


@pytest.mark.points(2)
def test_estimate_is_unbiased_over_many_samples(kata):
    seed, n, baseline = 21, 200_000, 11.0
    logits, table = controller(seed)
    actions = sample(logits, n, seed)
    rewards = table[actions[:, 0], actions[:, 1]]
    got = kata.reinforce_gradient(logits.clone(), actions.clone(), rewards.clone(), baseline)
    got = torch.as_tensor(as_array(got, "REINFORCE estimate"))
    exact, _ = expected_reward_grad(logits, table)
    per_sample = (rewards - baseline).reshape(-1, 1, 1) * closed_score(logits, actions)
    bound = 6 * per_sample.std(dim=0) / n**0.5
    if tuple(got.shape) == (L, K) and bool(((got - exact).abs() <= bound).all()):
        return
    own = own_estimate(kata, logits, actions, rewards - baseline)
    if own is not None and agrees(got, own):
        return  # the mean over the learner's own g: a wrong g is log_prob_grad's tests' concern
    fail(
        f"the REINFORCE estimate over {n} sampled architectures is not within six standard errors "
        f"of the exact gradient of the expected reward [seed {seed}, logits (2, 3), baseline "
        f"{baseline}, rewards from a (3, 3) table in [10, 12]]\n"
        f"  exact: {exact.numpy().round(5).tolist()}\n  got:   {got.numpy().round(5).tolist()}\n"
        f"  bound: {bound.numpy().round(5).tolist()}"
    )


@pytest.mark.points(2)
def test_a_baseline_near_the_mean_reward_cuts_the_variance(kata):
    seed, batches, size = 31, 60, 32
    logits, table = controller(seed)
    _, mean_reward = expected_reward_grad(logits, table)
    actions = sample(logits, batches * size, seed).reshape(batches, size, L)
    rewards = table[actions[..., 0], actions[..., 1]]

    def spread(baseline):
        estimates = torch.stack(
            [
                torch.as_tensor(
                    as_array(
                        kata.reinforce_gradient(logits, actions[i], rewards[i], baseline),
                        "estimate",
                    )
                )
                for i in range(batches)
            ]
        )
        return float(estimates.var(dim=0).sum())

    without, with_mean = spread(0.0), spread(mean_reward)
    if with_mean < 0.1 * without:
        return
    message = (
        f"the total variance of {batches} batch estimates (batches of {size}) should drop by a "
        f"factor of more than 10 with the baseline b = E[R] = {mean_reward:.4f} (rewards in "
        f"[10, 12]); got {without:.5g} with b = 0 and {with_mean:.5g} with b = E[R] [seed {seed}]"
    )
    if with_mean > without:
        message += naming(MISTAKES["baseline-added"])
    fail(message)


# ---------------------------------------------------------------- moving-average baseline


@pytest.mark.points(1)
@pytest.mark.parametrize("baseline, decay", [(0.5, 0.95), (2.0, 0.3)])
def test_moving_average_baseline(kata, baseline, decay):
    rewards = torch.tensor([0.91, 0.87, 0.95, 0.78], dtype=torch.float64)
    got = as_number(kata.update_baseline(baseline, rewards.clone(), decay), "update_baseline")
    mean = float(rewards.mean())
    assert_close(
        got,
        decay * baseline + (1 - decay) * mean,
        what="new baseline",
        where=f"baseline={baseline}, rewards={rewards.tolist()}, decay={decay}",
        misconceptions={MISTAKES["baseline-decay-reversed"]: (1 - decay) * baseline + decay * mean},
    )


@pytest.mark.points(1)
def test_estimate_keeps_the_dtype_of_the_logits(kata):
    seed = 41
    logits, table = controller(seed)
    logits = logits.float()
    actions = sample(logits.double(), 16, seed)
    rewards = table[actions[:, 0], actions[:, 1]]  # float64 rewards, float32 logits
    got = kata.reinforce_gradient(logits.clone(), actions.clone(), rewards.clone(), 11.0)
    if not isinstance(got, torch.Tensor) or got.dtype != torch.float32:
        fail(
            "reinforce_gradient: expected float32 (the dtype of the logits) for float32 logits "
            f"and float64 rewards, got {getattr(got, 'dtype', type(got).__name__)} "
            f"[{describe(seed, logits=logits, rewards=rewards)}]"
        )
