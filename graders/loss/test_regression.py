"""Hidden grader for loss/regression.

Oracles: torch.nn.functional.l1_loss / mse_loss / smooth_l1_loss / huber_loss, run here for every
reduction, and torch.autograd on them for the gradients.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from katakit import misconceptions
from katakit.checks import as_array, as_number, assert_close, describe, fail, rng
from katakit.sandbox import probe

MISTAKES = misconceptions.of(__file__)
REDUCTIONS = ["none", "mean", "sum"]
TORCH = {
    "l1_loss": lambda p, t, r, _: F.l1_loss(p, t, reduction=r),
    "mse_loss": lambda p, t, r, _: F.mse_loss(p, t, reduction=r),
    "smooth_l1_loss": lambda p, t, r, beta: F.smooth_l1_loss(p, t, reduction=r, beta=beta),
    "huber_loss": lambda p, t, r, delta: F.huber_loss(p, t, reduction=r, delta=delta),
}
KEYWORD = {"smooth_l1_loss": "beta", "huber_loss": "delta"}


def oracle(name, pred, target, reduction, param=None):
    """torch's loss and its gradient with respect to pred (of loss.sum() for 'none')."""
    p = torch.tensor(pred, requires_grad=True)
    loss = TORCH[name](p, torch.tensor(target), reduction, param)
    (grad,) = torch.autograd.grad(loss.sum(), p)
    return loss.detach().numpy(), grad.numpy()


def residuals(seed, shape, scale):
    """Residuals on both sides of the switch point, a few exactly at +-scale, none exactly 0."""
    gen = rng(seed)
    d = gen.uniform(0.05, 3.0, shape) * scale * gen.choice([-1.0, 1.0], shape)
    flat = d.reshape(-1)
    flat[:2] = [scale, -scale]
    target = gen.normal(0, 2, shape)
    return target + d, target


def reduce(elementwise, reduction):
    return {"none": elementwise, "sum": elementwise.sum(), "mean": elementwise.mean()}[reduction]


def call(kata, name, pred, target, reduction, param=None):
    """The learner's (loss, grad), converted; the loss as a number unless reduction is 'none'."""
    args = (pred.copy(), target.copy(), reduction)
    result = getattr(kata, name)(*args) if param is None else getattr(kata, name)(*args, param)
    if not isinstance(result, tuple | list) or len(result) != 2:
        fail(f"{name}: expected a pair (loss, grad), got {type(result).__name__}")
    loss, grad = result
    if reduction == "none":
        return as_array(loss, f"{name} loss"), as_array(grad, f"{name} grad")
    return as_number(loss, f"{name} loss (reduction={reduction!r})"), as_array(grad, f"{name} grad")


def smooth_l1(d, beta):
    ad = np.abs(d)
    return np.where(ad < beta, 0.5 * d * d / beta, ad - 0.5 * beta)


def swapped_smooth_l1(d, beta):
    ad = np.abs(d)
    return np.where(ad < beta, ad - 0.5 * beta, 0.5 * d * d / beta)


# -- values, every reduction -------------------------------------------------------------------


