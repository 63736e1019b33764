"""Hidden grader for loss/ce_vs_mse.

Oracles: torch.nn.functional.mse_loss(sigmoid(z), y) and binary_cross_entropy_with_logits run
here, differentiated by torch.autograd; the gradient-descent paths are simulated here with
autograd gradients.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from katakit import misconceptions
from katakit.checks import as_array, assert_close, describe, fail, naming, rng

MISTAKES = misconceptions.of(__file__)


def losses(z, y):
    """Per-sample MSE-on-sigmoid and BCE of torch tensors."""
    return (
        F.mse_loss(torch.sigmoid(z), y, reduction="none"),
        F.binary_cross_entropy_with_logits(z, y, reduction="none"),
    )


def autograd_dz(z, y):
    """(dL_mse/dz, dL_bce/dz) element-wise, by autograd."""
    zt = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    mse, bce = losses(zt, torch.tensor(y, dtype=torch.float64))
    (g_mse,) = torch.autograd.grad(mse.sum(), zt, retain_graph=True)
    (g_bce,) = torch.autograd.grad(bce.sum(), zt)
    return g_mse.numpy(), g_bce.numpy()


def sigmoid(z):
    return torch.sigmoid(torch.tensor(z, dtype=torch.float64)).numpy()


def logits_and_labels(seed, shape):
    gen = rng(seed)
    z = gen.normal(0, 4, shape)
    y = gen.uniform(0, 1, shape)
    y.reshape(-1)[: max(1, y.size // 2)] = gen.integers(0, 2, max(1, y.size // 2))
    return z, y


@pytest.mark.points(2)
@pytest.mark.parametrize("seed, shape", [(11, (7,)), (12, (3, 4))])
def test_mse_sigmoid_loss_matches_torch(kata, seed, shape):
    z, y = logits_and_labels(seed, shape)
    expected = losses(torch.tensor(z), torch.tensor(y))[0].numpy()
    s = sigmoid(z)
    assert_close(
        kata.mse_sigmoid_loss(z.copy(), y.copy()),
        expected,
        what="mse_sigmoid_loss",
        where=describe(seed, z=z),
        rtol=1e-10,
        atol=1e-14,
        misconceptions={MISTAKES["mse-half-convention"]: 0.5 * (s - y) ** 2},
    )


@pytest.mark.points(2)
@pytest.mark.parametrize("seed, shape", [(21, (9,)), (22, (2, 5))])
def test_mse_sigmoid_grad_matches_autograd(kata, seed, shape):
    z, y = logits_and_labels(seed, shape)
    expected, _ = autograd_dz(z, y)
    s = sigmoid(z)
    assert_close(
        kata.mse_sigmoid_grad(z.copy(), y.copy()),
        expected,
        what="mse_sigmoid_grad",
        where=describe(seed, z=z),
        rtol=1e-9,
        atol=1e-14,
        misconceptions={
            MISTAKES["drops-sigmoid-derivative"]: 2 * (s - y),
            MISTAKES["mse-half-convention"]: expected / 2,
        },
    )


@pytest.mark.points(2)
def test_bce_grad_matches_autograd(kata):
    seed = 31
    z, y = logits_and_labels(seed, (4, 3))
    _, expected = autograd_dz(z, y)
    assert_close(
        kata.bce_grad(z.copy(), y.copy()),
        expected,
        what="bce_grad",
        where=describe(seed, z=z),
        rtol=1e-9,
        atol=1e-14,
        misconceptions={MISTAKES["bce-gradient-sign-flipped"]: -expected},
    )


@pytest.mark.points(2)
def test_saturation_at_a_confidently_wrong_logit(kata):
    # z = -10, y = 1 (and z = 10, y = 0): sigmoid(z) ~ 4.5e-5, the model is sure of the wrong
    # class. Judged is the statement's contrast, not the exact values (the value tests' business):
    # the MSE gradient has vanished, the BCE gradient still has magnitude about 1.
    z, y = np.array([-10.0, 10.0]), np.array([1.0, 0.0])
    expected_mse, expected_bce = autograd_dz(z, y)
    where = f"z = {z.tolist()}, y = {y.tolist()}"
    g_mse = as_array(kata.mse_sigmoid_grad(z.copy(), y.copy()), "mse_sigmoid_grad")
    g_bce = as_array(kata.bce_grad(z.copy(), y.copy()), "bce_grad")
    for what, got in (("mse_sigmoid_grad", g_mse), ("bce_grad", g_bce)):
        if got.shape != z.shape:
            fail(f"{what}: expected shape {z.shape}, got {got.shape} [{where}]")
    if not np.all(np.abs(g_mse) < 1e-3):
        fail(
            f"mse_sigmoid_grad when saturated: expected magnitudes below 1e-3 (torch: "
            f"{expected_mse.tolist()}), got {g_mse.tolist()} [{where}]\n  The sigmoid's derivative "
            "s (1 - s), about 4.5e-5 here, is part of the chain rule: it is what makes MSE on a "
            "sigmoid stall.",
            MISTAKES["drops-sigmoid-derivative"]
            if np.allclose(g_mse, 2 * (sigmoid(z) - y), rtol=1e-9)
            else None,
        )
    if not np.all(np.abs(np.abs(g_bce) - 1) < 1e-4):
        fail(
            f"bce_grad when saturated: expected magnitudes about 1 (torch: "
            f"{expected_bce.tolist()}), got {g_bce.tolist()} [{where}]\n  BCE's gradient with "
            "respect to the logit is s - y: it stays large while the prediction is wrong."
        )


@pytest.mark.points(2)
def test_results_are_finite_at_logits_of_1e4(kata):
    # Only finiteness is checked here; the values are the other tests' business.
    z = np.array([-1e4, 1e4, -1e4, 1e4, -800.0, 750.0])
    y = np.array([1.0, 0.0, 0.0, 1.0, 0.3, 1.0])
    where = f"z = {z.tolist()}, y = {y.tolist()}"
    for name in ("mse_sigmoid_loss", "mse_sigmoid_grad", "bce_grad"):
        result = as_array(getattr(kata, name)(z.copy(), y.copy()), name)
        if result.shape != z.shape:
            fail(f"{name}: expected shape {z.shape}, got {result.shape} [{where}]")
        if not np.all(np.isfinite(result)):
            hint = (
                naming(MISTAKES["sigmoid-derivative-overflow"])
                if name == "mse_sigmoid_grad"
                else ""
            )
            fail(f"{name}: NaN or inf for finite logits [{where}]\n  got: {result}{hint}")
    # the same logits reached through a model's weights, and a descent that starts there
    X = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0], [0.5, 0.5]])
    w, y = np.array([1e4, -800.0]), np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    grads = kata.weight_gradients(w.copy(), X.copy(), y.copy())
    if not isinstance(grads, tuple | list) or len(grads) != 2:
        fail(f"weight_gradients: expected a pair (grad_mse, grad_bce), got {type(grads).__name__}")
    for which, grad in zip(("mse", "bce"), grads, strict=True):
        result = as_array(grad, f"weight_gradients grad_{which}")
        if not np.all(np.isfinite(result)):
            fail(
                f"weight_gradients grad_{which}: NaN or inf for z = X @ w = {(X @ w).tolist()} "
                f"[X = {X.tolist()}, w = {w.tolist()}, y = {y.tolist()}]\n  got: {result}"
            )
    for loss, z0, label in (("mse", -1e4, 1.0), ("bce", 1e4, 0.0)):
        path = as_array(kata.train_logit(loss, z0, label, 1.0, 3), "train_logit path")
        if not np.all(np.isfinite(path)):
            fail(
                f"train_logit({loss!r}, z0={z0}, y={label}, lr=1.0, steps=3): NaN or inf in the "
                f"path {path}"
            )


@pytest.mark.points(2)
@pytest.mark.parametrize("which, seed, n, d", [("mse", 41, 12, 3), ("bce", 42, 5, 6)])
def test_weight_gradients_match_autograd(kata, which, seed, n, d):
    gen = rng(seed)
    X, w = gen.normal(0, 1, (n, d)), gen.normal(0, 1.5, d)
    y = gen.integers(0, 2, n).astype(np.float64)
    wt = torch.tensor(w, requires_grad=True)
    mse, bce = losses(torch.tensor(X) @ wt, torch.tensor(y))
    (expected,) = torch.autograd.grad((mse if which == "mse" else bce).mean(), wt)
    expected = expected.numpy()
    result = kata.weight_gradients(w.copy(), X.copy(), y.copy())
    if not isinstance(result, tuple | list) or len(result) != 2:
        fail(f"weight_gradients: expected a pair (grad_mse, grad_bce), got {type(result).__name__}")
    s = sigmoid(X @ w)
    if which == "mse":
        wrong = {MISTAKES["drops-sigmoid-derivative"]: X.T @ (2 * (s - y)) / n}
    else:
        wrong = {MISTAKES["bce-gradient-sign-flipped"]: -expected}
    wrong[MISTAKES["gradient-summed-over-samples"]] = expected * n
    got = as_array(result[0 if which == "mse" else 1], f"weight_gradients grad_{which}")
    if got.shape == expected.shape and np.allclose(got, expected, rtol=1e-9, atol=1e-8):
        return
    # What the chain rule gives from the learner's own dL/dz: a mistake there is charged by the
    # tests of mse_sigmoid_grad and bce_grad, not again here.
    own = chain_rule_on_own_dz(kata, which, X, w, y)
    if own is not None and got.shape == own.shape and np.allclose(got, own, rtol=1e-9, atol=1e-8):
        return
    assert_close(
        got,
        expected,
        what=f"weight_gradients grad_{which}",
        where=describe(seed, X=X, w=w),
        rtol=1e-9,
        misconceptions=wrong,
    )


def own_dz(kata, which):
    """The learner's dL/dz function for ``which`` ("mse" or "bce")."""
    return kata.mse_sigmoid_grad if which == "mse" else kata.bce_grad


