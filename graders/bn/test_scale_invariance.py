"""Hidden grader for bn/scale_invariance.

Oracles: torch.nn.functional.batch_norm (training mode) and torch autograd, run by the grader in
float64, and the closed form of the effective learning rate.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from katakit import misconceptions
from katakit.checks import as_number, assert_close, assert_unchanged, describe, fail, rng, snapshot
from katakit.sandbox import probe

MISTAKES = misconceptions.of(__file__)

REPORT_KEYS = ("output_change", "grad_norm_ratio", "grad_dot_w")


def oracle_forward(x, w, gamma, beta, eps):
    """torch's batch_norm of x @ w.T; it refuses eps = 0, where the closed form stands in."""
    z = x @ w.T
    if eps > 0:
        return F.batch_norm(z, None, None, gamma, beta, training=True, eps=eps)
    return gamma * (z - z.mean(dim=0)) / z.var(dim=0, unbiased=False).sqrt() + beta


def oracle_loss_and_grad(x, w, gamma, beta, target, eps, forward=oracle_forward, reduce=torch.mean):
    """Autograd of the loss; ``forward`` and ``reduce`` swap in a mistake for the messages."""
    w = w.detach().clone().requires_grad_(True)
    loss = reduce((forward(x, w, gamma, beta, eps) - target) ** 2)
    (grad,) = torch.autograd.grad(loss, w)
    return loss.item(), grad


def oracle_report(x, w, gamma, beta, target, alpha, eps, forward=oracle_forward):
    with torch.no_grad():
        change = forward(x, alpha * w, gamma, beta, eps) - forward(x, w, gamma, beta, eps)
    _, grad = oracle_loss_and_grad(x, w, gamma, beta, target, eps, forward)
    _, grad_scaled = oracle_loss_and_grad(x, alpha * w, gamma, beta, target, eps, forward)
    return {
        "output_change": change.abs().max().item(),
        "grad_norm_ratio": (grad_scaled.norm() / grad.norm()).item(),
        "grad_dot_w": (grad * w).sum().item(),
    }


def draw(seed, n, d_in, d_out, dtype=torch.float64):
    """A batch, weights of mixed scales, affine parameters and a regression target."""
    gen = rng(seed)
    x = gen.normal(gen.normal(0, 1, d_in), 1, (n, d_in))
    w = gen.normal(0, 1, (d_out, d_in)) * gen.uniform(0.5, 2.0, (d_out, 1))
    gamma = gen.uniform(0.5, 1.5, d_out)
    beta = gen.normal(0, 1, d_out)
    target = gen.normal(0, 1, (n, d_out))
    return [torch.tensor(a, dtype=dtype) for a in (x, w, gamma, beta, target)]


def unbiased_forward(x, w, gamma, beta, eps):
    z = x @ w.T
    return gamma * (z - z.mean(dim=0)) / torch.sqrt(z.var(dim=0) + eps) + beta


def centred_only_forward(x, w, gamma, beta, eps):
    z = x @ w.T
    return gamma * (z - z.mean(dim=0)) + beta


def feature_axis_forward(x, w, gamma, beta, eps):
    z = x @ w.T
    mean = z.mean(dim=1, keepdim=True)
    return gamma * (z - mean) / torch.sqrt(z.var(dim=1, unbiased=False, keepdim=True) + eps) + beta


def eps_outside_forward(x, w, gamma, beta, eps):
    z = x @ w.T
    return gamma * (z - z.mean(dim=0)) / (torch.sqrt(z.var(dim=0, unbiased=False)) + eps) + beta


# The classic mistakes in bn_linear, to name them wherever their consequences show.
WRONG_FORWARDS = {
    MISTAKES["unbiased-normalisation"]: unbiased_forward,
    MISTAKES["centred-not-scaled"]: centred_only_forward,
    MISTAKES["statistics-over-features"]: feature_axis_forward,
    MISTAKES["eps-outside-sqrt"]: eps_outside_forward,
}


def mistaken_reports(x, w, gamma, beta, target, alpha, eps):
    """The report each bn_linear mistake would produce, to name it in the message."""
    return {
        name: oracle_report(x, w, gamma, beta, target, alpha, eps, forward)
        for name, forward in WRONG_FORWARDS.items()
    }


def report_of(kata, x, w, gamma, beta, target, alpha, eps):
    __tracebackhide__ = True
    report = kata.scale_invariance_report(x, w, gamma, beta, target, alpha, eps=eps)
    if not isinstance(report, dict):
        fail(f"scale_invariance_report must return a dict, got {type(report).__name__}")
    missing = [key for key in REPORT_KEYS if key not in report]
    if missing:
        fail(f"scale_invariance_report is missing the keys {missing}; it returned {sorted(report)}")
    return {key: as_number(report[key], f"report[{key!r}]") for key in REPORT_KEYS}


