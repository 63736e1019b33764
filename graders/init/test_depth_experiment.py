"""Hidden grader for init/depth_experiment.

Oracles: the grader draws the weights itself by the statement's draw contract and runs its own
forward pass in torch (float64); the training steps are checked against gradients from torch
autograd with plain SGD steps. The qualitative bands (vanishing, saturation, a stable band) are the
statement's, checked on the learner's numbers at fixed seeds.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from katakit import misconceptions
from katakit.checks import (
    as_array,
    assert_close,
    assert_equal,
    assert_unchanged,
    describe,
    fail,
    rng,
    snapshot,
)

MISTAKES = misconceptions.of(__file__)

TORCH_ACTIVATIONS = {"tanh": torch.tanh, "relu": torch.relu, "linear": lambda z: z}


def init_std(init, fan_in, fan_out):
    if init == "xavier":
        return math.sqrt(2 / (fan_in + fan_out))
    if init == "he":
        return math.sqrt(2 / fan_in)
    return float(init)


def contract_weights(widths, init, gen, transposed=False):
    """The statement's draw contract: one standard_normal((out, in)) * std per layer, in order."""
    weights = []
    for fan_in, fan_out in itertools.pairwise(widths):
        std = init_std(init, fan_in, fan_out)
        if transposed:
            weights.append(gen.standard_normal((fan_in, fan_out)).T * std)
        else:
            weights.append(gen.standard_normal((fan_out, fan_in)) * std)
    return weights


def torch_stds(x, weights, activation, *, pre=False, ddof=0, per_unit=False):
    """Per-layer std of h = f(h @ W.T), from torch; the keywords give the classic mistakes."""
    f = TORCH_ACTIVATIONS[activation]
    h = torch.tensor(x, dtype=torch.float64)
    stds = []
    for w in weights:
        z = h @ torch.tensor(w, dtype=torch.float64).T
        h = f(z)
        seen = z if pre else h
        if per_unit:
            stds.append(float(seen.std(dim=0, correction=ddof).mean()))
        else:
            stds.append(float(seen.std(correction=ddof)))
    return np.array(stds)


def stds_mistakes(x, weights, activation):
    mistakes = {
        MISTAKES["input-std-every-layer"]: [float(np.std(x))] * len(weights),
        MISTAKES["activation-left-out"]: torch_stds(x, weights, "linear"),
        MISTAKES["pre-activation-std"]: (torch_stds(x, weights, activation, pre=True)),
        MISTAKES["sample-std-ddof-1"]: (torch_stds(x, weights, activation, ddof=1)),
        MISTAKES["per-unit-std-averaged"]: torch_stds(x, weights, activation, per_unit=True),
    }
    return {name: wrong for name, wrong in mistakes.items() if len(wrong) == len(weights)}


def as_stds(result, depth, what, where):
    stds = as_array(result, what)
    if stds.shape != (depth,):
        fail(f"{what}: expected {depth} numbers, one per layer, got shape {stds.shape} [{where}]")
    return stds


# -- make_weights ------------------------------------------------------------------------------


def check_weights(kata, widths, init, seed):
    where = describe(seed, widths=widths, init=init)
    result = kata.make_weights(list(widths), init, rng(seed))
    if not isinstance(result, list | tuple) or len(result) != len(widths) - 1:
        fail(
            f"make_weights: expected a list of {len(widths) - 1} matrices, got "
            f"{type(result).__name__} [{where}]"
        )
    expected = contract_weights(widths, init, rng(seed))
    transposed = contract_weights(widths, init, rng(seed), transposed=True)
    for layer, (w, want, wrong_t) in enumerate(zip(result, expected, transposed, strict=True)):
        fan_in, fan_out = widths[layer], widths[layer + 1]
        named = {
            MISTAKES["drawn-transposed"]: wrong_t,
        }
        draws = rng(seed)
        for earlier in expected[:layer]:
            draws.standard_normal(earlier.shape)
        z = draws.standard_normal(want.shape)
        if init == "xavier":
            named[MISTAKES["glorot-with-fan-in"]] = z * (math.sqrt(1 / fan_in))
        if init == "he":
            named[MISTAKES["he-with-fan-out"]] = z * math.sqrt(2 / fan_out)
            named[MISTAKES["variance-as-std"]] = z * (2 / fan_in)
        assert_close(
            w,
            want,
            what=f"make_weights layer {layer} (shape (fan_out, fan_in) = {want.shape})",
            where=where,
            rtol=1e-12,
            atol=1e-15,
            misconceptions=named,
        )


