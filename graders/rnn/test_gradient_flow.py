"""Hidden grader for rnn/gradient_flow.

Oracles: torch.autograd.functional.jacobian of the hidden states of torch.nn.RNNCell (weights
copied in, float64) with respect to h0; the largest singular value from numpy's SVD; and for the
LSTM cell path, autograd through torch.nn.LSTMCell unrolled here with h passed on detached, so
that the only route from C_0 to C_t is the cell path.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from katakit import misconceptions
from katakit.checks import as_array, assert_close, assert_unchanged, describe, fail, rng, snapshot

MISTAKES = misconceptions.of(__file__)


# ---------------------------------------------------------------- tanh RNN Jacobians


def rnn_case(seed, T, H, n_in, radius=None, x_scale=1.0, h_scale=0.5):
    """x, h0 and torch-layout weights; with ``radius``, w_hh is a random orthogonal matrix times
    radius (a normal matrix, so its spectral radius and norm are both ``radius``)."""
    gen = rng(seed)
    if radius is None:
        w_hh = gen.normal(0, 0.6, (H, H))
    else:
        q, _ = np.linalg.qr(gen.normal(0, 1, (H, H)))
        w_hh = radius * q
    x = gen.normal(0, x_scale, (T, n_in))
    h0 = gen.normal(0, h_scale, H)
    w_ih = gen.normal(0, 0.5, (H, n_in))
    b_ih, b_hh = gen.normal(0, 0.2 * x_scale, H), gen.normal(0, 0.2 * x_scale, H)
    return x, h0, w_ih, w_hh, b_ih, b_hh


def autograd_jacobians(x, h0, w_ih, w_hh, b_ih, b_hh):
    cell = torch.nn.RNNCell(x.shape[1], h0.shape[0]).double()
    with torch.no_grad():
        for name, w in zip(
            ("weight_ih", "weight_hh", "bias_ih", "bias_hh"), (w_ih, w_hh, b_ih, b_hh), strict=True
        ):
            getattr(cell, name).copy_(torch.from_numpy(w))
    xs = torch.from_numpy(x)

    def states(h):
        out = []
        for x_t in xs:
            h = cell(x_t[None], h[None])[0]
            out.append(h)
        return torch.stack(out)

    return torch.autograd.functional.jacobian(states, torch.from_numpy(h0)).detach().numpy()


def wrong_jacobians(x, h0, w_ih, w_hh, b_ih, b_hh, mistake):
    h, prev, jac, out = h0, h0, np.eye(len(h0)), []
    for x_t in x:
        prev, h = h, np.tanh(w_ih @ x_t + b_ih + w_hh @ h + b_hh)
        slope = 1 - (prev if mistake == "previous" else h) ** 2
        w = w_hh.T if mistake == "transposed" else w_hh
        factor = slope[:, None] * w
        if mistake == "local":
            jac = factor
        elif mistake == "reversed":
            jac = jac @ factor
        else:
            jac = factor @ jac
        out.append(jac)
    return np.array(out)


def jacobian_mistakes(*case):
    return {
        MISTAKES["jacobian-order-reversed"]: wrong_jacobians(*case, "reversed"),
        MISTAKES["jacobian-derivative-at-previous-state"]: wrong_jacobians(*case, "previous"),
        MISTAKES["jacobian-transposed-weight"]: wrong_jacobians(*case, "transposed"),
        MISTAKES["jacobian-local-only"]: wrong_jacobians(*case, "local"),
    }


def per_step_scale(expected):
    """Each step's Jacobian divided by its own largest entry, so that 1e-12 values are compared
    to 1e-12 relative precision rather than passed by an absolute tolerance."""
    return (
        np.abs(expected)
        .reshape(len(expected), -1)
        .max(axis=1)
        .reshape(-1, *[1] * (expected.ndim - 1))
    )


def check_jacobians(kata, seed, case, what):
    before = snapshot(**dict(zip(("x", "h0", "w_ih", "w_hh", "b_ih", "b_hh"), case, strict=True)))
    got = as_array(kata.rnn_state_jacobians(*(a.copy() for a in case)), "rnn_state_jacobians")
    expected = autograd_jacobians(*case)
    scale = per_step_scale(expected)
    if got.shape != expected.shape:
        fail(
            f"rnn_state_jacobians: expected shape {expected.shape}, got {got.shape} "
            f"[{describe(seed, x=case[0], h0=case[1])}]"
        )
    assert_close(
        got / scale,
        expected / scale,
        what=f"{what}, each step's Jacobian divided by its own largest |entry| (shown scaled)",
        where=describe(seed, x=case[0], h0=case[1], w_hh=case[3]),
        rtol=1e-7,
        atol=1e-9,
        misconceptions={k: v / scale for k, v in jacobian_mistakes(*case).items()},
    )
    assert_unchanged(before, **dict(zip(before, case, strict=True)))
    return expected


@pytest.mark.points(2)
def test_rnn_jacobians_match_autograd(kata):
    seed = 31
    check_jacobians(kata, seed, rnn_case(seed, 6, 4, 3), "d h_t / d h_0")


@pytest.mark.points(1)
def test_rnn_jacobians_vanish_below_spectral_radius_one(kata):
    seed = 32
    case = rnn_case(seed, 30, 5, 3, radius=0.6)
    expected = check_jacobians(kata, seed, case, "d h_t / d h_0 with rho(W_hh) = 0.6, T = 30")
    # the regime the test is about (a check of the grader's own input)
    assert np.linalg.norm(expected[-1], 2) < 0.6**30


@pytest.mark.points(1)
def test_rnn_jacobians_grow_above_spectral_radius_one(kata):
    seed = 33
    case = rnn_case(seed, 12, 4, 2, radius=1.4, x_scale=1e-3, h_scale=1e-3)
    expected = check_jacobians(kata, seed, case, "d h_t / d h_0 with rho(W_hh) = 1.4, small inputs")
    assert np.linalg.norm(expected[-1], 2) > 1.3**12


# ---------------------------------------------------------------- the norm bound


@pytest.mark.points(1)
@pytest.mark.parametrize("kind", ["normal", "non-normal"])
def test_norm_bound_is_the_spectral_norm_to_the_power_t(kata, kind):
    seed, steps = 41, 7
    gen = rng(seed)
    if kind == "normal":
        a = gen.normal(0, 0.5, (4, 4))
        w = (a + a.T) / 2  # symmetric: rho = ||w||_2, so only the Frobenius norm and powers show
    else:
        w = np.triu(gen.normal(0, 0.5, (4, 4)), 1) + np.diag([0.5, -0.4, 0.3, 0.2])
        w[0, 3] = 2.0  # eigenvalues on the diagonal (rho = 0.5), a norm above 2
    before = snapshot(w_hh=w)
    got = kata.jacobian_norm_bound(w.copy(), steps)
    sigma = np.linalg.svd(w, compute_uv=False)[0]
    t = np.arange(1, steps + 1)
    rho = np.abs(np.linalg.eigvals(w)).max()
    assert_close(
        got,
        sigma**t,
        what="jacobian_norm_bound",
        where=describe(seed, w_hh=w, steps=steps) + f", ||w_hh||_2 = {sigma:.6g}, rho = {rho:.6g}",
        rtol=1e-9,
        atol=0,
        misconceptions={
            MISTAKES["bound-uses-spectral-radius"]: rho**t,
            MISTAKES["bound-uses-frobenius"]: np.linalg.norm(w) ** t,
            MISTAKES["bound-off-by-one"]: sigma ** (t - 1),
        },
    )
    assert_unchanged(before, w_hh=w)


# ---------------------------------------------------------------- the LSTM cell path


def lstm_case(seed, T, H, n_in, forget_bias=0.0):
    gen = rng(seed)
    w_ih, w_hh = gen.normal(0, 0.6, (4 * H, n_in)), gen.normal(0, 0.6, (4 * H, H))
    b_ih, b_hh = gen.normal(0, 0.5, 4 * H), gen.normal(0, 0.5, 4 * H)
    b_hh[H : 2 * H] += forget_bias
    return (
        gen.normal(0, 1, (T, n_in)),
        gen.normal(0, 1, H),
        gen.normal(0, 1, H),
        w_ih,
        w_hh,
        b_ih,
        b_hh,
    )


def autograd_cell_path(x, h0, c0, w_ih, w_hh, b_ih, b_hh):
    """d C_t / d C_0 by autograd through torch.nn.LSTMCell, h handed on detached: the only route
    from C_0 to C_t is then the cell path, and the diagonal is the gradient of sum(C_t)."""
    cell = torch.nn.LSTMCell(x.shape[1], h0.shape[0]).double()
    with torch.no_grad():
        for name, w in zip(
            ("weight_ih", "weight_hh", "bias_ih", "bias_hh"), (w_ih, w_hh, b_ih, b_hh), strict=True
        ):
            getattr(cell, name).copy_(torch.from_numpy(w))
    c0_leaf = torch.from_numpy(c0).clone().requires_grad_(True)
    h, c, rows = torch.from_numpy(h0)[None], c0_leaf[None], []
    for x_t in torch.from_numpy(x):
        h, c = cell(x_t[None], (h.detach(), c))
        (row,) = torch.autograd.grad(c.sum(), c0_leaf, retain_graph=True)
        rows.append(row)
    return torch.stack(rows).numpy()


def wrong_cell_path(x, h0, c0, w_ih, w_hh, b_ih, b_hh, mistake):
    H = len(h0)
    h, c, product, rows = h0, c0, np.ones(H), []
    for x_t in x:
        z = w_ih @ x_t + b_ih + w_hh @ (h0 if mistake == "h0" else h) + b_hh
        i, f, g, o = (z[k * H : (k + 1) * H] for k in range(4))
        i, f, o, g = 1 / (1 + np.exp(-i)), 1 / (1 + np.exp(-f)), 1 / (1 + np.exp(-o)), np.tanh(g)
        c = f * c + i * g
        h = o * np.tanh(c)
        rows.append(product.copy() if mistake == "shift" else None)
        product = product * {"input": i, "output": o, "one-minus": 1 - f}.get(mistake, f)
        if mistake != "shift":
            rows[-1] = product.copy()
    return np.array(rows)


def check_cell_path(kata, seed, case, what):
    names = ("x", "h0", "c0", "w_ih", "w_hh", "b_ih", "b_hh")
    before = snapshot(**dict(zip(names, case, strict=True)))
    got = kata.lstm_cell_path_gradient(*(a.copy() for a in case))
    expected = autograd_cell_path(*case)
    wrong = {
        MISTAKES["cell-path-wrong-gate"].en + " (the input gate i)": wrong_cell_path(
            *case, "input"
        ),
        MISTAKES["cell-path-wrong-gate"].en + " (the output gate o)": wrong_cell_path(
            *case, "output"
        ),
        MISTAKES["cell-path-one-minus-f"]: wrong_cell_path(*case, "one-minus"),
        MISTAKES["cell-path-state-not-carried"]: wrong_cell_path(*case, "h0"),
        MISTAKES["cell-path-off-by-one"]: wrong_cell_path(*case, "shift"),
    }
    assert_close(
        got,
        expected,
        what=what,
        where=describe(seed, x=case[0], h0=case[1], c0=case[2]),
        rtol=1e-9,
        atol=1e-14,
        misconceptions=wrong,
    )
    assert_unchanged(before, **dict(zip(names, case, strict=True)))


@pytest.mark.points(2)
def test_lstm_cell_path_matches_autograd(kata):
    seed = 51
    check_cell_path(
        kata, seed, lstm_case(seed, 6, 4, 3), "diagonal of d C_t / d C_0 along the cell path"
    )


@pytest.mark.points(1)
def test_lstm_cell_path_survives_a_long_sequence(kata):
    # forget gates near 1 (bias +4): after 60 steps the product is still of order 0.1 to 1,
    # where a tanh RNN's Jacobian would long be gone
    seed = 52
    case = lstm_case(seed, 60, 3, 2, forget_bias=4.0)
    expected = autograd_cell_path(*case)
    assert expected[-1].min() > 1e-2  # the regime the test is about
    check_cell_path(kata, seed, case, "diagonal of d C_t / d C_0 over 60 steps, forget bias +4")
