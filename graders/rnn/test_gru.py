"""Hidden grader for rnn/gru.

Oracles: torch.nn.GRUCell built here with the same weights copied in, torch autograd through it
for the gradients, and torch.nn.GRU's parameter count. The learner's cell is differentiated on the
learner's side by a probe; when its forward pass is wrong (charged in the value tests), the
gradient test checks the learner's gradient against central differences of the learner's own cell.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from katakit import misconceptions
from katakit.checks import as_array, as_number, assert_close, assert_equal, describe, fail, rng
from katakit.sandbox import probe

MISTAKES = misconceptions.of(__file__)
NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
LEAF_NAMES = ("x", "h", *NAMES)


def draw(seed, B, n_in, H, dtype=torch.float64):
    """Inputs, a state and weights with gates away from 0, 1/2 and 1 and a sizeable b_hn, so
    every mistake shows."""
    gen = rng(seed)

    def t(*shape, scale=1.0):
        return torch.tensor(gen.normal(0, scale, shape), dtype=dtype)

    weights = [t(3 * H, n_in, scale=0.7), t(3 * H, H, scale=0.7), t(3 * H, scale=0.6)]
    weights.append(t(3 * H, scale=0.6))
    return t(B, n_in), t(B, H), weights


def torch_cell(x, h, weights):
    cell = torch.nn.GRUCell(x.shape[-1], h.shape[-1]).to(x.dtype)
    with torch.no_grad():
        for name, w in zip(NAMES, weights, strict=True):
            getattr(cell, name).copy_(w)
    return cell


def wrong_cell(x, h, weights, mistake):
    """What a classic mistake computes."""
    w_ih, w_hh, b_ih, b_hh = weights
    order = mistake if mistake in ("zrn",) else "rzn"
    wi = dict(zip(order, w_ih.chunk(3), strict=True))
    wh = dict(zip(order, w_hh.chunk(3), strict=True))
    bi = dict(zip(order, b_ih.chunk(3), strict=True))
    bh = dict(zip(order, b_hh.chunk(3), strict=True))
    r = torch.sigmoid(x @ wi["r"].T + bi["r"] + h @ wh["r"].T + bh["r"])
    z = torch.sigmoid(x @ wi["z"].T + bi["z"] + h @ wh["z"].T + bh["z"])
    if mistake == "before-matmul":
        hidden = (r * h) @ wh["n"].T + bh["n"]
    elif mistake == "outside-bias":
        hidden = r * (h @ wh["n"].T) + bh["n"]
    else:
        hidden = r * (h @ wh["n"].T + bh["n"])
    n = torch.tanh(x @ wi["n"].T + bi["n"] + hidden)
    if mistake == "swapped":
        return z * n + (1 - z) * h
    return (1 - z) * n + z * h


def cell_mistakes(x, h, weights):
    return {
        MISTAKES["gru-reset-before-matmul"]: wrong_cell(x, h, weights, "before-matmul"),
        MISTAKES["gru-reset-outside-bias"]: wrong_cell(x, h, weights, "outside-bias"),
        MISTAKES["gru-update-swapped"]: wrong_cell(x, h, weights, "swapped"),
        MISTAKES["gru-gate-order"]: wrong_cell(x, h, weights, "zrn"),
    }


@pytest.mark.points(2)
@pytest.mark.parametrize("seed, B, n_in, H", [(21, 4, 3, 5), (22, 1, 5, 2)])
def test_cell_matches_torch_grucell(kata, seed, B, n_in, H):
    x, h, weights = draw(seed, B, n_in, H)
    got = kata.gru_cell(x, h, *weights)
    with torch.no_grad():
        expected = torch_cell(x, h, weights)(x, h)
    assert_close(
        got,
        expected,
        what="h_new",
        where=describe(seed, x=x, h=h, weight_ih=weights[0]),
        misconceptions=cell_mistakes(x, h, weights),
    )


@pytest.mark.points(1)
def test_cell_with_a_zero_state_and_zero_hidden_bias(kata):
    # With h = 0 the reset gate's place shows only through b_hn: make it the only hidden term.
    seed = 23
    x, _, weights = draw(seed, 3, 4, 3)
    h = torch.zeros(3, 3, dtype=torch.float64)
    got = kata.gru_cell(x, h, *weights)
    with torch.no_grad():
        expected = torch_cell(x, h, weights)(x, h)
    assert_close(
        got,
        expected,
        what="h_new from a zero state (h = 0, so W_hn h = 0 and r scales b_hn alone)",
        where=describe(seed, x=x, h=h),
        misconceptions={
            # from h = 0 both misplacements of r leave b_hn unscaled: they coincide, so neither
            # is named here; the tests from a non-zero state tell them apart
            MISTAKES["gru-reset-before-matmul"]: wrong_cell(x, h, weights, "outside-bias"),
            MISTAKES["gru-reset-outside-bias"]: wrong_cell(x, h, weights, "outside-bias"),
            MISTAKES["gru-update-swapped"]: wrong_cell(x, h, weights, "swapped"),
        },
    )


@pytest.mark.points(1)
def test_cell_keeps_float32(kata):
    # Values are graded in float64 above: here the dtype, and agreement with the learner's own
    # float64 result.
    seed = 24
    x, h, weights = draw(seed, 3, 4, 5)
    got32 = kata.gru_cell(x.float(), h.float(), *(w.float() for w in weights))
    got64 = kata.gru_cell(x, h, *weights)
    where = describe(seed, x=x.float(), h=h.float())
    dtype = str(getattr(got32, "dtype", type(got32).__name__)).replace("torch.", "")
    if dtype != "float32":
        fail(f"h_new dtype: expected float32 for float32 inputs, got {dtype} [{where}]")
    assert_close(
        got32,
        got64,
        what="h_new for float32 inputs, against your own float64 result",
        where=where,
        rtol=1e-5,
        atol=1e-6,
    )


@probe
def cell_gradients(fn, leaves, upstream):
    """On the learner side: h_new and the gradients of sum(h_new * upstream) w.r.t. every input."""
    import torch

    leaves = [t.clone().requires_grad_(True) for t in leaves]
    try:
        out = fn(*leaves)
        grads = torch.autograd.grad((out * upstream).sum(), leaves, allow_unused=True)
    except RuntimeError as exc:
        return {"error": str(exc).splitlines()[0]}
    return {"out": out.detach().clone(), "grads": [None if g is None else g.clone() for g in grads]}


@probe
def central_differences(fn, leaves, upstream, directions, step):
    """On the learner side: the derivative of sum(h_new * upstream) along each direction, by
    central differences."""
    import torch

    def loss(sign, direction):
        with torch.no_grad():
            moved = [t + sign * step * d for t, d in zip(leaves, direction, strict=True)]
            return float((fn(*moved) * upstream).sum())

    return [(loss(1, d) - loss(-1, d)) / (2 * step) for d in directions]


def cut_gradients(x, h, weights, upstream):
    """The gradients when the candidate's pre-activation leaves the graph (a NumPy tanh)."""
    leaves = [t.clone().requires_grad_(True) for t in (x, h, *weights)]
    xs, hs, w_ih, w_hh, b_ih, b_hh = leaves
    gi, gh = xs @ w_ih.T + b_ih, hs @ w_hh.T + b_hh
    (i_r, i_z, i_n), (h_r, h_z, h_n) = gi.chunk(3, dim=-1), gh.chunk(3, dim=-1)
    r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
    n = torch.tanh(i_n + r * h_n).detach()
    out = (1 - z) * n + z * hs
    grads = torch.autograd.grad((out * upstream).sum(), leaves, allow_unused=True)
    return [torch.zeros_like(t) if g is None else g for g, t in zip(grads, leaves, strict=True)]