@pytest.mark.points(1)
def test_make_weights_with_a_fixed_std_follows_the_draw_contract(kata):
    check_weights(kata, (5, 7, 3, 4), 0.3, 11)
    check_weights(kata, (4, 4), 1, 12)


@pytest.mark.points(1)
def test_make_weights_xavier_and_he_use_the_layer_fans(kata):
    check_weights(kata, (6, 10, 4, 9), "xavier", 13)
    check_weights(kata, (6, 10, 4, 9), "he", 14)


# -- activation_stds ---------------------------------------------------------------------------


@pytest.mark.points(1)
@pytest.mark.parametrize("activation", ["tanh", "relu", "linear"])
def test_activation_stds_match_a_torch_forward(kata, activation):
    # One activation per test: a missing branch (say "linear", the identity) costs its own point.
    seed = {"tanh": 21, "relu": 22, "linear": 23}[activation]
    gen = rng(seed)
    x = gen.normal(0.5, 1.5, (9, 6))
    weights = [
        gen.normal(0, s, shape) for s, shape in [(0.6, (5, 6)), (0.8, (7, 5)), (1.2, (4, 7))]
    ]
    before = snapshot(x=x)
    result = kata.activation_stds(x, [w.copy() for w in weights], activation)
    where = describe(seed, x=x, activation=activation) + ", weights (5, 6), (7, 5), (4, 7)"
    what = "activation_stds" + (' with "linear" (the identity)' if activation == "linear" else "")
    assert_close(
        as_stds(result, 3, "activation_stds", where),
        torch_stds(x, weights, activation),
        what=what,
        where=where,
        rtol=1e-9,
        misconceptions=stds_mistakes(x, weights, activation),
    )
    assert_unchanged(before, x=x)


# -- the experiment ----------------------------------------------------------------------------


def contract_experiment(init, activation, depth, width, batch, seed, weights_first=False):
    gen = rng(seed)
    if weights_first:
        weights = contract_weights([width] * (depth + 1), init, gen)
        x = gen.standard_normal((batch, width))
    else:
        x = gen.standard_normal((batch, width))
        weights = contract_weights([width] * (depth + 1), init, gen)
    return x, weights


@pytest.mark.points(1)
def test_depth_experiment_reproduces_the_draw_contract(kata):
    for init, activation, depth, width, batch, seed in [
        ("he", "relu", 6, 16, 10, 31),
        (0.2, "tanh", 4, 12, 7, 32),
    ]:
        x, weights = contract_experiment(init, activation, depth, width, batch, seed)
        where = describe(seed, init=init, activation=activation, depth=depth, width=width) + (
            f", batch={batch}"
        )
        result = kata.depth_experiment(init, activation, depth, width, batch, seed)
        misconceptions = stds_mistakes(x, weights, activation)
        x_late, w_early = contract_experiment(init, activation, depth, width, batch, seed, True)
        misconceptions[MISTAKES["weights-drawn-before-x"]] = torch_stds(x_late, w_early, activation)
        assert_close(
            as_stds(result, depth, "depth_experiment", where),
            torch_stds(x, weights, activation),
            what="depth_experiment",
            where=where,
            rtol=1e-9,
            misconceptions=misconceptions,
        )


def experiment(kata, init, activation, seed):
    where = describe(seed, init=init, activation=activation) + ", depth 20, width 100, batch 200"
    result = kata.depth_experiment(init, activation, 20, 100, 200, seed)
    return as_stds(result, 20, "depth_experiment", where), where


def show(stds):
    return np.array2string(np.asarray(stds), precision=3, max_line_width=90)


@pytest.mark.points(1)
def test_tanh_with_std_0_01_vanishes(kata):
    stds, where = experiment(kata, 0.01, "tanh", 0)
    if not (np.all(np.diff(stds) < 0) and stds[-1] < 1e-12):
        fail(
            f"tanh with weight std 0.01: the std should fall at every layer and end below 1e-12 "
            f"(each layer multiplies it by about 0.01 * sqrt(100) = 0.1) [{where}]\n"
            f"  got {show(stds)}"
        )


@pytest.mark.points(1)
def test_tanh_with_std_1_saturates(kata):
    stds, where = experiment(kata, 1.0, "tanh", 1)
    if not (np.all(stds > 0.9) and np.all(stds <= 1.0)):
        fail(
            f"tanh with weight std 1: pre-activations of std ~10 saturate tanh at +-1, so every "
            f"layer's std should lie in (0.9, 1] [{where}]\n  got {show(stds)}"
        )


