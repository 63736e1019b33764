"""Hidden grader for nas/gumbel.

Oracles: softmax(logits) for the sampling frequencies (a fixed seed and a bound of six standard
errors per category, so a correct sampler fails with probability below 1e-7 per case and the
seed makes it never flaky), torch.softmax for the relaxed sample, and torch autograd through that
oracle for the straight-through gradient, which is taken on the learner's side by a probe.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from katakit import misconceptions
from katakit.checks import as_array, as_plain, assert_close, describe, fail, rng
from katakit.sandbox import probe

MISTAKES = misconceptions.of(__file__)
ROWS = torch.tensor(
    [[0.0, 1.0, 2.0, -1.0, 0.5], [3.0, 0.0, 0.0, 0.0, -2.0], [0.2, 0.1, 0.0, -0.1, -0.2]],
    dtype=torch.float64,
)
COPIES = 40_000


def gen(seed):
    return torch.Generator().manual_seed(seed)


def simulated(noise_of_u, seed=12345):
    """Frequencies a wrong noise produces, by the grader's own large simulation."""
    u = torch.rand(ROWS.shape[0], 200_000, ROWS.shape[1], generator=gen(seed), dtype=torch.float64)
    index = torch.argmax(ROWS[:, None, :] + noise_of_u(u), dim=-1)
    return torch.stack([torch.bincount(r, minlength=ROWS.shape[1]) for r in index]).double() / 2e5


def frequencies(kata, seed):
    logits = ROWS.repeat_interleave(COPIES, dim=0)
    got = kata.gumbel_max_sample(logits.clone(), gen(seed))
    got = torch.as_tensor(as_array(got, "gumbel_max_sample result", dtype=float)).long()
    if tuple(got.shape) != (logits.shape[0],):
        fail(f"gumbel_max_sample: expected shape {(logits.shape[0],)}, got {tuple(got.shape)}")
    if bool(((got < 0) | (got >= ROWS.shape[1])).any()):
        fail(f"gumbel_max_sample: indices must lie in [0, {ROWS.shape[1]}), got {got.unique()}")
    got = got.reshape(ROWS.shape[0], COPIES)
    return torch.stack([torch.bincount(r, minlength=ROWS.shape[1]) for r in got]).double() / COPIES


@pytest.mark.points(3)
def test_sample_frequencies_follow_softmax_of_the_logits(kata):
    seed = 1
    freq = frequencies(kata, seed)
    p = torch.softmax(ROWS, dim=1)
    bound = 6 * (p * (1 - p) / COPIES).sqrt()
    if bool(((freq - p).abs() <= bound).all()):
        return
    lines = [
        f"sample frequencies do not follow softmax(logits) within six standard errors "
        f"(sqrt(p (1 - p) / {COPIES})) per category [seed {seed}, each logits row repeated "
        f"{COPIES} times, logits rows {ROWS.tolist()}]"
    ]
    for i in range(ROWS.shape[0]):
        lines.append(f"  row {i}: expected {[round(v, 4) for v in p[i].tolist()]}")
        lines.append(f"         got      {[round(v, 4) for v in freq[i].tolist()]}")
        lines.append(f"         bound    {[round(v, 4) for v in bound[i].tolist()]}")
    wrong = {
        "gumbel-noise-sign": lambda u: torch.log(-torch.log(u)),
        "gumbel-noise-single-log": lambda u: -torch.log(u),
        "gumbel-no-noise": lambda u: torch.zeros_like(u),
    }
    matched = next(
        (
            MISTAKES[name]
            for name, noise in wrong.items()
            if bool(((freq - simulated(noise)).abs() <= bound + 0.003).all())
        ),
        None,
    )
    fail("\n".join(lines), matched)


@pytest.mark.points(1)
def test_sample_is_int64_with_the_batch_shape(kata):
    seed = 2
    logits = torch.from_numpy(rng(seed).normal(0, 1, (2, 3, 4)))
    got = kata.gumbel_max_sample(logits.clone(), gen(seed))
    if not isinstance(got, torch.Tensor) or got.dtype != torch.long:
        fail(
            f"gumbel_max_sample: expected an int64 tensor, got "
            f"{getattr(got, 'dtype', type(got).__name__)} [{describe(seed, logits=logits)}]"
        )
    if tuple(got.shape) != (2, 3):
        fail(
            f"gumbel_max_sample: expected shape (2, 3) (logits.shape[:-1]), got "
            f"{tuple(got.shape)} [{describe(seed, logits=logits)}]"
        )