def matches(actual, expected, rtol, atol):
    """Whether ``actual`` is close to ``expected`` (False for what is no number at all)."""
    try:
        actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, np.float64)
    except (TypeError, ValueError):
        return False
    return actual.shape == expected.shape and bool(
        np.allclose(actual, expected, rtol=rtol, atol=atol)
    )


@probe
def through_your_bn_linear(kata, x, w, gamma, beta, target, eps):
    """On the learner side: the loss mean((bn_linear(x, w) - target)^2) and its dL/dw by
    autograd through the learner's own bn_linear; None when that is not differentiable."""
    leaf = w.detach().clone().requires_grad_(True)
    try:
        out = kata.bn_linear(x, leaf, gamma, beta, eps=eps)
        loss = ((out - target) ** 2).mean()
        (grad,) = torch.autograd.grad(loss, leaf)
    except Exception:  # whatever it raises is graded by the tests of bn_linear
        return None
    return loss.item(), grad


@probe
def report_from_your_functions(kata, x, w, gamma, beta, target, alpha, eps):
    """On the learner side: the report measured from the learner's own bn_linear and
    loss_and_weight_grad, as the statement defines it; None when they give no numbers."""
    try:
        with torch.no_grad():
            out = torch.as_tensor(kata.bn_linear(x, w, gamma, beta, eps=eps))
            out_scaled = torch.as_tensor(kata.bn_linear(x, alpha * w, gamma, beta, eps=eps))
        grad = torch.as_tensor(kata.loss_and_weight_grad(x, w, gamma, beta, target, eps=eps)[1])
        grad_scaled = torch.as_tensor(
            kata.loss_and_weight_grad(x, alpha * w, gamma, beta, target, eps=eps)[1]
        )
        return {
            "output_change": (out_scaled - out).abs().max().item(),
            "grad_norm_ratio": (grad_scaled.norm() / grad.norm()).item(),
            "grad_dot_w": (grad * w).sum().item(),
        }
    except Exception:  # whatever they raise is graded by their own tests
        return None


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "seed, n, d_in, d_out, dtype",
    [(11, 8, 5, 3, torch.float64), (12, 2, 4, 6, torch.float64), (13, 16, 3, 4, torch.float32)],
    ids=["8x5_to_3", "batch_of_two", "float32"],
)
def test_bn_linear_matches_torch_batch_norm(kata, seed, n, d_in, d_out, dtype):
    x, w, gamma, beta, _ = draw(seed, n, d_in, d_out, dtype)
    eps = 1e-5
    out = kata.bn_linear(x, w, gamma, beta, eps=eps)
    tolerance = {"rtol": 1e-4, "atol": 1e-5} if dtype == torch.float32 else {}
    assert_close(
        out,
        oracle_forward(x, w, gamma, beta, eps),
        what="bn_linear output",
        where=describe(seed, x=x, w=w, eps=eps),
        misconceptions={
            name: forward(x, w, gamma, beta, eps) for name, forward in WRONG_FORWARDS.items()
        },
        **tolerance,
    )


@pytest.mark.points(1)
def test_loss_and_weight_grad_match_autograd(kata):
    seed, eps = 21, 1e-5
    x, w, gamma, beta, target = draw(seed, 10, 4, 3)
    result = kata.loss_and_weight_grad(x, w, gamma, beta, target, eps=eps)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        fail(f"loss_and_weight_grad must return a tuple (loss, grad), got {type(result).__name__}")
    loss, grad = result
    expected_loss, expected_grad = oracle_loss_and_grad(x, w, gamma, beta, target, eps)
    summed_loss, summed_grad = oracle_loss_and_grad(
        x, w, gamma, beta, target, eps, reduce=torch.sum
    )
    mistaken = {
        name: oracle_loss_and_grad(x, w, gamma, beta, target, eps, forward)
        for name, forward in WRONG_FORWARDS.items()
    }
    where = describe(seed, x=x, w=w, eps=eps)
    # Also right: the loss and gradient of your own bn_linear, should it be wrong (graded by its
    # own tests), so that only the loss and its gradient are graded here.
    yours = through_your_bn_linear(kata, x, w, gamma, beta, target, eps)
    loss = as_number(loss, "loss")
    if yours is not None and matches(loss, yours[0], 1e-6, 1e-8):
        expected_loss = yours[0]
    if yours is not None and matches(grad, yours[1], 1e-6, 1e-8):
        expected_grad = yours[1]
    summed = MISTAKES["loss-summed"]
    assert_close(
        loss,
        expected_loss,
        what="loss",
        where=where,
        misconceptions={summed: summed_loss} | {name: v[0] for name, v in mistaken.items()},
    )
    assert_close(
        grad,
        expected_grad,
        what="dL/dw",
        where=where,
        misconceptions={
            summed: summed_grad,
            MISTAKES["grad-transposed"]: expected_grad.T,
        }
        | {name: v[1] for name, v in mistaken.items()},
    )