@pytest.mark.points(1)
def test_xavier_with_tanh_stays_in_a_band(kata):
    stds, where = experiment(kata, "xavier", "tanh", 2)
    if not np.all((stds >= 0.1) & (stds <= 1.0)):
        fail(
            f"Xavier init with tanh: every layer's std should stay within [0.1, 1] [{where}]\n"
            f"  got {show(stds)}"
        )


@pytest.mark.points(1)
def test_he_with_relu_stays_in_a_band(kata):
    stds, where = experiment(kata, "he", "relu", 3)
    if not np.all((stds >= 0.1) & (stds <= 10.0)):
        fail(
            f"He init with ReLU: every layer's std should stay within [0.1, 10] [{where}]\n"
            f"  got {show(stds)}"
        )


@pytest.mark.points(1)
def test_xavier_with_relu_decays(kata):
    stds, where = experiment(kata, "xavier", "relu", 4)
    if not (stds[-1] < 0.01 and stds[-1] > 0):
        fail(
            f"Xavier init with ReLU: ReLU halves the second moment at every layer, so the std at "
            f"layer 20 should be below 0.01 (but not 0) [{where}]\n  got {show(stds)}"
        )


# -- symmetry ----------------------------------------------------------------------------------


def torch_train(x, y, w1, w2, lr, steps):
    """Oracle: the same two-layer net, gradients from autograd, plain SGD steps.

    (``p -= lr * p.grad`` is exactly ``torch.optim.SGD`` without momentum; constructing the
    optimiser would cost seconds of imports on first use.)
    """
    p1 = torch.tensor(w1, dtype=torch.float64, requires_grad=True)
    p2 = torch.tensor(w2, dtype=torch.float64, requires_grad=True)
    xt, yt = torch.tensor(x), torch.tensor(y)
    for _ in range(steps):
        loss = torch.nn.functional.mse_loss(torch.tanh(xt @ p1.T) @ p2.T, yt)
        grad1, grad2 = torch.autograd.grad(loss, (p1, p2))
        with torch.no_grad():
            p1 -= lr * grad1
            p2 -= lr * grad2
    return p1.detach().numpy(), p2.detach().numpy()


def numpy_train(x, y, w1, w2, lr, steps, *, derivative=True, scale=None, sequential=False):
    """The classic backward-pass mistakes, for naming them."""
    for _ in range(steps):
        h = np.tanh(x @ w1.T)
        out = h @ w2.T
        dout = 2 * (out - y) / (out.size if scale is None else scale)
        grad_w2 = dout.T @ h
        if sequential:
            w2 = w2 - lr * grad_w2
        dz = (dout @ w2) * ((1 - h**2) if derivative else 1.0)
        w1 = w1 - lr * (dz.T @ x)
        if not sequential:
            w2 = w2 - lr * grad_w2
    return w1, w2


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, steps", [(41, 1), (42, 4)])
def test_train_two_layer_matches_autograd_sgd(kata, seed, steps):
    gen = rng(seed)
    x, y = gen.normal(0, 1, (8, 3)), gen.normal(0, 1, (8, 2))
    w1, w2, lr = gen.normal(0, 0.7, (5, 3)), gen.normal(0, 0.7, (2, 5)), 0.3
    where = describe(seed, x=x, w1=w1, w2=w2, lr=lr, steps=steps)
    result = kata.train_two_layer(x.copy(), y.copy(), w1.copy(), w2.copy(), lr, steps)
    if not isinstance(result, list | tuple) or len(result) != 2:
        fail(f"train_two_layer: expected a pair (w1, w2), got {type(result).__name__} [{where}]")
    want1, want2 = torch_train(x, y, w1, w2, lr, steps)
    variants = {
        MISTAKES["tanh-derivative-left-out"]: {"derivative": False},
        MISTAKES["loss-summed"]: {"scale": 1},
        MISTAKES["loss-mean-over-batch-only"]: {"scale": x.shape[0]},
        MISTAKES["sequential-update"]: {"sequential": True},
    }
    wrong = {name: numpy_train(x, y, w1, w2, lr, steps, **kw) for name, kw in variants.items()}
    for index, (got, want) in enumerate(zip(result, (want1, want2), strict=True)):
        assert_close(
            got,
            want,
            what=f"trained w{index + 1}",
            where=where,
            rtol=1e-9,
            atol=1e-12,
            misconceptions={name: pair[index] for name, pair in wrong.items()},
        )