@pytest.mark.points(1)
def test_same_generator_seed_gives_the_same_samples(kata):
    logits = torch.zeros(500, 6, dtype=torch.float64)
    torch.manual_seed(0)
    a = kata.gumbel_max_sample(logits.clone(), gen(7))
    b = kata.gumbel_max_sample(logits.clone(), gen(7))
    c = kata.gumbel_max_sample(logits.clone(), gen(8))
    if as_plain(b, "samples") != as_plain(a, "samples"):
        # nothing else in the call is random: the draws came from somewhere else
        mistake = MISTAKES["global-random-state"]
        fail(
            "gumbel_max_sample: two calls with generators seeded 7 gave different samples "
            "(uniform logits (500, 6))",
            mistake,
        )
    if torch.equal(torch.as_tensor(as_array(a, "samples")), torch.as_tensor(as_array(c, "s"))):
        fail(
            "gumbel_max_sample: generators seeded 7 and 8 gave the same 500 samples; draw the "
            "uniforms with torch.rand(..., generator=generator)"
        )


@pytest.mark.points(1)
def test_minus_inf_is_never_chosen_and_huge_logits_work(kata):
    seed, n = 3, 20_000
    row = torch.tensor([1e4, -1e4, 1e4 - 3.0, -float("inf")], dtype=torch.float64)
    got = kata.gumbel_max_sample(row.repeat(n, 1), gen(seed))
    got = torch.as_tensor(as_array(got, "gumbel_max_sample result", dtype=float)).long()
    where = f"seed {seed}, logits row [1e4, -1e4, 1e4 - 3, -inf] repeated {n} times"
    if bool((got == 3).any()) or bool((got == 1).any()):
        fail(
            f"gumbel_max_sample chose index 3 (logit -inf) or 1 (logit -1e4) "
            f"{int((got == 3).sum())} and {int((got == 1).sum())} times [{where}]"
        )
    p0 = 1 / (1 + torch.exp(torch.tensor(-3.0))).item()
    share = float((got == 0).double().mean())
    bound = 6 * (p0 * (1 - p0) / n) ** 0.5
    # the Gumbel-max sample is the same for logits shifted by a constant: samples equal to the
    # learner's own for the row shifted to [0, -2e4, -3, -inf] mean huge logits work, and a
    # wrong share is then the frequency test's concern, not this one's
    shifted = row - 1e4
    same = kata.gumbel_max_sample(shifted.repeat(n, 1), gen(seed))
    same = torch.as_tensor(as_array(same, "gumbel_max_sample result", dtype=float)).long()
    if abs(share - p0) > bound and not torch.equal(same, got):
        fail(
            f"share of index 0: expected softmax = {p0:.4f} within {bound:.4f} (six standard "
            f"errors), got {share:.4f} [{where}]"
        )


# ---------------------------------------------------------------- Gumbel-softmax


def relaxed(seed, shape, dtype=torch.float64, scale=1.0):
    gen_ = rng(seed)
    logits = torch.from_numpy(gen_.normal(0, scale, shape)).to(dtype)
    u = torch.from_numpy(gen_.uniform(1e-6, 1, shape))
    return logits, (-torch.log(-torch.log(u))).to(dtype)


@pytest.mark.points(1)
@pytest.mark.parametrize("tau", [0.3, 1.0, 4.0])
def test_gumbel_softmax_matches_the_formula(kata, tau):
    seed = 11
    logits, noise = relaxed(seed, (6, 5), scale=2.0)
    got = kata.gumbel_softmax(logits.clone(), noise.clone(), tau)
    assert_close(
        got,
        torch.softmax((logits + noise) / tau, dim=-1),
        what="gumbel_softmax",
        where=describe(seed, logits=logits, noise=noise, tau=tau),
        misconceptions={
            MISTAKES["gumbel-tau-multiplies"]: torch.softmax((logits + noise) * tau, dim=-1),
            MISTAKES["gumbel-softmax-ignores-noise"]: torch.softmax(logits / tau, dim=-1),
            MISTAKES["softmax-first-axis"]: torch.softmax((logits + noise) / tau, dim=0),
        },
    )


@pytest.mark.points(1)
def test_gumbel_softmax_keeps_float32(kata):
    seed = 12
    logits, noise = relaxed(seed, (3, 4), dtype=torch.float32)
    got = kata.gumbel_softmax(logits.clone(), noise.clone(), 0.5)
    if not isinstance(got, torch.Tensor) or got.dtype != torch.float32:
        fail(
            f"gumbel_softmax: expected float32 for float32 logits, got "
            f"{getattr(got, 'dtype', type(got).__name__)} [{describe(seed, logits=logits)}]"
        )


def right_at(got, expected):
    """Whether two gradients agree (shapes and values)."""
    got, expected = as_array(got, "gradient"), as_array(expected, "expected")
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=1e-6, atol=1e-8))


def naive_softmax(z):
    """The softmax without the max shift, to name that mistake: NaN where exp overflows."""
    e = torch.exp(z)
    return e / e.sum(dim=-1, keepdim=True)


