"""Hidden grader for rnn/lstm.

Oracles: torch.nn.LSTMCell and torch.nn.LSTM built here with the same weights copied in, and
torch autograd through torch.nn.LSTM for the gradients; parameter counts from torch's modules.
The learner's sequence is differentiated on the learner's side by a probe. A mistake in the cell
is charged in the cell tests only: the sequence tests also accept the exact unrolling of the
learner's own cell, and the gradient test then checks the learner's gradient against central
differences of the learner's own function.
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


def draw(seed, T, B, n_in, H, dtype=torch.float64):
    """Inputs, a state and weights of a scale where every gate is far from saturation and from
    1/2, so each mistake shows."""
    gen = rng(seed)

    def t(*shape, scale=1.0):
        return torch.tensor(gen.normal(0, scale, shape), dtype=dtype)

    x = t(T, B, n_in) if T else t(B, n_in)
    weights = [
        t(4 * H, n_in, scale=0.6),
        t(4 * H, H, scale=0.6),
        t(4 * H, scale=0.5),
        t(4 * H, scale=0.5),
    ]
    return x, t(B, H), t(B, H, scale=1.5), weights


def torch_cell(x, h, c, weights):
    cell = torch.nn.LSTMCell(x.shape[-1], h.shape[-1]).to(x.dtype)
    with torch.no_grad():
        for name, w in zip(NAMES, weights, strict=True):
            getattr(cell, name).copy_(w)
        h_new, c_new = cell(x, (h, c))
    return h_new, c_new


def torch_lstm(x, h0, c0, weights):
    """torch.nn.LSTM with the weights copied in, and the module's parameters in NAMES order."""
    module = torch.nn.LSTM(x.shape[-1], h0.shape[-1]).to(x.dtype)
    with torch.no_grad():
        for name, w in zip(NAMES, weights, strict=True):
            getattr(module, name + "_l0").copy_(w)
    params = [getattr(module, name + "_l0") for name in NAMES]
    return module, params


def wrong_cell(x, h, c, weights, mistake):
    """What a classic mistake computes for one step."""
    w_ih, w_hh, b_ih, b_hh = weights
    z = x @ w_ih.T + b_ih + h @ w_hh.T + (0 if mistake == "one-bias" else b_hh)
    blocks = dict(zip("ifgo", z.chunk(4, dim=-1), strict=True))
    if mistake in ("ifog", "figo", "igfo"):
        blocks = dict(zip(mistake, z.chunk(4, dim=-1), strict=True))
    i, f, o = (torch.sigmoid(blocks[k]) for k in "ifo")
    g = torch.sigmoid(blocks["g"]) if mistake == "g-sigmoid" else torch.tanh(blocks["g"])
    c_new = f * c + i * g
    h_new = o * (c_new if mistake == "no-tanh" else torch.tanh(c_new))
    return h_new, c_new


def cell_mistakes(x, h, c, weights, part):
    k = 0 if part == "h" else 1
    found = {}
    for order in ("ifog", "figo", "igfo"):
        found[MISTAKES["lstm-gate-order"].en + f" (read as {', '.join(order)})"] = wrong_cell(
            x, h, c, weights, order
        )[k]
    found[MISTAKES["lstm-candidate-sigmoid"]] = wrong_cell(x, h, c, weights, "g-sigmoid")[k]
    found[MISTAKES["one-bias-only"]] = wrong_cell(x, h, c, weights, "one-bias")[k]
    if part == "h":
        found[MISTAKES["lstm-no-tanh-on-cell"]] = wrong_cell(x, h, c, weights, "no-tanh")[k]
    return found


def pair(result, what):
    """The learner's (a, b) result as two arrays, or a clear failure."""
    try:
        first, second = result
    except (TypeError, ValueError):
        fail(f"{what}: expected a pair, got {type(result).__name__}")
    return first, second


# ---------------------------------------------------------------- the cell


@pytest.mark.points(2)
@pytest.mark.parametrize("seed, B, n_in, H", [(1, 3, 4, 5), (2, 1, 6, 2)])
def test_cell_matches_torch_lstmcell(kata, seed, B, n_in, H):
    x, h, c, weights = draw(seed, 0, B, n_in, H)
    result = kata.lstm_cell(x, h, c, *weights)
    h_new, c_new = pair(result, "lstm_cell")
    expected_h, expected_c = torch_cell(x, h, c, weights)
    where = describe(seed, x=x, h=h, c=c, weight_ih=weights[0])
    assert_close(
        c_new,
        expected_c,
        what="c_new",
        where=where,
        misconceptions=cell_mistakes(x, h, c, weights, "c"),
    )
    assert_close(
        h_new,
        expected_h,
        what="h_new",
        where=where,
        misconceptions=cell_mistakes(x, h, c, weights, "h"),
    )