@pytest.mark.points(1)
def test_train_two_layer_leaves_its_inputs_unmodified(kata):
    # The arrays themselves are passed (the test above passes copies, so an in-place update
    # costs only this test): w1 -= lr * grad_w1 on the caller's array changes the caller's weights.
    seed = 43
    gen = rng(seed)
    x, y = gen.normal(0, 1, (6, 3)), gen.normal(0, 1, (6, 2))
    w1, w2 = gen.normal(0, 0.7, (4, 3)), gen.normal(0, 0.7, (2, 4))
    before = snapshot(x=x, y=y, w1=w1, w2=w2)
    kata.train_two_layer(x, y, w1, w2, 0.3, 2)
    assert_unchanged(before, x=x, y=y, w1=w1, w2=w2)


def symmetry_case(seed, w1, w2):
    gen = rng(seed)
    return gen.normal(0, 1, (10, 4)), gen.normal(0, 1, (10, 3)), w1, w2


@pytest.mark.points(1)
def test_constant_and_zero_init_stay_symmetric(kata):
    cases = {
        "every weight 0.3": (np.full((6, 4), 0.3), np.full((3, 6), 0.3)),
        "w1 all -0.2, w2 all 0.5": (np.full((6, 4), -0.2), np.full((3, 6), 0.5)),
        "all zeros": (np.zeros((6, 4)), np.zeros((3, 6))),
        # each unit's incoming weights differ across inputs, but every unit has the same ones
        "identical rows of w1 and columns of w2, not constant": (
            np.tile(rng(50).normal(0, 0.5, (1, 4)), (6, 1)),
            np.tile(rng(51).normal(0, 0.5, (3, 1)), (1, 6)),
        ),
    }
    for seed, (name, (w1, w2)) in enumerate(cases.items(), start=52):
        x, y, w1, w2 = symmetry_case(seed, w1, w2)
        got = kata.symmetric_after_training(x, y, w1, w2, lr=0.2, steps=10)
        assert_equal(
            got,
            True,
            what=f"symmetric_after_training with {name}",
            where=describe(seed, x=x, w1=w1, w2=w2) + ", lr 0.2, 10 steps",
        )


@pytest.mark.points(1)
def test_random_init_breaks_symmetry(kata):
    gen = rng(60)
    cases = {
        "random w1 and w2": (gen.normal(0, 0.5, (6, 4)), gen.normal(0, 0.5, (3, 6))),
        "constant w1, random w2": (np.full((6, 4), 0.3), gen.normal(0, 0.5, (3, 6))),
        "random w1, constant w2": (gen.normal(0, 0.5, (6, 4)), np.full((3, 6), 0.3)),
    }
    for seed, (name, (w1, w2)) in enumerate(cases.items(), start=61):
        x, y, w1, w2 = symmetry_case(seed, w1, w2)
        got = kata.symmetric_after_training(x, y, w1, w2, lr=0.2, steps=10)
        assert_equal(
            got,
            False,
            what=f"symmetric_after_training with {name}",
            where=describe(seed, x=x, w1=w1, w2=w2) + ", lr 0.2, 10 steps",
        )


@pytest.mark.points(1)
def test_symmetry_is_judged_with_the_stated_tolerances(kata):
    # Units that start 1e-7 apart stay about that far apart: distinct under rtol=1e-9,
    # atol=1e-12 (the statement's tolerances), identical under np.allclose's defaults.
    seed = 70
    w1 = np.full((6, 4), 0.3)
    w1[1:] += rng(seed).normal(0, 1e-7, (5, 4))
    w2 = np.full((3, 6), 0.3)
    x, y, w1, w2 = symmetry_case(seed + 1, w1, w2)
    t1, t2 = torch_train(x, y, w1, w2, 0.2, 10)
    expected = bool(
        np.allclose(t1, t1[:1], rtol=1e-9, atol=1e-12)
        and np.allclose(t2, t2[:, :1], rtol=1e-9, atol=1e-12)
    )
    got = kata.symmetric_after_training(x, y, w1, w2, lr=0.2, steps=10)
    assert_equal(
        got,
        expected,
        what="symmetric_after_training with rows of w1 that differ by about 1e-7",
        where=describe(seed + 1, x=x, w1=w1, w2=w2)
        + ", lr 0.2, 10 steps; compare with np.allclose(..., rtol=1e-9, atol=1e-12)",
    )