@probe
def traces_left(kata, x, w, gamma, beta, target):
    """On the learner side (where autograd state lives): call loss_and_weight_grad with a plain w
    and with a w that requires grad, and report what each call left on the caller's tensors."""
    found = {}
    for label, requires in (("a plain w", False), ("a w that requires grad", True)):
        w_ = w.clone().requires_grad_(requires)
        others = {"x": x.clone(), "gamma": gamma.clone(), "beta": beta.clone()}
        others["target"] = target.clone()
        kata.loss_and_weight_grad(
            others["x"], w_, others["gamma"], others["beta"], others["target"], eps=1e-5
        )
        left = [name for name, t in others.items() if t.requires_grad or t.grad is not None]
        if w_.requires_grad != requires:
            left.append(f"w.requires_grad={w_.requires_grad}")
        if w_.grad is not None:
            left.append("w.grad")
        found[label] = left
    return found


@pytest.mark.points(1)
def test_inputs_are_left_as_they_were_without_grad(kata):
    # "Do not modify any input, and leave no .grad on them": the inputs alone, whatever the
    # functions compute (graded by the other tests).
    seed = 23
    x, w, gamma, beta, target = draw(seed, 10, 4, 3)
    inputs = {"x": x, "w": w, "gamma": gamma, "beta": beta, "target": target}
    calls = {
        "bn_linear": lambda a: kata.bn_linear(a["x"], a["w"], a["gamma"], a["beta"], eps=1e-5),
        "loss_and_weight_grad": lambda a: kata.loss_and_weight_grad(*a.values(), eps=1e-5),
        "scale_invariance_report": lambda a: kata.scale_invariance_report(
            *a.values(), 0.5, eps=1e-5
        ),
    }
    for name, call in calls.items():
        given = {key: value.clone() for key, value in inputs.items()}
        before = snapshot(**given)
        call(given)
        try:
            assert_unchanged(before, **given)
        except AssertionError as exc:
            fail(f"{name}: {exc} [{describe(seed, x=x, w=w)}]")
    for label, left in traces_left(kata, x, w, gamma, beta, target).items():
        if left:
            fail(
                f"loss_and_weight_grad called with {label} left {', '.join(left)} on the "
                f"caller's tensors [{describe(seed, x=x, w=w)}]; differentiate a detached copy, "
                "w_ = w.detach().clone().requires_grad_(True), with torch.autograd.grad(loss, w_)"
            )


@probe
def bn_linear_grad(kata, x, w, gamma, beta, upstream):
    """On the learner side: d/dw of L = sum(bn_linear(x, w) * upstream) by autograd (None without
    a graph), and by central differences of the same bn_linear, to compare with each other."""
    leaf = w.clone().requires_grad_(True)
    out = kata.bn_linear(x, leaf, gamma, beta, eps=1e-5)
    if not isinstance(out, torch.Tensor) or not out.requires_grad:
        return None, None
    (grad,) = torch.autograd.grad((out * upstream).sum(), leaf)
    numeric = torch.zeros_like(w)
    h = 1e-6
    with torch.no_grad():
        for index in range(w.numel()):
            step = torch.zeros_like(w).reshape(-1)
            step[index] = h
            step = step.reshape(w.shape)
            plus = (kata.bn_linear(x, w + step, gamma, beta, eps=1e-5) * upstream).sum()
            minus = (kata.bn_linear(x, w - step, gamma, beta, eps=1e-5) * upstream).sum()
            numeric.reshape(-1)[index] = (plus - minus) / (2 * h)
    return grad, numeric


@pytest.mark.points(1)
def test_bn_linear_is_differentiable_with_respect_to_w(kata):
    # Autograd through the learner's own bn_linear against central differences of that same
    # function (h = 1e-6, float64): whatever it computes, its graph must carry the gradient.
    seed = 25
    x, w, gamma, beta, target = draw(seed, 9, 4, 3)
    upstream = torch.tensor(rng(seed + 1).normal(0, 1, target.shape))
    grad, numeric = bn_linear_grad(kata, x, w, gamma, beta, upstream)
    where = describe(seed, x=x, w=w) + ", d/dw of sum(bn_linear(x, w) * g)"
    if grad is None:
        fail(
            f"bn_linear's output does not require grad for a w that does [{where}]; build it from "
            "w with torch operations (no torch.no_grad(), .detach(), .item() or NumPy)"
        )
    assert_close(
        grad,
        numeric,
        what="autograd's d/dw through your bn_linear vs its central differences",
        where=where,
        rtol=1e-4,
        atol=1e-6,
    )