def chain_rule_on_own_dz(kata, which, X, w, y):
    """X.T @ dL/dz / n with the learner's own dL/dz, or None when that cannot be computed."""
    try:
        dz = as_array(own_dz(kata, which)(X @ w, y.copy()), "dL/dz")
    except Exception:
        return None
    return X.T @ dz / X.shape[0] if dz.shape == y.shape else None


def simulate(loss, z0, y, lr, steps, dz=None):
    """The gradient-descent path, with autograd gradients (or with ``dz(z, y)`` on arrays of one
    element, the learner's own gradient function)."""
    path = [z0]
    for _ in range(steps):
        if dz is None:
            g_mse, g_bce = autograd_dz(np.array([path[-1]]), np.array([y]))
            g = (g_mse if loss == "mse" else g_bce)[0]
        else:
            g = as_array(dz(np.array([path[-1]]), np.array([y])), "dL/dz").reshape(-1)[0]
        path.append(path[-1] - lr * float(g))
    return np.array(path)


def descends(kata, path, expected, loss, z0, y, lr, steps):
    """Whether ``path`` is gradient descent: with the true gradient (``expected``), or with the
    learner's own dL/dz, whose mistakes are charged by that function's tests, not again here."""
    try:
        got = as_array(path, "train_logit path")
    except Exception:
        return False
    if got.shape == expected.shape and np.allclose(got, expected, rtol=1e-9, atol=1e-8):
        return True
    try:
        own = simulate(loss, z0, y, lr, steps, own_dz(kata, loss))
    except Exception:
        return False
    return got.shape == own.shape and bool(np.allclose(got, own, rtol=1e-9, atol=1e-8))


