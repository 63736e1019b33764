"""Hidden grader for ml/logistic_regression.

Oracles: torch.sigmoid and binary_cross_entropy_with_logits, torch autograd for the gradient and
for a gradient-descent run of the grader's own. Training is judged by exact properties (the same
trajectory as the grader's descent, monotone loss at a safe step, separable data fit), never by
an accuracy threshold, which a wrong gradient can still reach. The trajectory test also accepts
the descent driven by the learner's own gradients and loss: it judges the loop, the gradient's
values are test_gradients_match_autograd's.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from katakit import misconceptions
from katakit.checks import (
    as_array,
    as_number,
    assert_close,
    assert_unchanged,
    describe,
    fail,
    rng,
    snapshot,
    to_numpy,
)
from katakit.sandbox import probe

MISTAKES = misconceptions.of(__file__)


def draw(seed, n, d, *, scale=1.0):
    """Features with uneven scales and offsets, mixed labels, and a starting point."""
    gen = rng(seed)
    X = gen.normal(gen.normal(0, 1, d), gen.uniform(0.5, 2.0, d), (n, d)) * scale
    y = gen.integers(0, 2, n).astype(np.float64)
    w = gen.normal(0, 0.5, d)
    b = float(gen.normal(0, 0.5))
    return X, y, w, b


def torch_loss(X, y, w, b):
    """Mean BCE as torch computes it, with w and b as leaves that require a gradient."""
    w_t = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    b_t = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    z = torch.tensor(X) @ w_t + b_t
    return F.binary_cross_entropy_with_logits(z, torch.tensor(y)), w_t, b_t


def torch_gradients(X, y, w, b):
    loss, w_t, b_t = torch_loss(X, y, w, b)
    grad_w, grad_b = torch.autograd.grad(loss, (w_t, b_t))
    return grad_w.numpy(), float(grad_b)


def torch_descent(X, y, w0, b0, lr, steps):
    """The grader's own batch gradient descent, gradients by autograd."""
    w, b = np.array(w0, dtype=np.float64), float(b0)
    losses = []
    for _ in range(steps):
        loss, w_t, b_t = torch_loss(X, y, w, b)
        grad_w, grad_b = torch.autograd.grad(loss, (w_t, b_t))
        losses.append(loss.item())
        w, b = w - lr * grad_w.numpy(), b - lr * float(grad_b)
    losses.append(torch_loss(X, y, w, b)[0].item())
    return w, b, np.array(losses)


def own_descent(kata, X, y, w0, b0, lr, steps):
    """The same descent driven by the learner's own gradients and bce_loss, or None when they
    fail: the training test also accepts it, since their values are their own tests' concern."""
    try:
        w, b = np.array(w0, dtype=np.float64), float(b0)
        losses = [as_number(kata.bce_loss(X, y, w, b), "bce_loss")]
        for _ in range(steps):
            grad_w, grad_b = kata.gradients(X, y, w, b)
            w = w - lr * as_array(grad_w, "grad_w")
            b = b - lr * as_number(grad_b, "grad_b")
            losses.append(as_number(kata.bce_loss(X, y, w, b), "bce_loss"))
    except Exception:
        return None
    return w, b, np.array(losses)