@pytest.mark.points(1)
def test_cell_keeps_float32(kata):
    # The values are graded in float64 above: here only the dtype, and that float32 gives the
    # same numbers as the learner's own float64 computation.
    seed = 3
    x, h, c, weights = draw(seed, 0, 4, 3, 5)
    x32, h32, c32, w32 = x.float(), h.float(), c.float(), [w.float() for w in weights]
    h_new, c_new = pair(kata.lstm_cell(x32, h32, c32, *w32), "lstm_cell")
    h64, c64 = pair(kata.lstm_cell(x, h, c, *weights), "lstm_cell")
    where = describe(seed, x=x32, h=h32, c=c32)
    for name, value in (("h_new", h_new), ("c_new", c_new)):
        dtype = str(getattr(value, "dtype", type(value).__name__)).replace("torch.", "")
        if dtype != "float32":
            fail(f"{name} dtype: expected float32 for float32 inputs, got {dtype} [{where}]")
    what = "{} for float32 inputs, against your own float64 result"
    assert_close(h_new, h64, what=what.format("h_new"), where=where, rtol=1e-5, atol=1e-6)
    assert_close(c_new, c64, what=what.format("c_new"), where=where, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- the sequence


@probe
def unroll_own_cell(cell, x, h0, c0, weights):
    """On the learner side: the learner's cell unrolled by the grader's loop (None if it fails)."""
    import torch

    try:
        h, c, outs = h0, c0, []
        for x_t in x:
            h, c = cell(x_t, h, c, *weights)
            outs.append(torch.as_tensor(h).detach().clone())
        return torch.stack(outs), torch.as_tensor(h).detach().clone(), torch.as_tensor(c).detach()
    except Exception:
        return None


def sequence_case(kata, seed, T=6, B=3, n_in=4, H=5):
    x, h0, c0, weights = draw(seed, T, B, n_in, H)
    module, _ = torch_lstm(x, h0, c0, weights)
    with torch.no_grad():
        out, (h_n, c_n) = module(x, (h0[None], c0[None]))
    own = unroll_own_cell(kata.lstm_cell, x, h0, c0, weights)
    cell_is_right = own is not None and all(
        np.allclose(as_array(a, "own"), b.numpy(), rtol=1e-6, atol=1e-8)
        for a, b in zip(own, (out, h_n[0], c_n[0]), strict=True)
    )
    return x, h0, c0, weights, (out, h_n[0], c_n[0]), (None if cell_is_right else own)


def sequence_mistakes(x, h0, c0, weights):
    from_start = torch.stack([wrong_cell(x_t, h0, c0, weights, None)[0] for x_t in x])
    return {MISTAKES["state-not-carried"]: from_start}


def close(a, b):
    a = as_array(a, "result")
    return a.shape == tuple(b.shape) and np.allclose(a, b, rtol=1e-6, atol=1e-8)


@pytest.mark.points(2)
def test_sequence_outputs_match_torch_lstm(kata):
    seed = 11
    x, h0, c0, weights, (out, _, _), own = sequence_case(kata, seed)
    result = kata.lstm_sequence(x, h0, c0, *weights)
    got, _ = pair(result, "lstm_sequence")
    if own is not None and close(got, own[0]) and not close(got, out):
        return  # the unrolling of the learner's own cell: its mistake is charged to the cell
    assert_close(
        got,
        out,
        what="out, every hidden state h_1 ... h_T",
        where=describe(seed, x=x, h0=h0, c0=c0),
        misconceptions=sequence_mistakes(x, h0, c0, weights),
    )


@pytest.mark.points(1)
def test_sequence_final_state_matches_torch_lstm(kata):
    seed = 12
    x, h0, c0, weights, (_, h_n, c_n), own = sequence_case(kata, seed, T=4, B=2, n_in=3, H=4)
    result = kata.lstm_sequence(x, h0, c0, *weights)
    _, final = pair(result, "lstm_sequence")
    h_T, c_T = pair(final, "the final state (h_T, c_T)")
    if own is not None and close(h_T, own[1]) and close(c_T, own[2]):
        return  # the learner's own cell, unrolled correctly
    where = describe(seed, x=x, h0=h0, c0=c0)
    assert_close(
        h_T, h_n, what="h_T", where=where, misconceptions={MISTAKES["final-state-swapped"]: c_n}
    )
    assert_close(
        c_T, c_n, what="c_T", where=where, misconceptions={MISTAKES["final-state-swapped"]: h_n}
    )


@pytest.mark.points(1)
def test_sequence_keeps_the_dtype_of_x(kata):
    seed = 13
    x, h0, c0, weights = draw(seed, 3, 2, 3, 4)
    found = []
    for dtype in (torch.float64, torch.float32):
        inputs = [t.to(dtype) for t in (x, h0, c0, *weights)]
        out, final = pair(kata.lstm_sequence(*inputs), "lstm_sequence")
        h_T, c_T = pair(final, "the final state (h_T, c_T)")
        for name, value in (("out", out), ("h_T", h_T), ("c_T", c_T)):
            got = str(getattr(value, "dtype", type(value).__name__)).replace("torch.", "")
            if got != str(dtype).replace("torch.", ""):
                found.append(f"{name} is {got} for {str(dtype).replace('torch.', '')} inputs")
    if found:
        fail(
            "lstm_sequence: results have the dtype of x: "
            + "; ".join(found)
            + f" [{describe(seed, x=x)}]. A tensor made with torch.zeros(...) and no dtype= is "
            "float32 whatever x is."
        )


@probe
def sequence_gradients(fn, leaves, upstream):
    """On the learner side: the gradients of sum(out * u0) + sum(h_T * u1) + sum(c_T * u2)
    with respect to x, h0, c0 and the four weights; the forward result comes back too."""
    import torch

    leaves = [t.clone().requires_grad_(True) for t in leaves]
    try:
        out, (h, c) = fn(*leaves)
        loss = sum((a * u).sum() for a, u in zip((out, h, c), upstream, strict=True))
        grads = torch.autograd.grad(loss, leaves, allow_unused=True)
    except RuntimeError as exc:
        return {"error": str(exc).splitlines()[0]}
    return {
        "out": out.detach().clone(),
        "h": torch.as_tensor(h).detach().clone(),
        "c": torch.as_tensor(c).detach().clone(),
        "loss": float(loss.detach()),
        "grads": [None if g is None else g.detach().clone() for g in grads],
    }


@probe
def central_differences(fn, leaves, upstream, directions, step):
    """On the learner side: (loss(theta + step v) - loss(theta - step v)) / (2 step) for each
    direction v, the loss being the one of sequence_gradients."""
    import torch

    def loss(sign, direction):
        moved = [t + sign * step * d for t, d in zip(leaves, direction, strict=True)]
        with torch.no_grad():
            out, (h, c) = fn(*moved)
        return float(sum((a * u).sum() for a, u in zip((out, h, c), upstream, strict=True)))

    return [(loss(1, d) - loss(-1, d)) / (2 * step) for d in directions]


LEAF_NAMES = ("x", "h0", "c0", *NAMES)


@pytest.mark.points(2)
def test_gradients_through_the_sequence_match_torch_autograd(kata):
    seed = 13
    x, h0, c0, weights = draw(seed, 5, 2, 3, 4)
    gen = rng(seed + 1)
    leaves = [x, h0, c0, *weights]
    module, params = torch_lstm(x, h0, c0, weights)
    upstream = [torch.tensor(gen.normal(0, 1, s)) for s in ((5, 2, 4), (2, 4), (2, 4))]
    where = describe(seed, x=x, h0=h0, c0=c0) + (
        "; loss = sum(out * u0) + sum(h_T * u1) + sum(c_T * u2) with fixed random u"
    )
    got = sequence_gradients(kata.lstm_sequence, leaves, upstream)
    if "error" in got:
        fail(f"backward through lstm_sequence failed: {got['error']} [{where}]")
    # torch's own gradients
    xs, h0s, c0s = (t.clone().requires_grad_(True) for t in (x, h0, c0))
    out, (h_n, c_n) = module(xs, (h0s[None], c0s[None]))
    loss = sum((a * u).sum() for a, u in zip((out, h_n[0], c_n[0]), upstream, strict=True))
    expected = torch.autograd.grad(loss, [xs, h0s, c0s, *params])
    forward_is_right = all(
        close(got[key], value.detach())
        for key, value in (("out", out), ("h", h_n[0]), ("c", c_n[0]))
    )
    if not forward_is_right:
        # The forward pass is wrong (charged elsewhere: the outputs, or the final state returned
        # in another order): check the learner's gradient is the gradient of the learner's own
        # function, by central differences in float64.
        directions = [[torch.tensor(gen.normal(0, 1, tuple(t.shape))) for t in leaves]]
        directions += [[torch.zeros_like(t) for t in leaves] for _ in LEAF_NAMES]
        for k, d in enumerate(directions[1:]):
            d[k] = directions[0][k]
        numeric = central_differences(kata.lstm_sequence, leaves, upstream, directions, 1e-6)
        for k, (name, d) in enumerate(zip(("all inputs", *LEAF_NAMES), directions, strict=True)):
            grads = [
                torch.zeros_like(t) if g is None else g
                for g, t in zip(got["grads"], leaves, strict=True)
            ]
            analytic = float(sum((g * v).sum() for g, v in zip(grads, d, strict=True)))
            assert_close(
                analytic,
                numeric[k],
                what=f"directional derivative of the loss along a random direction in {name}, "
                "autograd through your lstm_sequence vs central differences of it",
                where=where,
                rtol=1e-5,
                atol=1e-7,
            )
        return
    truncated = detached_gradients(x, h0, c0, weights, upstream)
    truncated_all = detached_gradients(x, h0, c0, weights, upstream, last_too=True)
    for name, g, e, wrong, wrong_all in zip(
        LEAF_NAMES, got["grads"], expected, truncated, truncated_all, strict=True
    ):
        if g is None:
            fail(
                f"the gradient with respect to {name} is missing: {name} does not reach the "
                f"loss through your graph (detached, or converted out of torch?) [{where}]"
            )
        assert_close(
            g,
            e,
            what=f"d loss / d {name}",
            where=where,
            misconceptions={
                MISTAKES["state-detached"]: wrong,
                MISTAKES["state-detached"].en + " (the returned (h_T, c_T) too)": wrong_all,
            },
        )


def detached_gradients(x, h0, c0, weights, upstream, last_too=False):
    """The gradients when the state is detached between steps (truncated BPTT); with
    ``last_too`` the returned final state is detached as well."""
    leaves = [t.clone().requires_grad_(True) for t in (x, h0, c0, *weights)]
    xs, h, c, *ws = leaves
    outs = []
    for x_t in xs:
        h, c = wrong_cell(x_t, h, c, ws, None)
        outs.append(h)
        if last_too or len(outs) < len(xs):
            h, c = h.detach(), c.detach()
    loss = sum((a * u).sum() for a, u in zip((torch.stack(outs), h, c), upstream, strict=True))
    if not loss.requires_grad:
        return [torch.zeros_like(t) for t in leaves]
    grads = torch.autograd.grad(loss, leaves, allow_unused=True)
    return [torch.zeros_like(t) if g is None else g for g, t in zip(grads, leaves, strict=True)]


# ---------------------------------------------------------------- parameter counts


def count(module):
    return sum(p.numel() for p in module.parameters())


SIZES = ((10, 20), (7, 3))  # (input_size, hidden_size)


# One test per function: a slip in the LSTM's count (three blocks, say) leaves the RNN's points.
@pytest.mark.points(1)
def test_rnn_parameter_count_matches_torch_rnn(kata):
    for n_in, H in SIZES:
        rnn = count(torch.nn.RNN(n_in, H))
        assert_equal(
            as_number(kata.rnn_num_parameters(n_in, H), "rnn_num_parameters"),
            rnn,
            what="rnn_num_parameters",
            where=f"input_size {n_in}, hidden_size {H}",
            misconceptions={MISTAKES["lstm-count-one-bias"]: rnn - H},
        )


@pytest.mark.points(1)
def test_lstm_parameter_count_matches_torch_lstm(kata):
    for n_in, H in SIZES:
        rnn = count(torch.nn.RNN(n_in, H))
        lstm = count(torch.nn.LSTM(n_in, H))
        assert_equal(
            as_number(kata.lstm_num_parameters(n_in, H), "lstm_num_parameters"),
            lstm,
            what="lstm_num_parameters",
            where=f"input_size {n_in}, hidden_size {H} (4 x the RNN's {rnn})",
            misconceptions={
                MISTAKES["lstm-count-one-bias"]: lstm - 4 * H,
                MISTAKES["lstm-count-three-blocks"]: 3 * rnn,
            },
        )


@pytest.mark.points(1)
def test_parameter_counts_are_python_ints(kata):
    found = []
    for name in ["rnn_num_parameters", "lstm_num_parameters"]:
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