@pytest.mark.points(2)
def test_gradients_match_torch_grucell_autograd(kata):
    seed = 25
    x, h, weights = draw(seed, 3, 4, 5)
    gen = rng(seed + 1)
    upstream = torch.tensor(gen.normal(0, 1, (3, 5)))
    leaves = [x, h, *weights]
    where = describe(seed, x=x, h=h) + "; loss = sum(h_new * u) with a fixed random u"
    got = cell_gradients(kata.gru_cell, leaves, upstream)
    if "error" in got:
        fail(f"backward through gru_cell failed: {got['error']} [{where}]")
    cell = torch_cell(x, h, weights)
    xs, hs = x.clone().requires_grad_(True), h.clone().requires_grad_(True)
    out = cell(xs, hs)
    params = [getattr(cell, name) for name in NAMES]
    expected = torch.autograd.grad((out * upstream).sum(), [xs, hs, *params])
    got_out = as_array(got["out"], "h_new")
    if got_out.shape != tuple(out.shape) or not np.allclose(got_out, out.detach().numpy()):
        # A wrong forward pass is charged elsewhere: check the gradient of the learner's own cell.
        one = [torch.tensor(gen.normal(0, 1, tuple(t.shape))) for t in leaves]
        directions = [one]
        for k in range(len(leaves)):
            directions.append(
                [one[j] if j == k else torch.zeros_like(t) for j, t in enumerate(leaves)]
            )
        numeric = central_differences(kata.gru_cell, leaves, upstream, directions, 1e-6)
        grads = [
            torch.zeros_like(t) if g is None else g
            for g, t in zip(got["grads"], leaves, strict=True)
        ]
        for name, d, value in zip(("all inputs", *LEAF_NAMES), directions, numeric, strict=True):
            assert_close(
                float(sum((g * v).sum() for g, v in zip(grads, d, strict=True))),
                value,
                what=f"derivative of the loss along a random direction in {name}: autograd "
                "through your gru_cell vs central differences of it",
                where=where,
                rtol=1e-5,
                atol=1e-7,
            )
        return
    cut = cut_gradients(x, h, weights, upstream)
    for name, g, e, wrong in zip(LEAF_NAMES, got["grads"], expected, cut, strict=True):
        if g is None:
            fail(
                f"the gradient with respect to {name} is missing: {name} does not reach the "
                f"output through autograd's graph [{where}]"
            )
        assert_close(
            g,
            e,
            what=f"d loss / d {name}",
            where=where,
            misconceptions={MISTAKES["gradient-cut"]: wrong},
        )


@pytest.mark.points(1)
@pytest.mark.parametrize("n_in, H", [(10, 20), (3, 7)])
def test_parameter_count_matches_torch_gru(kata, n_in, H):
    expected = sum(p.numel() for p in torch.nn.GRU(n_in, H).parameters())
    assert_equal(
        as_number(kata.gru_num_parameters(n_in, H), "gru_num_parameters"),
        expected,
        what="gru_num_parameters",
        where=f"input_size {n_in}, hidden_size {H}",
        misconceptions={
            MISTAKES["gru-count-four-blocks"]: expected // 3 * 4,
            MISTAKES["lstm-count-one-bias"]: expected - 3 * H,
        },
    )


@pytest.mark.points(1)
def test_parameter_counts_are_python_ints(kata):
    found = []
    for name in ["gru_num_parameters"]:
        result = getattr(kata, name)(10, 20)
        if type(result) is not int:
            kind = f"{type(result).__module__}.{type(result).__name__}"
            found.append(f"{name}(10, 20) returned {kind} {result!r}")
    if found:
        fail(
            "; ".join(found)
            + ": the statement asks for a Python int (a NumPy integer, a float or a tensor is "
            "not one)"
        )