def close(actual, expected, *, rtol, atol):
    """Whether ``actual`` converts to an array of ``expected``'s shape and values."""
    try:
        actual = np.asarray(to_numpy(actual), dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return actual.shape == np.shape(expected) and np.allclose(actual, expected, rtol, atol)


def softplus(z):
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def wrong_gradients(X, y, w, b):
    """What the classic derivation slips give, to name them in the message."""
    residual = 1 / (1 + np.exp(-(X @ w + b))) - y
    grad_w, grad_b = X.T @ residual / len(y), residual.mean()
    return {
        MISTAKES["gradient-sign-flipped"]: (-grad_w, -grad_b),
        MISTAKES["gradient-summed-not-mean"]: (grad_w * len(y), grad_b * len(y)),
        MISTAKES["bias-gradient-missing"]: (grad_w, 0.0),
    }


def wrong_descents(X, y, w0, b0, lr, steps):
    """The trajectories of gradient descent driven by each wrong gradient."""
    out = {}
    for index, name in enumerate(
        [
            MISTAKES["gradient-sign-flipped"],
            MISTAKES["gradient-summed-not-mean"],
            MISTAKES["bias-gradient-missing"],
        ]
    ):
        w, b = np.array(w0, dtype=np.float64), float(b0)
        losses = [np.mean(softplus(X @ w + b) - y * (X @ w + b))]
        for _ in range(steps):
            grad_w, grad_b = list(wrong_gradients(X, y, w, b).values())[index]
            w, b = w - lr * grad_w, b - lr * grad_b
            losses.append(np.mean(softplus(X @ w + b) - y * (X @ w + b)))
        out[name] = (w, b, np.array(losses))
    return out


def safe_step(X):
    """1 / L, where L = max eigenvalue of [X 1]^T [X 1] / (4 n) bounds the loss's curvature."""
    design = np.hstack([X, np.ones((len(X), 1))])
    return 1.0 / (np.linalg.eigvalsh(design.T @ design / len(X)).max() / 4)


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "name, z",
    [
        ("random", rng(1).normal(0, 5, (7, 3))),
        ("extremes", np.array([-1000.0, -745.0, -40.0, -1e-3, 0.0, 1e-3, 40.0, 745.0, 1000.0])),
    ],
)
def test_sigmoid_matches_torch(kata, name, z):
    before = snapshot(z=z)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = kata.sigmoid(z.copy())
    assert_close(
        out,
        torch.sigmoid(torch.tensor(z)).numpy(),
        what="sigmoid",
        where=f"{name} input {z.shape}",
        rtol=1e-12,
        atol=1e-15,
    )
    assert_unchanged(before, z=z)