@pytest.mark.points(1)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_l1_loss_matches_torch(kata, reduction):
    seed = 11
    pred, target = residuals(seed, (4, 5), 1.0)
    loss, _ = call(kata, "l1_loss", pred, target, reduction)
    expected, _ = oracle("l1_loss", pred, target, reduction)
    d = np.abs(pred - target)
    assert_close(
        loss,
        expected,
        what=f"l1_loss (reduction={reduction!r})",
        where=describe(seed, pred=pred),
        misconceptions={MISTAKES["mean-divided-by-batch-only"]: d.sum() / d.shape[0]}
        if reduction == "mean"
        else {},
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_loss_matches_torch(kata, reduction):
    seed = 21
    pred, target = residuals(seed, (3, 2, 4), 1.0)
    loss, _ = call(kata, "mse_loss", pred, target, reduction)
    expected, _ = oracle("mse_loss", pred, target, reduction)
    d = pred - target
    assert_close(
        loss,
        expected,
        what=f"mse_loss (reduction={reduction!r})",
        where=describe(seed, pred=pred),
        misconceptions={MISTAKES["mse-half-convention"]: reduce(0.5 * d * d, reduction)},
    )


@pytest.mark.points(2)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_smooth_l1_loss_matches_torch(kata, reduction):
    seed = 31
    for beta in (1.0, 0.4, 2.5):
        pred, target = residuals(seed, (5, 3), beta)
        loss, _ = call(kata, "smooth_l1_loss", pred, target, reduction, beta)
        expected, _ = oracle("smooth_l1_loss", pred, target, reduction, beta)
        d = pred - target
        assert_close(
            loss,
            expected,
            what=f"smooth_l1_loss (reduction={reduction!r}, beta={beta})",
            where=describe(seed, pred=pred, beta=beta),
            misconceptions={
                MISTAKES["smooth-l1-branches-swapped"]: reduce(
                    swapped_smooth_l1(d, beta), reduction
                ),
                MISTAKES["beta-ignored"]: reduce(smooth_l1(d, 1.0), reduction),
                MISTAKES["huber-not-scaled-by-delta"]: reduce(beta * smooth_l1(d, beta), reduction),
            },
        )


@pytest.mark.points(1)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_huber_loss_matches_torch(kata, reduction):
    seed = 41
    for delta in (2.0, 0.3, 1.0):
        pred, target = residuals(seed, (6,), delta)
        loss, _ = call(kata, "huber_loss", pred, target, reduction, delta)
        expected, _ = oracle("huber_loss", pred, target, reduction, delta)
        d = pred - target
        assert_close(
            loss,
            expected,
            what=f"huber_loss (reduction={reduction!r}, delta={delta})",
            where=describe(seed, pred=pred, delta=delta),
            misconceptions={
                MISTAKES["huber-not-scaled-by-delta"]: reduce(smooth_l1(d, delta), reduction),
                MISTAKES["beta-ignored"]: reduce(smooth_l1(d, 1.0), reduction),
            },
        )


# -- gradients, every reduction ----------------------------------------------------------------


@pytest.mark.points(1)
@pytest.mark.parametrize("name", ["l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss"])
def test_gradient_matches_autograd_for_every_reduction(kata, name):
    seed = 51
    for reduction in REDUCTIONS:
        for param in (1.0, 0.5, 3.0) if name in KEYWORD else (None,):
            pred, target = residuals(seed, (4, 3), param or 1.0)
            _, grad = call(kata, name, pred, target, reduction, param)
            _, expected = oracle(name, pred, target, reduction, param)
            _, as_sum = oracle(name, pred, target, "sum", param)
            d = pred - target
            wrong = {MISTAKES["mean-gradient-not-divided"]: as_sum} if reduction == "mean" else {}
            if name == "mse_loss":
                wrong[MISTAKES["mse-half-convention"]] = expected / 2
            if name == "smooth_l1_loss":
                swapped = np.where(np.abs(d) < param, np.sign(d), d / param)
                wrong[MISTAKES["smooth-l1-branches-swapped"]] = swapped / (
                    d.size if reduction == "mean" else 1
                )
            if name == "huber_loss":
                wrong[MISTAKES["huber-not-scaled-by-delta"]] = expected / np.where(
                    np.abs(d) < param, 1.0, param
                )
            extra = f", {KEYWORD[name]}={param}" if name in KEYWORD else ""
            assert_close(
                grad,
                expected,
                what=f"{name} gradient (reduction={reduction!r}{extra})",
                where=describe(seed, pred=pred),
                misconceptions=wrong,
            )


# -- conventions -------------------------------------------------------------------------------


@pytest.mark.points(1)
def test_l1_derivative_at_zero_residual_is_zero(kata):
    seed = 61
    pred, target = residuals(seed, (8,), 1.0)
    pred[[1, 4, 6]] = target[[1, 4, 6]]  # exactly zero residuals
    for reduction in ("sum", "none"):
        _, grad = call(kata, "l1_loss", pred, target, reduction)
        _, expected = oracle("l1_loss", pred, target, reduction)
        assert_close(
            grad,
            expected,
            what=f"l1_loss gradient with some residuals exactly 0 (reduction={reduction!r})",
            where=describe(seed, pred=pred) + ", pred == target at indices 1, 4, 6",
            misconceptions={
                MISTAKES["sign-at-zero-not-zero"]: np.where(pred >= target, 1.0, -1.0),
            },
        )


@pytest.mark.points(2)
def test_smooth_l1_with_beta_zero_is_l1(kata):
    seed = 71
    pred, target = residuals(seed, (3, 4), 1.0)
    pred[0, 0] = target[0, 0]  # a zero residual: the 0/0 of d / beta if beta = 0 is not guarded
    # "none" and "sum" only: the mean's division is every reduction test's business
    for reduction in ("none", "sum"):
        loss, grad = call(kata, "smooth_l1_loss", pred, target, reduction, 0.0)
        expected_loss, expected_grad = oracle("smooth_l1_loss", pred, target, reduction, 0.0)
        where = describe(seed, pred=pred, beta=0.0) + ", pred[0, 0] == target[0, 0]"
        assert_close(
            loss,
            expected_loss,
            what=f"smooth_l1_loss, beta=0 (reduction={reduction!r})",
            where=where,
        )
        assert_close(
            grad,
            expected_grad,
            what=f"smooth_l1_loss gradient, beta=0 (reduction={reduction!r})",
            where=where,
        )


@probe
def floating_point_warnings(kata, pred, target):
    """On the learner's side: the floating-point warnings smooth_l1_loss(beta=0) raises for
    each reduction, with NumPy's divide-by-zero and invalid-value reporting on."""
    import warnings

    import numpy as np

    found = []
    for reduction in ("none", "mean", "sum"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with np.errstate(divide="warn", invalid="warn", over="warn", under="ignore"):
                kata.smooth_l1_loss(pred.copy(), target.copy(), reduction, 0.0)
        found += [f"{w.category.__name__}: {w.message}" for w in caught]
    return sorted(set(found))


@pytest.mark.points(1)
def test_smooth_l1_with_beta_zero_divides_by_nothing(kata):
    seed = 72
    pred, target = residuals(seed, (3, 4), 1.0)
    pred[0, 0] = target[0, 0]
    loss, grad = call(kata, "smooth_l1_loss", pred, target, "none", 0.0)
    if not (np.isfinite(loss).all() and np.isfinite(grad).all()):
        return  # NaN or inf values: test_smooth_l1_with_beta_zero_is_l1 charges that mistake
    found = floating_point_warnings(kata, pred, target)
    if found:
        fail(
            f"smooth_l1_loss with beta=0 raised floating-point warnings: {'; '.join(found)} "
            f"[{describe(seed, pred=pred)}, pred[0, 0] == target[0, 0]]. With beta = 0 the "
            "quadratic zone |d| < 0 is empty: take the L1 branch alone; np.where computes "
            "both branches, d**2 / beta included."
        )


@pytest.mark.points(1)
def test_outliers_get_a_bounded_gradient(kata):
    # The point of smooth L1 / Huber: an outlier's gradient is capped at 1 (or delta). Only the
    # cap is judged here, so a wrong slope in the tails (the value tests' business) passes as long
    # as it stays bounded; a quadratic tail does not.
    pred, target = np.array([1e6, -1e6, 0.2]), np.zeros(3)
    for name, param, cap in (("smooth_l1_loss", 1.0, 1.0), ("huber_loss", 2.0, 2.0)):
        _, grad = call(kata, name, pred, target, "none", param)
        _, expected_grad = oracle(name, pred, target, "none", param)
        where = f"pred = {pred.tolist()}, target = 0, {KEYWORD[name]}={param}"
        if grad.shape != pred.shape:
            fail(f"{name} gradient: expected shape {pred.shape}, got {grad.shape} [{where}]")
        outliers = grad[:2]
        if not (np.all(np.isfinite(outliers)) and np.all(np.abs(outliers) <= cap * (1 + 1e-12))):
            quadratic = np.allclose(outliers, (pred - target)[:2] / param, rtol=1e-9)
            fail(
                f"{name}: the gradient at the outliers 1e6 and -1e6 is {outliers.tolist()}; past "
                f"the switch point the loss grows linearly, so its gradient is capped at {cap} in "
                f"magnitude (torch: {expected_grad[:2].tolist()}) [{where}]",
                MISTAKES["smooth-l1-branches-swapped"] if quadratic else None,
            )
        if not np.all(outliers * np.sign(pred[:2]) > 0):
            fail(
                f"{name}: the gradient at the outliers 1e6 and -1e6 is {outliers.tolist()}; it "
                f"must push each prediction back towards its target (the sign of the residual, "
                f"torch: {expected_grad[:2].tolist()}) [{where}]"
            )


@pytest.mark.points(1)
def test_invalid_arguments_raise_value_error(kata):
    pred, target = np.array([0.5, -1.0]), np.zeros(2)
    cases = [
        ("l1_loss", (pred, target, "average"), "reduction='average'"),
        ("mse_loss", (pred, target, "total"), "reduction='total'"),
        ("smooth_l1_loss", (pred, target, "mean", -0.5), "beta=-0.5"),
        ("huber_loss", (pred, target, "mean", 0.0), "delta=0"),
        ("huber_loss", (pred, target, "sum", -1.0), "delta=-1"),
    ]
    for name, args, label in cases:
        try:
            result = getattr(kata, name)(*args)
        except ValueError:
            continue
        except Exception as exc:
            fail(f"{name} with {label}: expected a ValueError, got {type(exc).__name__}: {exc}")
        fail(f"{name} with {label}: expected a ValueError, but it returned {result!r}")