@pytest.mark.points(1)
def test_gumbel_softmax_is_finite_at_a_tiny_temperature(kata):
    seed, tau = 13, 1e-3
    logits, noise = relaxed(seed, (4, 6), scale=10.0)
    got = kata.gumbel_softmax(logits.clone(), noise.clone(), tau)
    where = describe(seed, logits=logits, tau=tau) + " ((logits + noise) / tau ~ 1e4)"
    values = as_array(got, "gumbel_softmax")
    if not np.isfinite(values).all():
        fail(
            f"gumbel_softmax: {int((~np.isfinite(values)).sum())} of {values.size} values are "
            f"NaN or infinite; subtract the row max before exp [{where}]",
            MISTAKES["softmax-overflow"],
        )
    # the values at this tau are judged only where the learner's formula is right at an
    # ordinary temperature (a wrong formula is test_gumbel_softmax_matches_the_formula's)
    ordinary = torch.softmax((logits + noise) / 2.0, dim=-1)  # scores of a few units to ~20
    at_ordinary = as_array(kata.gumbel_softmax(logits.clone(), noise.clone(), 2.0), "result")
    if at_ordinary.shape == tuple(ordinary.shape) and np.allclose(at_ordinary, ordinary.numpy()):
        assert_close(
            got,
            torch.softmax((logits + noise) / tau, dim=-1),
            what="gumbel_softmax",
            where=where,
            misconceptions={MISTAKES["softmax-overflow"]: naive_softmax((logits + noise) / tau)},
        )


# ---------------------------------------------------------------- straight-through


@probe
def st_forward_backward(fn, logits, noise, tau, upstream):
    """On the learner side: y, and the gradient of sum(y * upstream) with respect to logits."""
    x = logits.clone().requires_grad_(True)
    y = fn(x, noise.clone(), tau)
    connected = bool(getattr(y, "requires_grad", False))
    if connected:
        (y * upstream).sum().backward()
    grad = None if x.grad is None else x.grad.detach().clone()
    return {"y": y.detach().clone(), "connected": connected, "grad": grad}


@probe
def soft_gradient(fn, logits, noise, tau, upstream):
    """On the learner side: the gradient of sum(gumbel_softmax(logits, noise, tau) * upstream)
    through the learner's own gumbel_softmax; None where it has none."""
    x = logits.clone().requires_grad_(True)
    try:
        (fn(x, noise.clone(), tau) * upstream).sum().backward()
    except Exception:
        return None
    return None if x.grad is None else x.grad.detach().clone()


def st_case(kata, seed, shape, tau):
    logits, noise = relaxed(seed, shape, scale=1.5)
    upstream = torch.from_numpy(rng(seed + 1000).normal(0, 1, shape))
    got = st_forward_backward(kata.straight_through, logits, noise, tau, upstream)
    return logits, noise, upstream, got


@pytest.mark.points(2)
@pytest.mark.parametrize("seed, shape", [(21, (7, 5)), (22, (2, 3, 4))])
def test_straight_through_forward_is_one_hot(kata, seed, shape):
    tau = 0.7
    logits, noise, _, got = st_case(kata, seed, shape, tau)
    index = torch.argmax(logits + noise, dim=-1, keepdim=True)
    hard = torch.zeros(shape, dtype=torch.float64).scatter_(-1, index, 1.0)
    assert_close(
        got["y"],
        hard,
        what="straight_through forward value",
        where=describe(seed, logits=logits, noise=noise, tau=tau),
        atol=1e-6,
        misconceptions={
            MISTAKES["straight-through-soft-forward"]: torch.softmax((logits + noise) / tau, -1)
        },
    )


@pytest.mark.points(2)
@pytest.mark.parametrize("seed, shape", [(23, (6, 5)), (24, (2, 2, 3))])
def test_straight_through_backward_is_the_soft_gradient(kata, seed, shape):
    tau = 1.0  # at tau = 1 a temperature mistake in gumbel_softmax is not charged again here
    logits, noise, upstream, got = st_case(kata, seed, shape, tau)
    where = describe(seed, logits=logits, noise=noise, tau=tau) + ", loss = sum(y * w)"
    if not got["connected"] or got["grad"] is None:
        fail(
            f"straight_through: the result is not connected to logits by autograd, so no "
            f"gradient reaches them [{where}]",
            MISTAKES["straight-through-no-gradient"],
        )
    x = logits.clone().requires_grad_(True)
    (torch.softmax((x + noise) / tau, dim=-1) * upstream).sum().backward()
    # the backward pass is that of gumbel_softmax: the learner's own one passes too (a wrong
    # gumbel_softmax is test_gumbel_softmax_matches_the_formula's concern)
    own = soft_gradient(kata.gumbel_softmax, logits, noise, tau, upstream)
    if own is not None and right_at(got["grad"], own) and not right_at(own, torch.zeros(shape)):
        return
    assert_close(
        got["grad"],
        x.grad,
        what="d sum(y * w) / d logits",
        where=where,
        misconceptions={
            MISTAKES["straight-through-no-gradient"]: torch.zeros(shape),
        },
    )