def check_report(report, x, w, gamma, beta, target, alpha, eps, seed, yours=None):
    """Compare each measured value with the oracle's, naming the mistake a mismatch matches;
    a value equal to ``yours`` (the report measured from the learner's own bn_linear and
    loss_and_weight_grad, should those be wrong) is right too."""
    __tracebackhide__ = True
    expected = oracle_report(x, w, gamma, beta, target, alpha, eps)
    mistaken = mistaken_reports(x, w, gamma, beta, target, alpha, eps)
    ideal = {"output_change": 0.0, "grad_norm_ratio": 1 / alpha, "grad_dot_w": 0.0}
    special = {
        "grad_norm_ratio": {
            MISTAKES["grad-ratio-inverted"]: 1 / expected["grad_norm_ratio"],
            MISTAKES["both-grads-at-w"]: 1.0,
        },
    }
    where = describe(seed, x=x, w=w, alpha=alpha, eps=eps)
    for key in REPORT_KEYS:
        atol = 1e-9 if eps == 0 else 1e-10
        if yours is not None and matches(report[key], yours[key], 1e-5, atol):
            continue
        misconceptions = dict(special.get(key, {}))
        if eps > 0:
            misconceptions[MISTAKES["idealised-report"]] = ideal[key]
        misconceptions |= {name: values[key] for name, values in mistaken.items()}
        # With eps = 0, output_change and grad_dot_w are rounding noise around 0: atol covers it.
        assert_close(
            report[key],
            expected[key],
            what=f"report[{key!r}]",
            where=where,
            rtol=1e-5,
            atol=atol,
            misconceptions=misconceptions,
        )


@pytest.mark.points(1)
@pytest.mark.parametrize("alpha", [4.0, 0.25])
def test_report_shows_invariant_output_and_gradient_shrinking_by_alpha(kata, alpha):
    # With eps = 0 the invariance is exact: the oracle measures 0, 1/alpha and 0 up to rounding.
    seed, eps = 31, 0.0
    x, w, gamma, beta, target = draw(seed, 12, 5, 4)
    report = report_of(kata, x, w, gamma, beta, target, alpha, eps)
    yours = report_from_your_functions(kata, x, w, gamma, beta, target, alpha, eps)
    check_report(report, x, w, gamma, beta, target, alpha, eps, seed, yours)


@pytest.mark.points(1)
def test_report_measures_the_broken_invariance_when_the_variance_falls_below_eps(kata):
    # alpha * z has a variance of about 1e-5 here, the size of eps: sqrt(var + eps) no longer
    # scales with alpha, and the measured values leave the ideal 0 and 1/alpha far behind.
    seed, eps, alpha = 41, 1e-5, 1e-3
    x, w, gamma, beta, target = draw(seed, 12, 5, 4)
    report = report_of(kata, x, w, gamma, beta, target, alpha, eps)
    yours = report_from_your_functions(kata, x, w, gamma, beta, target, alpha, eps)
    check_report(report, x, w, gamma, beta, target, alpha, eps, seed, yours)


@pytest.mark.points(1)
def test_equivalent_lr_reproduces_the_step_taken_from_scaled_weights(kata):
    lr = 0.1
    for alpha in (3.0, 0.5):
        answer = as_number(kata.equivalent_lr(lr, alpha), "equivalent_lr")
        # Closed form: a step from alpha*w is alpha*w - lr*g(w)/alpha
        # = alpha * (w - lr/alpha**2 * g(w)), and the factor alpha leaves the outputs unchanged.
        expected = lr / alpha**2
        assert_close(
            answer,
            expected,
            what="equivalent_lr",
            where=f"lr={lr}, alpha={alpha}",
            misconceptions={
                MISTAKES["lr-over-alpha"]: lr / alpha,
                MISTAKES["lr-times-alpha-squared"]: lr * alpha**2,
                MISTAKES["lr-times-alpha"]: lr * alpha,
            },
        )


@pytest.mark.points(1)
def test_loss_and_report_values_are_python_floats(kata):
    # The statement asks for floats: a 0-d tensor still carries a graph and a device, and
    # comparing or printing it is not the same as a number.
    seed = 51
    x, w, gamma, beta, target = draw(seed, 6, 3, 2)
    found = {"the loss": kata.loss_and_weight_grad(x, w, gamma, beta, target)[0]}
    report = kata.scale_invariance_report(x, w, gamma, beta, target, 2.0)
    if isinstance(report, dict):
        found |= {f"report[{key!r}]": report.get(key) for key in REPORT_KEYS}
    for label, value in found.items():
        if not isinstance(value, float):
            fail(
                f"{label} is a {type(value).__name__}, not a float [{describe(seed, x=x)}]; "
                "return Python floats, e.g. loss.item()"
            )
