"""Hidden grader for loss/objective.

Oracles: torch.nn.functional.mse_loss (reduction 'none', 'mean', 'sum') and torch's norms run
here; the gradients by torch.autograd on the objective written with them.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from katakit import misconceptions
from katakit.checks import as_array, as_number, assert_close, describe, fail, rng

MISTAKES = misconceptions.of(__file__)


def problem(seed, n, d, zero_weights=0):
    gen = rng(seed)
    X = gen.normal(0, 1, (n, d))
    w = gen.normal(0, 1.5, d)
    w[:zero_weights] = 0.0
    b = float(gen.normal(0, 1))
    y = X @ gen.normal(0, 1, d) + gen.normal(0, 0.5, n)
    return w, b, X, y


def torch_objective(w, b, X, y, lam, kind, reduction):
    """The objective of torch tensors (w and b may require grad)."""
    cost = F.mse_loss(torch.as_tensor(X) @ w + b, torch.as_tensor(y), reduction=reduction)
    penalty = lam * (w.pow(2).sum() if kind == "l2" else w.abs().sum())
    return cost, penalty


def oracle(w, b, X, y, lam, kind, reduction):
    wt = torch.tensor(w, requires_grad=True)
    bt = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    cost, penalty = torch_objective(wt, bt, X, y, lam, kind, reduction)
    gw, gb = torch.autograd.grad(cost + penalty, (wt, bt))
    cost, penalty = float(cost.detach()), float(penalty.detach())
    return cost + penalty, gw.numpy(), float(gb), cost, penalty


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, n, d", [(11, 6, 3), (12, 1, 4)])
def test_per_sample_loss_matches_torch(kata, seed, n, d):
    w, b, X, y = problem(seed, n, d)
    expected = F.mse_loss(torch.tensor(X @ w + b), torch.tensor(y), reduction="none").numpy()
    assert_close(
        kata.per_sample_loss(w.copy(), b, X.copy(), y.copy()),
        expected,
        what="per_sample_loss",
        where=describe(seed, X=X, w=w, b=b),
        rtol=1e-10,
        misconceptions={MISTAKES["mse-half-convention"]: expected / 2},
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_cost_matches_torch(kata, reduction):
    seed = 21
    w, b, X, y = problem(seed, 9, 3)
    expected = F.mse_loss(torch.tensor(X @ w + b), torch.tensor(y), reduction=reduction).item()
    other = F.mse_loss(
        torch.tensor(X @ w + b), torch.tensor(y), reduction="sum" if reduction == "mean" else "mean"
    ).item()
    assert_close(
        as_number(kata.cost(w.copy(), b, X.copy(), y.copy(), reduction), "cost"),
        expected,
        what=f"cost(reduction={reduction!r})",
        where=describe(seed, X=X, w=w, b=b),
        rtol=1e-10,
        misconceptions={MISTAKES["cost-ignores-reduction"]: other},
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("kind", ["l2", "l1"])
def test_regulariser(kind, kata):
    seed = 31
    w = rng(seed).normal(0, 2, 5)
    lam = 0.3
    wt = torch.tensor(w)
    expected = lam * (wt.pow(2).sum() if kind == "l2" else wt.abs().sum()).item()
    assert_close(
        as_number(kata.regulariser(w.copy(), lam, kind), "regulariser"),
        expected,
        what=f"regulariser(kind={kind!r})",
        where=describe(seed, w=w, lam=lam),
        rtol=1e-12,
        misconceptions={MISTAKES["l2-norm-not-squared"]: lam * np.linalg.norm(w)}
        if kind == "l2"
        else {},
    )


@pytest.mark.points(2)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_objective_is_cost_plus_regulariser(kata, reduction):
    seed = 41
    for kind, lam in (("l2", 0.2), ("l1", 0.7)):
        w, b, X, y = problem(seed, 8, 4)
        expected, _, _, cost, penalty = oracle(w, b, X, y, lam, kind, reduction)
        bias = lam * (b * b if kind == "l2" else abs(b))
        assert_close(
            as_number(
                kata.objective(w.copy(), b, X.copy(), y.copy(), lam, kind, reduction), "objective"
            ),
            expected,
            what=f"objective(kind={kind!r}, reduction={reduction!r})",
            where=describe(seed, X=X, w=w, b=b, lam=lam),
            rtol=1e-10,
            misconceptions={
                MISTAKES["regulariser-averaged-over-batch"]: cost + penalty / len(y),
                MISTAKES["bias-regularised"]: expected + bias,
                MISTAKES["l2-norm-not-squared"]: cost + lam * np.linalg.norm(w),
            },
        )


@pytest.mark.points(2)
def test_regulariser_is_not_averaged_over_the_batch(kata):
    # The same weights on batches of 2, 7 and 40 samples. objective(lam) - objective(0) leaves the
    # regulariser alone (the cost cancels, right or wrong), and it must be the same number for
    # every batch; its value is the other tests' business.
    seed, lam = 51, 0.5
    w, b, X, y = problem(seed, 40, 3)
    expected_penalty = lam * float(np.sum(w * w))
    batches = (2, 7, 40)
    penalties = []
    for n in batches:
        batch = (w.copy(), b, X[:n].copy(), y[:n].copy())
        with_lam = as_number(kata.objective(*batch, lam), "objective")
        batch = (w.copy(), b, X[:n].copy(), y[:n].copy())
        without = as_number(kata.objective(*batch, 0.0), "objective")
        penalties.append(with_lam - without)
    penalties = np.array(penalties)
    assert_close(
        penalties,
        np.full(len(batches), penalties[-1]),
        what=f"objective(lam={lam}) - objective(lam=0) for batches of {batches}: the regulariser "
        "must be the same number for every batch",
        where=describe(seed, X=X, w=w, lam=lam) + f"; lam * sum(w**2) = {expected_penalty:.6g}",
        rtol=1e-9,
        misconceptions={
            MISTAKES["regulariser-averaged-over-batch"]: expected_penalty / np.array(batches)
        },
    )


def learner_grad(kata, w, b, X, y, lam, kind, reduction):
    result = kata.objective_grad(w.copy(), b, X.copy(), y.copy(), lam, kind, reduction)
    if not isinstance(result, tuple | list) or len(result) != 2:
        fail(f"objective_grad: expected a pair (grad_w, grad_b), got {type(result).__name__}")
    return as_array(result[0], "grad_w"), as_number(result[1], "grad_b")


@pytest.mark.points(2)
@pytest.mark.parametrize("kind, reduction", [("l2", "mean"), ("l2", "sum"), ("l1", "mean")])
def test_objective_grad_matches_autograd(kata, kind, reduction):
    seed, lam = 61, 0.4
    w, b, X, y = problem(seed, 10, 4)
    _, expected_w, expected_b, _, _ = oracle(w, b, X, y, lam, kind, reduction)
    grad_w, grad_b = learner_grad(kata, w, b, X, y, lam, kind, reduction)
    where = describe(seed, X=X, w=w, b=b, lam=lam) + f", kind={kind!r}, reduction={reduction!r}"
    reg = 2 * lam * w if kind == "l2" else lam * np.sign(w)
    wrong = {MISTAKES["regulariser-averaged-over-batch"]: expected_w - reg + reg / len(y)}
    if kind == "l2":
        wrong[MISTAKES["l2-gradient-half-convention"]] = expected_w - lam * w
    assert_close(grad_w, expected_w, what="grad_w", where=where, rtol=1e-9, misconceptions=wrong)
    bias = 2 * lam * b if kind == "l2" else lam * np.sign(b)
    assert_close(
        grad_b,
        expected_b,
        what="grad_b",
        where=where,
        rtol=1e-9,
        misconceptions={MISTAKES["bias-regularised"]: expected_b + bias},
    )


@pytest.mark.points(1)
def test_l1_subgradient_at_zero_weights_is_zero(kata):
    # grad_w(2 lam) - grad_w(lam) is the regulariser's part alone (the cost's gradient cancels,
    # right or wrong): at w = 0 it must be lam * sign(0) = 0.
    seed, lam = 71, 0.8
    w, b, X, y = problem(seed, 7, 5, zero_weights=2)
    _, torch_twice, _, _, _ = oracle(w, b, X, y, 2 * lam, "l1", "mean")  # torch: sign(0) = 0
    _, torch_once, _, _, _ = oracle(w, b, X, y, lam, "l1", "mean")
    twice, _ = learner_grad(kata, w, b, X, y, 2 * lam, "l1", "mean")
    once, _ = learner_grad(kata, w, b, X, y, lam, "l1", "mean")
    if twice.shape != w.shape or once.shape != w.shape:
        fail(f"grad_w: expected shape {w.shape}, got {once.shape} [{describe(seed, X=X, w=w)}]")
    zero = w == 0
    expected = (torch_twice - torch_once)[zero]
    assert_close(
        (twice - once)[zero],
        expected,
        what="the regulariser's part of grad_w at w[0] = w[1] = 0 (kind='l1'; grad_w with "
        f"lam={2 * lam:g} minus grad_w with lam={lam:g})",
        where=describe(seed, X=X, w=w, lam=lam),
        rtol=1e-9,
        atol=1e-12,
        misconceptions={MISTAKES["sign-at-zero-not-zero"]: expected + lam},
    )


@pytest.mark.points(1)
def test_unknown_reduction_or_kind_raises_value_error(kata):
    w, b, X, y = problem(81, 4, 2)
    cases = [
        ("cost", (w, b, X, y, "average"), "reduction='average'"),
        ("regulariser", (w, 0.1, "l3"), "kind='l3'"),
        ("objective", (w, b, X, y, 0.1, "elastic", "mean"), "kind='elastic'"),
        ("objective_grad", (w, b, X, y, 0.1, "l2", "none"), "reduction='none'"),
    ]
    for name, args, label in cases:
        try:
            result = getattr(kata, name)(*args)
        except ValueError:
            continue
        except Exception as exc:
            fail(f"{name} with {label}: expected a ValueError, got {type(exc).__name__}: {exc}")
        fail(f"{name} with {label}: expected a ValueError, but it returned {result!r}")
