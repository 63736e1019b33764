"""Hidden grader for reg/l1_l2.

Oracles: closed forms for the penalties, gradients, the decay step and soft thresholding;
torch autograd for the gradient of the regularised loss; for the lasso, a cyclic
coordinate-descent solver written here (a different algorithm from ISTA) run to convergence.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from katakit import misconceptions
from katakit.checks import as_array, as_number, assert_close, describe, fail, naming, rng

MISTAKES = misconceptions.of(__file__)


def weights(seed, shape=(4, 5)):
    """Weights with exact zeros and both signs, the cases where L1 conventions show."""
    w = rng(seed).normal(0, 1, shape)
    w.flat[::3] = 0.0
    return w


# ---------------------------------------------------------------- penalties and gradients


@pytest.mark.points(1)
def test_l1_penalty_is_lam_times_sum_of_absolute_values(kata):
    seed, lam = 1, 0.3
    w = weights(seed)
    got = as_number(kata.l1_penalty(w, lam), "l1_penalty")
    assert_close(
        got,
        lam * np.abs(w).sum(),
        what="l1_penalty",
        where=describe(seed, w=w, lam=lam),
        misconceptions={MISTAKES["l1-no-abs"]: lam * w.sum()},
    )


@pytest.mark.points(1)
def test_l2_penalty_has_the_one_half(kata):
    seed, lam = 2, 0.7
    w = weights(seed)
    got = as_number(kata.l2_penalty(w, lam), "l2_penalty")
    assert_close(
        got,
        0.5 * lam * (w**2).sum(),
        what="l2_penalty",
        where=describe(seed, w=w, lam=lam),
        misconceptions={MISTAKES["l2-penalty-without-half"]: lam * (w**2).sum()},
    )


@pytest.mark.points(1)
def test_l1_subgradient_uses_sign_zero_equal_zero(kata):
    seed, lam = 3, 0.25
    w = weights(seed, (3, 7))
    got = kata.l1_subgradient(w, lam)
    assert_close(
        got,
        lam * np.sign(w),
        what="l1_subgradient",
        where=describe(seed, w=w, lam=lam) + f"; {int((w == 0).sum())} entries of w are exactly 0",
        misconceptions={MISTAKES["sign-zero-as-one"]: np.where(w >= 0, lam, -lam)},
    )


@pytest.mark.points(1)
def test_l2_gradient_matches_autograd_of_the_penalty(kata):
    seed, lam = 4, 0.6
    w = weights(seed, (6,))
    wt = torch.tensor(w, requires_grad=True)
    (0.5 * lam * (wt**2).sum()).backward()
    assert_close(
        kata.l2_gradient(w, lam),
        wt.grad.numpy(),
        what="l2_gradient",
        where=describe(seed, w=w, lam=lam),
        misconceptions={MISTAKES["l2-gradient-doubled"]: 2 * lam * w},
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, lr, lam", [(5, 0.1, 0.5), (6, 0.03, 2.0)])
def test_decay_step_is_gradient_descent_on_the_l2_regularised_loss(kata, seed, lr, lam):
    gen = rng(seed)
    w, grad = gen.normal(0, 1, (3, 4)), gen.normal(0, 1, (3, 4))
    # oracle: autograd of loss + (lam/2)||w||^2 with d loss / dw = grad (a linear loss)
    wt = torch.tensor(w, requires_grad=True)
    ((wt * torch.tensor(grad)).sum() + 0.5 * lam * (wt**2).sum()).backward()
    expected = w - lr * wt.grad.numpy()
    got = kata.decay_step(w, grad, lr, lam)
    assert_close(
        got,
        expected,
        what="decay_step",
        where=describe(seed, w=w, grad=grad, lr=lr, lam=lam),
        misconceptions={
            MISTAKES["decay-without-lr"]: (1 - lam) * w - lr * grad,
            MISTAKES["decay-applied-after-step"]: (1 - lr * lam) * (w - lr * grad),
        },
    )
    # the multiplicative form: with no loss gradient, k steps shrink w by (1 - lr*lam)^k
    current = w
    for _ in range(3):
        current = as_array(kata.decay_step(current, np.zeros_like(w), lr, lam), "decay_step")
    assert_close(
        current,
        (1 - lr * lam) ** 3 * w,
        what="three decay steps with grad = 0",
        where=describe(seed, w=w, lr=lr, lam=lam) + "; expected (1 - lr*lam)**3 * w",
        misconceptions={MISTAKES["decay-without-lr"]: (1 - lam) ** 3 * w},
    )


# ---------------------------------------------------------------- soft thresholding


@pytest.mark.points(1)
def test_soft_threshold_moves_entries_towards_zero_by_t(kata):
    seed, t = 7, 0.4
    w = rng(seed).normal(0, 1, (5, 6))
    expected = np.sign(w) * np.maximum(np.abs(w) - t, 0.0)
    assert_close(
        kata.soft_threshold(w, t),
        expected,
        what="soft_threshold",
        where=describe(seed, w=w, t=t),
        misconceptions={MISTAKES["soft-threshold-no-clamp"]: w - t * np.sign(w)},
    )


@pytest.mark.points(1)
def test_soft_threshold_gives_exact_zeros_up_to_and_at_the_threshold(kata):
    t = 0.5
    w = np.array([0.5, -0.5, 0.25, -1e-12, 0.0, 0.5000001, -3.0])
    got = as_array(kata.soft_threshold(w, t), "soft_threshold")
    inside = np.abs(w) <= t
    if got.shape != w.shape:
        fail(f"soft_threshold: expected shape {w.shape}, got {got.shape}")
    if np.any(got[inside] != 0.0):
        fail(
            f"soft_threshold with t = {t}: entries with |w| <= t must be exactly 0.0 (|w| == t "
            f"included)\n  w:   {w.tolist()}\n  got: {got.tolist()}"
            + (
                naming(MISTAKES["soft-threshold-no-clamp"])
                if np.allclose(got, w - t * np.sign(w))
                else ""
            )
        )
    # the other side of the boundary: just above t is not zero (the values themselves are
    # test_soft_threshold_moves_entries_towards_zero_by_t's)
    if np.any(got[~inside] == 0.0):
        fail(
            f"soft_threshold with t = {t}: only entries with |w| <= t become 0; entries with "
            f"|w| > t (even 0.5000001) move towards 0 by t and stay non-zero\n"
            f"  w:   {w.tolist()}\n  got: {got.tolist()}"
        )


# ---------------------------------------------------------------- the lasso by ISTA


def lasso_problem(seed, n=60, d=10):
    gen = rng(seed)
    X = gen.normal(0, 1, (n, d))
    true_w = np.zeros(d)
    true_w[[1, 4, 7]] = [2.0, -1.5, 0.8]
    y = X @ true_w + 0.3 * gen.normal(0, 1, n)
    lr = n / np.linalg.norm(X, 2) ** 2
    return X, y, lr


def coordinate_descent(X, y, lam, sweeps=20000, tol=1e-15):
    """Cyclic coordinate descent for ||Xw - y||^2 / (2n) + lam ||w||_1 (an independent solver)."""
    n, d = X.shape
    w = np.zeros(d)
    col_sq = (X**2).sum(axis=0) / n
    residual = y.copy()
    for _ in range(sweeps):
        largest = 0.0
        for j in range(d):
            rho = X[:, j] @ residual / n + col_sq[j] * w[j]
            new = np.sign(rho) * max(abs(rho) - lam, 0.0) / col_sq[j]
            if new != w[j]:
                residual -= X[:, j] * (new - w[j])
                largest = max(largest, abs(new - w[j]))
                w[j] = new
        if largest < tol:
            break
    return w


LAMS = [0.02, 0.15, 0.4, 1.2]


@pytest.mark.points(1)
def test_lasso_ista_first_steps_follow_the_stated_iteration(kata):
    seed, lam = 11, 0.15
    X, y, lr = lasso_problem(seed)
    n = X.shape[0]
    z = lr * X.T @ y / n  # from w = 0
    one = np.sign(z) * np.maximum(np.abs(z) - lr * lam, 0.0)
    where = describe(seed, X=X, y=y, lam=lam, lr=float(round(lr, 6))) + ", steps=1"
    assert_close(
        kata.lasso_ista(X, y, lam, lr, 1),
        one,
        what="lasso_ista after one step",
        where=where,
        misconceptions={
            MISTAKES["threshold-lam-not-lr-lam"]: np.sign(z) * np.maximum(np.abs(z) - lam, 0.0),
            MISTAKES["subgradient-step-not-proximal"]: z,
        },
    )


def check_lasso(kata, seed, lam, steps=3000):
    X, y, lr = lasso_problem(seed)
    reference = coordinate_descent(X, y, lam)
    got = as_array(kata.lasso_ista(X, y, lam, lr, steps), "lasso_ista")
    where = describe(seed, X=X, y=y, lam=lam, lr=float(round(lr, 6)), steps=steps)
    return X, y, lr, reference, got, where


@pytest.mark.points(2)
def test_lasso_ista_converges_to_the_coordinate_descent_solution(kata):
    seed = 12
    for lam in LAMS:
        *_, reference, got, where = check_lasso(kata, seed, lam)
        assert_close(got, reference, what="lasso_ista solution", where=where, rtol=0, atol=1e-7)


@pytest.mark.points(2)
def test_lasso_ista_path_has_exact_zeros_where_the_lasso_solution_is_zero(kata):
    seed = 13
    previous = -1
    for lam in LAMS:
        X, y, lr, reference, got, where = check_lasso(kata, seed, lam)
        if got.shape != reference.shape:
            fail(f"lasso_ista: expected shape {reference.shape}, got {got.shape} [{where}]")
        zeros = reference == 0.0
        # the reference's zeros hold with a margin (strict KKT inequality), so ISTA's are exact
        slack = lam - np.abs(X.T @ (y - X @ reference) / X.shape[0])
        assert np.all(slack[zeros] > 1e-3), "grader data: the lasso zeros have no margin"
        if np.any(got[zeros] != 0.0):
            tiny = got[zeros]
            message = (
                f"lasso_ista: the coefficients {np.flatnonzero(zeros).tolist()} are 0 in the lasso "
                f"solution and must come back exactly 0.0 (the proximal step sets them to 0); "
                f"got {tiny.tolist()} [{where}]"
            )
            if np.all(np.abs(tiny) < 10 * lr * lam):
                mistake = MISTAKES["subgradient-step-not-proximal"]
                message += naming(mistake)
            fail(message)
        if np.any(got[~zeros] == 0.0):
            fail(
                f"lasso_ista: coefficients {np.flatnonzero(~zeros & (got == 0)).tolist()} are 0 "
                f"but the lasso solution has them non-zero: {reference.tolist()} [{where}]"
            )
        count = int((got != 0).sum())
        if previous >= 0 and count > previous:
            fail(f"lasso path: a larger lam gave more non-zeros ({count} > {previous}) [{where}]")
        previous = count
    if previous >= 10:
        fail("lasso path: even the largest lam left every coefficient non-zero")
