"""Hidden grader for act/vanishing_exploding.

Oracles: autograd through the same net built in torch (float64) for the per-layer gradient
norms, numpy's eigenvalues for the spectral radius, and torch.nn.utils.clip_grad_norm_ /
clip_grad_value_ run here on copies of the same gradients.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from katakit import misconceptions
from katakit.checks import (
    as_array,
    as_number,
    as_plain,
    assert_close,
    assert_float64_array,
    describe,
    fail,
    rng,
)

MISTAKES = misconceptions.of(__file__)

ACTIVATIONS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}


def make_net(seed, widths, n=5, gain=1.0):
    gen = rng(seed)
    weights = [
        gen.normal(0, gain / math.sqrt(widths[i]), (widths[i + 1], widths[i]))
        for i in range(len(widths) - 1)
    ]
    return weights, gen.normal(0, 1, (n, widths[0]))


def torch_norms(weights, x, activation, residual=False, drop_slope=False, drop_skip=False):
    """The oracle (and, with the drop flags, what the classic backward mistakes give)."""
    f = ACTIVATIONS[activation]
    ws = [torch.tensor(w, requires_grad=True) for w in weights]
    h = torch.tensor(x)
    for w in ws:
        a = h @ w.T
        out = f(a)
        if drop_slope:  # value of f, gradient of the identity
            out = a + (out - a).detach()
        if residual:
            out = out + (h.detach() if drop_skip else h)
        h = out
    grads = torch.autograd.grad(h.sum(), ws)
    return np.array([float(g.norm()) for g in grads])


def grad_mistakes(weights, x, activation, residual):
    expected = torch_norms(weights, x, activation, residual)
    wrong = {
        MISTAKES["backward-drops-activation-derivative"]: torch_norms(
            weights, x, activation, residual, drop_slope=True
        ),
        MISTAKES["layer-norms-reversed"]: expected[::-1].copy(),
    }
    if residual:
        wrong[MISTAKES["residual-backward-drops-skip"]] = torch_norms(
            weights, x, activation, residual, drop_skip=True
        )
    return expected, wrong


NET_CASES = [
    (11, "sigmoid", [6, 8, 8, 8, 8, 8, 4]),
    (12, "tanh", [5, 9, 7, 3, 6]),
    (13, "relu", [4, 10, 10, 7, 2]),
]


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, activation, widths", NET_CASES, ids=[c[1] for c in NET_CASES])
def test_layer_grad_norms_match_autograd(kata, seed, activation, widths):
    weights, x = make_net(seed, widths)
    got = kata.layer_grad_norms([w.copy() for w in weights], x.copy(), activation)
    expected, wrong = grad_mistakes(weights, x, activation, False)
    assert_close(
        got,
        expected,
        what=f"layer_grad_norms(weights, x, {activation!r})",
        where=describe(seed, x=x) + f", widths {widths} (autograd through the same net)",
        rtol=1e-8,
        atol=0,
        misconceptions=wrong,
    )


@pytest.mark.points(1)
def test_layer_grad_norms_is_a_float64_array_with_one_norm_per_layer(kata):
    # the type and shape the statement promises, whatever the values
    seed, activation, widths = NET_CASES[1]
    weights, x = make_net(seed, widths)
    got = kata.layer_grad_norms([w.copy() for w in weights], x.copy(), activation)
    assert_float64_array(got, f"layer_grad_norms(weights, x, {activation!r})")
    if got.shape != (len(weights),):
        fail(
            f"layer_grad_norms(weights, x, {activation!r}): expected shape ({len(weights)},), "
            f"one norm per layer, got {got.shape} [widths {widths}]"
        )


@pytest.mark.points(1)
def test_deep_sigmoid_net_vanishes_exactly_as_autograd_says(kata):
    seed, depth, width = 21, 20, 6
    weights, x = make_net(seed, [width] * (depth + 1), gain=1.0)
    got = as_array(kata.layer_grad_norms(weights, x.copy(), "sigmoid"), "layer_grad_norms")
    expected, wrong = grad_mistakes(weights, x, "sigmoid", False)
    bound = 0.25 ** (depth - 1) * math.prod(np.linalg.norm(w, 2) for w in weights[1:])
    assert_close(
        got,
        expected,
        what=f"layer_grad_norms for a {depth}-layer sigmoid net",
        where=describe(seed, x=x)
        + f"; sigmoid' <= 0.25, so the first layer's norm is at most ||x|| sqrt(N d) "
        f"* 0.25^(L-1) * prod ||W_l||_2 = {bound * np.linalg.norm(x) * math.sqrt(x.size):.3g}",
        rtol=1e-8,
        atol=0,
        misconceptions=wrong,
    )


@pytest.mark.points(2)
@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
def test_residual_net_matches_autograd(kata, activation):
    seed, depth, width = 31, 20, 6
    weights, x = make_net(seed, [width] * (depth + 1), gain=0.5)
    got = kata.layer_grad_norms([w.copy() for w in weights], x.copy(), activation, residual=True)
    expected, wrong = grad_mistakes(weights, x, activation, True)
    plain = torch_norms(weights, x, activation)
    ratio = (
        f"; the first layer's gradient is {expected[0] / plain[0]:.3g} times that of the same "
        "net without skips"
        if plain[0] > 0
        else "; without skips the first layer's gradient would be exactly 0"
    )
    assert_close(
        got,
        expected,
        what=f"layer_grad_norms(..., {activation!r}, residual=True), {depth} layers",
        where=describe(seed, x=x) + ratio,
        rtol=1e-8,
        atol=0,
        misconceptions=wrong,
    )


@pytest.mark.points(1)
def test_relu_derivative_at_zero_is_zero_in_backward(kata):
    # W_1's first row is zero, so a_1[:, 0] == 0 exactly for every sample: with relu'(0) = 0
    # no gradient reaches that row; with relu'(0) = 1 it does.
    seed = 41
    weights, x = make_net(seed, [4, 5, 3])
    weights[0][0] = 0.0
    got = kata.layer_grad_norms([w.copy() for w in weights], x.copy(), "relu")
    ws = [torch.tensor(w, requires_grad=True) for w in weights]
    a = torch.tensor(x) @ ws[0].T
    h = torch.where(a >= 0, a, torch.zeros_like(a))  # relu with slope 1 at 0
    loss = torch.relu(h @ ws[1].T).sum()
    wrong = np.array([float(g.norm()) for g in torch.autograd.grad(loss, ws)])
    assert_close(
        got,
        torch_norms(weights, x, "relu"),
        what="layer_grad_norms(weights, x, 'relu') with a_1[:, 0] == 0 exactly",
        where=describe(seed, x=x) + ", W_1[0] = 0",
        rtol=1e-8,
        atol=0,
        misconceptions={MISTAKES["relu-grad-one-at-zero"]: wrong},
    )


@pytest.mark.points(1)
def test_bad_arguments_raise_value_error(kata):
    weights, x = make_net(51, [3, 4, 4])
    calls = [
        ("activation 'softsign'", lambda: kata.layer_grad_norms(weights, x, "softsign")),
        (
            "residual=True with a (4, 3) weight",
            lambda: kata.layer_grad_norms(weights, x, "relu", residual=True),
        ),
    ]
    for what, call in calls:
        try:
            result = call()
        except ValueError:
            continue
        except Exception as exc:
            fail(f"layer_grad_norms with {what}: expected ValueError, got {type(exc).__name__}")
        fail(f"layer_grad_norms with {what}: expected ValueError, got a {type(result).__name__}")


RADIUS_CASES = {
    # non-normal: eigenvalues 0.5 and 0.9, but ||W||_2 is about 3.1
    "non-normal": np.array([[0.5, 3.0], [0.0, 0.9]]),
    # a scaled rotation: eigenvalues 0.72 +- 0.96j (modulus 1.2, real part 0.72) and 0.36
    "complex": 1.2 * np.array([[0.6, -0.8, 0.0], [0.8, 0.6, 0.0], [0.0, 0.0, 0.3]]),
    # the dominant eigenvalue is negative
    "negative": np.array([[-2.0, 0.1, 0.0], [0.0, 1.5, 0.2], [0.0, 0.0, 0.3]]),
}


@pytest.mark.points(1)
@pytest.mark.parametrize("case", list(RADIUS_CASES))
def test_spectral_radius(kata, case):
    w = RADIUS_CASES[case]
    eigenvalues = np.linalg.eigvals(w)
    got = as_number(kata.spectral_radius(w.copy()), "spectral_radius(W)")
    assert_close(
        got,
        float(np.max(np.abs(eigenvalues))),
        what="spectral_radius(W)",
        where=f"W = {w.tolist()}, eigenvalues {np.round(eigenvalues, 6).tolist()}",
        rtol=1e-9,
        atol=0,
        misconceptions={
            MISTAKES["radius-is-spectral-norm"]: np.linalg.norm(w, 2),
            MISTAKES["radius-max-real-eigenvalue"]: float(np.max(eigenvalues.real)),
        },
    )


def make_grads(seed, scale=1.0, dtype=np.float64):
    gen = rng(seed)
    shapes = [(4, 3), (3,), (2, 2, 5), (1,)]
    return [(scale * gen.normal(0, 1, s)).astype(dtype) for s in shapes]


def torch_clip(grads, max_norm, norm_type):
    params = []
    for g in grads:
        p = torch.zeros(g.shape, dtype=torch.float64, requires_grad=True)
        p.grad = torch.tensor(g, dtype=torch.float64)
        params.append(p)
    total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    return [p.grad.numpy() for p in params], float(total)


def clip_mistakes(grads, max_norm, norm_type):
    p = norm_type

    def norm(g):
        return (
            float(np.max(np.abs(g))) if math.isinf(p) else float(np.sum(np.abs(g) ** p) ** (1 / p))
        )

    norms = [norm(g) for g in grads]
    total = (
        float(np.max(norms)) if math.isinf(p) else float(np.sum(np.array(norms) ** p) ** (1 / p))
    )
    flat = lambda gs: np.concatenate([np.ravel(g) for g in gs])  # noqa: E731
    summed = sum(norms)
    return {
        MISTAKES["clip-per-tensor"]: flat(
            [g * min(1.0, max_norm / (n + 1e-6)) for g, n in zip(grads, norms, strict=True)]
        ),
        MISTAKES["clip-scales-up"]: flat([g * max_norm / (total + 1e-6) for g in grads]),
        MISTAKES["clip-no-eps"]: flat([g * min(1.0, max_norm / total) for g in grads]),
        MISTAKES["clip-sum-of-norms"]: flat(
            [g * min(1.0, max_norm / (summed + 1e-6)) for g in grads]
        ),
    }


def check_clip(kata, seed, grads, max_norm, norm_type, what_case, check_total=False, rtol=1e-6):
    """Compare with torch. rtol 1e-6 lets the + 1e-6 go unseen at ordinary totals (>= 1), so
    only the test with tiny gradients judges it."""
    before = [g.copy() for g in grads]
    result = kata.clip_grad_norm([g.copy() for g in grads], max_norm, norm_type)
    expected, total = torch_clip(before, max_norm, norm_type)
    where = (
        describe(seed)
        + f", shapes {[g.shape for g in grads]}, max_norm={max_norm}, "
        + (f"norm_type={norm_type}; {what_case}, the total norm is {total:.6g}")
    )
    try:
        clipped, got_total = result
    except (TypeError, ValueError):
        fail(f"clip_grad_norm must return (clipped, total), got {type(result).__name__} [{where}]")
    if check_total:
        after = torch_clip(expected, math.inf if norm_type == math.inf else 1e300, norm_type)[1]
        assert_close(
            as_number(got_total, "total norm"),
            total,
            what="the total norm returned by clip_grad_norm",
            where=where,
            rtol=1e-9,
            atol=0,
            misconceptions={
                MISTAKES["clip-sum-of-norms"]: sum(
                    float(np.linalg.norm(g.ravel(), norm_type)) for g in before
                ),
                MISTAKES["clip-total-after-clipping"]: after,
            },
        )
        return
    clipped = list(clipped)
    if len(clipped) != len(grads):
        fail(f"clip_grad_norm returned {len(clipped)} arrays for {len(grads)} gradients [{where}]")
    for i, (c, g) in enumerate(zip(clipped, grads, strict=True)):
        shape = tuple(getattr(c, "shape", ()))
        if shape != g.shape:
            fail(f"clipped gradient {i}: expected shape {g.shape}, got {shape} [{where}]")
    assert_close(
        np.concatenate([as_array(c, "clipped gradient").ravel() for c in clipped]),
        np.concatenate([e.ravel() for e in expected]),
        what="the clipped gradients, all tensors flattened and concatenated",
        where=where,
        rtol=rtol,
        atol=1e-300,
        misconceptions=clip_mistakes(before, max_norm, norm_type),
    )


@pytest.mark.points(2)
def test_clip_grad_norm_scales_all_tensors_by_one_factor(kata):
    seed = 61
    check_clip(kata, seed, make_grads(seed, 3.0), 2.0, 2.0, "above max_norm")


@pytest.mark.points(1)
def test_clip_grad_norm_returns_total_norm_before_clipping(kata):
    seed = 62
    check_clip(kata, seed, make_grads(seed, 3.0), 2.0, 2.0, "above max_norm", check_total=True)


@pytest.mark.points(1)
def test_clip_grad_norm_leaves_small_gradients_alone(kata):
    seed = 63
    check_clip(kata, seed, make_grads(seed, 0.1), 5.0, 2.0, "below max_norm")


@pytest.mark.points(1)
@pytest.mark.parametrize("norm_type", [1.0, math.inf], ids=["l1", "inf"])
def test_clip_grad_norm_other_norm_types(kata, norm_type):
    seed = 64
    check_clip(kata, seed, make_grads(seed, 2.0), 1.5, norm_type, "above max_norm")


@pytest.mark.points(1)
def test_clip_grad_norm_adds_eps_to_the_total(kata):
    seed = 65
    grads = make_grads(seed, 1e-5)
    check_clip(kata, seed, grads, 1e-5, 2.0, "tiny gradients, where the 1e-6 shows", rtol=1e-9)


@pytest.mark.points(1)
def test_clip_grad_norm_all_zero_gradients(kata):
    grads = [np.zeros((3, 2)), np.zeros(4)]
    result = kata.clip_grad_norm([g.copy() for g in grads], 1.0)
    clipped, total = result
    flat = np.concatenate([as_array(c, "clipped gradient").ravel() for c in clipped])
    if not np.all(flat == 0):
        fail(
            f"clip_grad_norm of all-zero gradients: expected zeros, got {flat.tolist()} "
            f"(max_norm / (0 + 1e-6) is clamped to 1, never 0 / 0)"
        )
    assert_close(as_number(total, "total norm"), 0.0, what="total norm of zero gradients")


@pytest.mark.points(1)
@pytest.mark.parametrize("norm_type", [2.0, math.inf], ids=["l2", "inf"])
def test_clip_grad_norm_of_no_gradients(kata, norm_type):
    result = kata.clip_grad_norm([], 1.0, norm_type)
    try:
        clipped, total = result
    except (TypeError, ValueError):
        fail(f"clip_grad_norm([], 1.0, {norm_type}) must return ([], 0.0), got {result!r}")
    clipped = as_plain(clipped, "clipped gradients of an empty list")
    if clipped != []:
        fail(f"clip_grad_norm([], 1.0, {norm_type}): expected no clipped arrays, got {clipped}")
    assert_close(
        as_number(total, "total norm"),
        0.0,
        what=f"the total norm of no gradients (norm_type={norm_type})",
        atol=0,
    )


@pytest.mark.points(1)
def test_clipping_keeps_float32_gradients_float32(kata):
    seed = 66
    grads = make_grads(seed, 3.0, np.float32)
    found = []
    clipped_norm, _ = kata.clip_grad_norm([g.copy() for g in grads], 2.0)
    clipped_value = kata.clip_grad_value([g.copy() for g in grads], 1.25)
    for what, clipped in (("clip_grad_norm", clipped_norm), ("clip_grad_value", clipped_value)):
        for i, c in enumerate(clipped):
            dtype = str(getattr(c, "dtype", type(c).__name__)).replace("torch.", "")
            if dtype != "float32":
                found.append(f"{what}: gradient {i} came back as {dtype}")
    if found:
        fail(
            "float32 gradients must stay float32 (new arrays of the same dtypes): "
            + "; ".join(found)
            + f" [{describe(seed)}, shapes {[g.shape for g in grads]}]. NumPy turns a float32 "
            "array times a NumPy float64 scalar (np.minimum(...), a total from np.sum) into "
            "float64: cast back, or scale by a Python float."
        )


@pytest.mark.points(1)
def test_clip_grad_value_matches_torch(kata):
    seed = 71
    grads = make_grads(seed, 2.0)
    clipped = kata.clip_grad_value([g.copy() for g in grads], 1.25)
    params = []
    for g in grads:
        p = torch.zeros(g.shape, dtype=torch.float64, requires_grad=True)
        p.grad = torch.tensor(g)
        params.append(p)
    torch.nn.utils.clip_grad_value_(params, 1.25)
    flat = np.concatenate([g.ravel() for g in grads])
    assert_close(
        np.concatenate([as_array(c, "clipped gradient").ravel() for c in clipped]),
        np.concatenate([p.grad.numpy().ravel() for p in params]),
        what="clip_grad_value(grads, 1.25), all tensors flattened and concatenated",
        where=describe(seed) + f", shapes {[g.shape for g in grads]}",
        rtol=0,
        atol=0,
        misconceptions={
            MISTAKES["clip-value-one-sided"]: np.minimum(flat, 1.25),
        },
    )