@pytest.mark.points(2)
@pytest.mark.parametrize("loss", ["mse", "bce"])
def test_train_logit_follows_gradient_descent(kata, loss):
    z0, y, lr, steps = -10.0, 1.0, 1.0, 60
    expected = simulate(loss, z0, y, lr, steps)
    ascent = simulate(loss, z0, y, -lr, steps)
    where = f"loss={loss!r}, z0={z0}, y={y}, lr={lr}, steps={steps}"
    path = kata.train_logit(loss, z0, y, lr, steps)
    if descends(kata, path, expected, loss, z0, y, lr, steps):
        return
    assert_close(
        path,
        expected,
        what="train_logit path",
        where=where,
        rtol=1e-9,
        misconceptions={
            MISTAKES["path-without-start"]: expected[1:],
            MISTAKES["gradient-ascent"]: ascent,
        },
    )


@pytest.mark.points(1)
def test_train_logit_other_starts_and_rates(kata):
    for loss, z0, y, lr, steps in [("mse", 0.5, 0.0, 2.0, 15), ("bce", 3.0, 0.25, 0.5, 20)]:
        expected = simulate(loss, z0, y, lr, steps)
        where = f"loss={loss!r}, z0={z0}, y={y}, lr={lr}, steps={steps}"
        path = kata.train_logit(loss, z0, y, lr, steps)
        if not descends(kata, path, expected, loss, z0, y, lr, steps):
            assert_close(path, expected, what="train_logit path", where=where, rtol=1e-9)