@probe
def sigmoid_warnings(kata, z):
    """On the learner's side: the RuntimeWarnings sigmoid(z) raises, with NumPy's overflow,
    invalid-value and divide-by-zero reporting on (underflow to 0 is fine)."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
            kata.sigmoid(z)
    return [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]


@pytest.mark.points(1)
def test_sigmoid_emits_no_overflow_warning(kata):
    # The warning is raised in the learner's process: a probe records it there.
    z = np.array([-1000.0, -710.0, 0.0, 710.0, 1000.0])
    messages = sigmoid_warnings(kata, z)
    if messages:
        mistake = MISTAKES["sigmoid-exp-overflow"]
        fail(
            f"sigmoid({z.tolist()}) emitted RuntimeWarning: {messages[0]!r}.",
            mistake,
        )


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, scale", [(11, 1.0), (12, 600.0)])
def test_bce_loss_matches_torch_even_for_huge_logits(kata, seed, scale):
    X, y, w, b = draw(seed, 9, 3, scale=scale)
    before = snapshot(X=X, y=y, w=w)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loss = as_number(kata.bce_loss(X, y, w, b), "bce_loss")
    expected = torch_loss(X, y, w, b)[0].item()
    where = describe(seed, X=X) + f", logits up to |z| = {np.abs(X @ w + b).max():.0f}"
    if not np.isfinite(loss):
        mistake = MISTAKES["bce-not-from-logits"]
        fail(
            f"bce_loss: expected {expected:.6g}, got {loss} [{where}].",
            mistake,
        )
    z = X @ w + b
    p = np.clip(1 / (1 + np.exp(-np.clip(z, -700, 700))), 1e-7, 1 - 1e-7)
    clipped = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert_close(
        loss,
        expected,
        what="bce_loss",
        where=where,
        rtol=1e-9,
        atol=1e-12,
        misconceptions={
            MISTAKES["probabilities-clipped-before-log"]: clipped,
            MISTAKES["loss-summed-not-mean"]: expected * len(y),
        },
    )
    assert_unchanged(before, X=X, y=y, w=w)


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, n, d", [(21, 1, 3), (22, 17, 3), (23, 40, 5)])
def test_gradients_match_autograd(kata, seed, n, d):
    X, y, w, b = draw(seed, n, d)
    before = snapshot(X=X, y=y, w=w)
    result = kata.gradients(X, y, w, b)
    if not isinstance(result, tuple | list) or len(result) != 2:
        fail(f"gradients must return a tuple (grad_w, grad_b), got {type(result).__name__}")
    grad_w, grad_b = as_array(result[0], "grad_w"), as_number(result[1], "grad_b")
    expected_w, expected_b = torch_gradients(X, y, w, b)
    where = describe(seed, X=X)
    mistakes = wrong_gradients(X, y, w, b)
    assert_close(
        grad_w,
        expected_w,
        what="grad_w",
        where=where,
        rtol=1e-9,
        atol=1e-12,
        misconceptions={name: wrong[0] for name, wrong in mistakes.items()},
    )
    assert_close(
        grad_b,
        expected_b,
        what="grad_b",
        where=where,
        rtol=1e-9,
        atol=1e-12,
        misconceptions={name: wrong[1] for name, wrong in mistakes.items()},
    )
    assert_unchanged(before, X=X, y=y, w=w)


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, n, d, steps", [(31, 12, 2, 25), (32, 30, 4, 40)])
def test_training_follows_the_graders_own_gradient_descent(kata, seed, n, d, steps):
    X, y, w0, b0 = draw(seed, n, d)
    lr = 0.5 * safe_step(X)
    before = snapshot(X=X, y=y, w0=w0)
    result = kata.train(X, y, w0, b0, lr, steps)
    if not isinstance(result, tuple | list) or len(result) != 3:
        fail(f"train must return a tuple (w, b, losses), got {type(result).__name__}")
    w, b, losses = result
    own = own_descent(kata, X, y, w0, b0, lr, steps)
    if own is not None and all(
        close(got, want, rtol=1e-8, atol=1e-10)
        for got, want in zip((w, b, losses), own, strict=True)
    ):
        assert_unchanged(before, X=X, y=y, w0=w0)
        return  # the loop is right; the gradient's values are test_gradients_match_autograd's
    expected_w, expected_b, expected_losses = torch_descent(X, y, w0, b0, lr, steps)
    where = describe(seed, X=X, lr=float(round(lr, 6)), steps=steps)
    wrong = wrong_descents(X, y, w0, b0, lr, steps)
    assert_close(
        losses,
        expected_losses,
        what=f"losses (steps + 1 = {steps + 1} values, losses[0] before the first update)",
        where=where,
        rtol=1e-8,
        atol=1e-10,
        misconceptions={name: run[2] for name, run in wrong.items()},
    )
    assert_close(
        w,
        expected_w,
        what="final w",
        where=where,
        rtol=1e-8,
        atol=1e-10,
        misconceptions={name: run[0] for name, run in wrong.items()},
    )
    assert_close(
        as_number(b, "final b"),
        expected_b,
        what="final b",
        where=where,
        rtol=1e-8,
        atol=1e-10,
        misconceptions={name: run[1] for name, run in wrong.items()},
    )
    assert_unchanged(before, X=X, y=y, w0=w0)


@pytest.mark.points(1)
def test_loss_never_increases_at_a_safe_step_size(kata):
    # With lr = 1 / L (L bounds the curvature of the mean BCE) every descent step lowers the
    # loss: this holds for the right gradient whatever the data, and fails for a wrong one.
    seed, steps = 41, 60
    X, y, w0, b0 = draw(seed, 50, 3)
    lr = safe_step(X)
    _, _, losses = kata.train(X, y, w0, b0, lr, steps)
    losses = as_array(losses, "losses")
    # Whatever their number (steps + 1 is test_training_follows_...'s concern), they must not rise.
    if losses.ndim != 1 or len(losses) < 2:
        fail(f"losses: expected a 1-D array of the losses along the descent, got {losses.shape}")
    rises = np.flatnonzero(np.diff(losses) > 1e-12)
    if rises.size:
        t = int(rises[0])
        fail(
            f"the loss rose from {losses[t]:.6g} to {losses[t + 1]:.6g} at step {t + 1} "
            f"[{describe(seed, X=X, lr=float(round(lr, 6)))}]; at this step size correct gradient "
            "descent never increases the loss: check the sign of the gradient and that it is "
            "averaged (not summed) over the batch"
        )
    if not losses[-1] < losses[0]:
        fail(f"the loss did not decrease over {steps} steps: {losses[0]:.6g} -> {losses[-1]:.6g}")


@pytest.mark.points(1)
def test_separable_data_is_fit_exactly(kata):
    # Two clusters split by the line x1 + x2 = 4, which misses the origin: a model without a
    # working bias cannot separate them. Gradient descent on separable data drives the training
    # error to zero; the grader checks the returned parameters with its own decision rule.
    seed = 51
    gen = rng(seed)
    direction = np.array([1.0, 1.0]) / np.sqrt(2)
    along = gen.uniform(-2, 2, 40)[:, None] * np.array([1.0, -1.0]) / np.sqrt(2)
    margin = gen.uniform(0.3, 1.5, 40)[:, None] * direction
    y = np.repeat([1.0, 0.0], 20)
    centre = 2.0 * np.array([1.0, 1.0])
    X = centre + along + np.where(y[:, None] == 1, margin, -margin)
    lr, steps = safe_step(X), 1000
    w, b, _ = kata.train(X, y, np.zeros(2), 0.0, lr, steps)
    w, b = as_array(w, "w"), as_number(b, "b")
    labels = (X @ w + b >= 0).astype(float)
    wrong = int((labels != y).sum())
    if wrong:
        fail(
            f"after {steps} steps of gradient descent on linearly separable data, {wrong} of "
            f"{len(y)} training points are still misclassified by w = {w}, b = {b:.4g} "
            f"[{describe(seed, X=X, lr=float(round(lr, 4)))}]; the separating line "
            "x1 + x2 = 4 needs the bias: check that b is updated with the mean of (p - y)"
        )


@pytest.mark.points(1)
def test_predict_thresholds_the_logit_at_zero(kata):
    seed = 61
    X, _, w, b = draw(seed, 25, 3)
    z = X @ w + b
    expected = (z >= 0).astype(int)
    labels = as_array(kata.predict(X, w, b), "predict")
    assert_close(
        labels,
        expected,
        what="predicted labels",
        where=describe(seed, X=X),
        rtol=0,
        atol=0,
        misconceptions={MISTAKES["labels-inverted"]: 1 - expected},
    )


@pytest.mark.points(1)
def test_predict_sends_a_logit_of_exactly_zero_to_class_1(kata):
    # w = (1, -1), b = 0: rows 0 and 3 have z = 0 exactly, where p = 0.5 belongs to class 1
    X = np.array([[2.0, 2.0], [3.0, 1.0], [1.0, 3.0], [0.5, 0.5], [-1.0, -1.5]])
    w, b = np.array([1.0, -1.0]), 0.0
    z = X @ w + b
    labels = as_array(kata.predict(X, w, b), "predict")
    assert_close(
        labels,
        (z >= 0).astype(int),
        what="predicted labels",
        where=f"X={X.tolist()}, w={w.tolist()}, b={b}, so z={z.tolist()}",
        rtol=0,
        atol=0,
        misconceptions={MISTAKES["zero-logit-to-class-0"]: (z > 0).astype(int)},
    )


@pytest.mark.points(1)
def test_predict_returns_integer_labels(kata):
    seed = 62
    X, _, w, b = draw(seed, 6, 2)
    labels = to_numpy(kata.predict(X, w, b))
    if labels.dtype.kind not in "iu":
        fail(
            f"predict must return integer class labels (0 and 1 as ints), got an array of "
            f"dtype {labels.dtype} [{describe(seed, X=X)}]: convert the comparison with "
            ".astype(int)"
        )
