"""Hidden grader for nas/darts.

Oracles: torch.softmax and a tensordot for the mixed operation, torch autograd through that
oracle for the gradient with respect to alpha, and an independent derivation here (softmax per
edge, the zero op masked to -inf, a stable descending sort) for the discrete cell.
"""

from __future__ import annotations

import pytest
import torch

from katakit import misconceptions
from katakit.checks import assert_close, assert_equal, describe, fail, rng

MISTAKES = misconceptions.of(__file__)
DARTS_OPS = [
    "none",
    "max_pool_3x3",
    "avg_pool_3x3",
    "skip_connect",
    "sep_conv_3x3",
    "sep_conv_5x5",
    "dil_conv_3x3",
    "dil_conv_5x5",
]


def draw(seed, k, shape, dtype=torch.float64, scale=1.0):
    gen = rng(seed)
    alpha = torch.from_numpy(gen.normal(0, scale, k)).to(dtype)
    outs = torch.from_numpy(gen.normal(0, 1, (k, *shape))).to(dtype)
    grad = torch.from_numpy(gen.normal(0, 1, shape)).to(dtype)
    return alpha, outs, grad


def naive_softmax(z, dim=-1):
    """The overflowing softmax (no max shift), to name that mistake: NaN at logits of 1e4."""
    e = torch.exp(z)
    return e / e.sum(dim=dim, keepdim=True)


def oracle_mixed(alpha, outs):
    return torch.tensordot(torch.softmax(alpha.double(), 0), outs.double(), dims=([0], [0]))


def oracle_grad(alpha, outs, grad):
    a = alpha.double().clone().requires_grad_(True)
    (oracle_mixed(a, outs) * grad.double()).sum().backward()
    return a.grad


def wrong_grads(alpha, outs, grad):
    p = torch.softmax(alpha.double(), 0)
    s = (outs.double() * grad.double()).reshape(len(alpha), -1).sum(1)
    return {
        MISTAKES["softmax-grad-no-mean-term"]: p * s,
        MISTAKES["softmax-grad-diagonal-only"]: p * (1 - p) * s,
    }


def oracle_cell(alpha, names, steps):
    weights = torch.softmax(alpha.double(), dim=1)
    zero = [k for k, n in enumerate(names) if n == "none"]
    masked = weights.clone()
    masked[:, zero] = -float("inf")
    cell, start = [], 0
    for node in range(steps):
        block = masked[start : start + node + 2]
        start += node + 2
        strength = block.max(dim=1).values
        order = torch.sort(strength, descending=True, stable=True).indices[:2]
        genes = []
        for j in order.tolist():
            # argmax returns the first maximal index: ties to the lower column
            genes.append((names[int(torch.argmax(block[j]))], j))
        cell.append(genes)
    return cell


def cell_variants(alpha, names, steps):
    """What the known derivation mistakes return, to name them."""
    zero = [k for k, n in enumerate(names) if n == "none"]
    weights = torch.softmax(alpha.double(), dim=1)
    out = {}
    # the op chosen with the zero op allowed
    picks_zero, start = [], 0
    for node in range(steps):
        n = node + 2
        block = weights[start : start + n]
        masked = block.clone()
        masked[:, zero] = -float("inf")
        start += n
        order = torch.sort(masked.max(1).values, descending=True, stable=True).indices[:2]
        picks_zero.append([(names[int(torch.argmax(block[j]))], j) for j in order.tolist()])
    out[MISTAKES["derive-picks-zero-op"]] = picks_zero
    # strength over all ops, zero included
    incl, start = [], 0
    for node in range(steps):
        n = node + 2
        block = weights[start : start + n]
        masked = block.clone()
        masked[:, zero] = -float("inf")
        start += n
        order = torch.sort(block.max(1).values, descending=True, stable=True).indices[:2]
        incl.append([(names[int(torch.argmax(masked[j]))], j) for j in order.tolist()])
    out[MISTAKES["edge-strength-includes-zero-op"]] = incl
    # edges ranked by raw alpha
    raw, start = [], 0
    for node in range(steps):
        n = node + 2
        block = alpha.double()[start : start + n].clone()
        block[:, zero] = -float("inf")
        start += n
        order = torch.sort(block.max(1).values, descending=True, stable=True).indices[:2]
        raw.append([(names[int(torch.argmax(block[j]))], j) for j in order.tolist()])
    out[MISTAKES["edge-strength-raw-alpha"]] = raw
    return out


def check_cell(kata, alpha, names, steps, where):
    got = kata.derive_cell(alpha.clone(), list(names), steps)
    expected = oracle_cell(alpha, names, steps)
    mistakes = {
        k: [[list(g) for g in node] for node in v]
        for k, v in cell_variants(alpha, names, steps).items()
        if v != expected
    }
    assert_equal(
        got,
        [[list(g) for g in node] for node in expected],
        what="derived cell [[(op, input_state), (op, input_state)] per node]",
        where=where,
        misconceptions=mistakes,
    )


# ---------------------------------------------------------------- mixed op


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "seed, k, shape", [(1, 8, (2, 3, 4, 4)), (2, 3, (7,)), (3, 5, (1, 6, 5, 3))]
)
def test_mixed_op_is_the_softmax_weighted_sum(kata, seed, k, shape):
    alpha, outs, _ = draw(seed, k, shape, scale=2.0)
    got = kata.mixed_op(alpha.clone(), outs.clone())
    assert_close(
        got,
        oracle_mixed(alpha, outs),
        what="mixed_op output",
        where=describe(seed, alpha=alpha, op_outputs=outs),
        misconceptions={
            MISTAKES["mixed-op-without-softmax"]: torch.tensordot(alpha, outs, dims=([0], [0]))
        },
    )


@pytest.mark.points(1)
def test_mixed_op_keeps_float32(kata):
    seed = 4
    alpha, outs, _ = draw(seed, 4, (3, 5), dtype=torch.float32)
    got = kata.mixed_op(alpha.clone(), outs.clone())
    if not isinstance(got, torch.Tensor) or got.dtype != torch.float32:
        fail(
            f"mixed_op: expected a float32 tensor for float32 inputs, got "
            f"{getattr(got, 'dtype', type(got).__name__)} [{describe(seed, op_outputs=outs)}]"
        )
    assert_close(
        got,
        oracle_mixed(alpha, outs),
        what="mixed_op output (float32)",
        rtol=1e-5,
        atol=1e-6,
        where=describe(seed, op_outputs=outs),
    )


@pytest.mark.points(1)
def test_mixed_op_is_finite_at_logits_of_1e4(kata):
    seed = 5
    _, outs, _ = draw(seed, 4, (3, 2))
    alpha = torch.tensor([1e4, -1e4, 9999.0, 0.0], dtype=torch.float64)
    got = kata.mixed_op(alpha.clone(), outs.clone())
    assert_close(
        got,
        oracle_mixed(alpha, outs),
        what="mixed_op output",
        where=describe(seed, op_outputs=outs) + ", alpha=[1e4, -1e4, 9999, 0]",
        misconceptions={
            MISTAKES["softmax-overflow"]: torch.tensordot(naive_softmax(alpha), outs, dims=1)
        },
    )


# ---------------------------------------------------------------- gradient w.r.t. alpha


@pytest.mark.points(2)
@pytest.mark.parametrize("seed, k, shape", [(11, 8, (2, 3, 4, 4)), (12, 3, (5,))])
def test_alpha_gradient_matches_autograd(kata, seed, k, shape):
    alpha, outs, grad = draw(seed, k, shape, scale=1.5)
    got = kata.mixed_op_alpha_grad(alpha.clone(), outs.clone(), grad.clone())
    assert_close(
        got,
        oracle_grad(alpha, outs, grad),
        what="dL/dalpha",
        where=describe(seed, alpha=alpha, op_outputs=outs, grad_out=grad),
        rtol=1e-6,
        atol=1e-9,
        misconceptions=wrong_grads(alpha, outs, grad),
    )


@pytest.mark.points(1)
def test_alpha_gradient_is_finite_at_logits_of_1e4(kata):
    seed = 13
    _, outs, grad = draw(seed, 3, (4,))
    alpha = torch.tensor([1e4, 1e4 - 1.0, -1e4], dtype=torch.float64)
    got = kata.mixed_op_alpha_grad(alpha.clone(), outs.clone(), grad.clone())
    assert_close(
        got,
        oracle_grad(alpha, outs, grad),
        what="dL/dalpha",
        where=describe(seed, op_outputs=outs) + ", alpha=[1e4, 1e4 - 1, -1e4]",
        atol=1e-9,
        misconceptions={MISTAKES["softmax-overflow"]: torch.full((3,), float("nan"))},
    )


# ---------------------------------------------------------------- derivation


@pytest.mark.points(2)
@pytest.mark.parametrize("seed, steps", [(21, 4), (22, 3)])
def test_derived_cell_matches_on_random_alpha(kata, seed, steps):
    edges = sum(i + 2 for i in range(steps))
    alpha = torch.from_numpy(rng(seed).normal(0, 1, (edges, len(DARTS_OPS))))
    check_cell(kata, alpha, DARTS_OPS, steps, describe(seed, alpha=alpha, steps=steps))


@pytest.mark.points(2)
def test_zero_op_is_never_chosen_even_when_it_dominates(kata):
    seed, steps = 23, 4
    edges = sum(i + 2 for i in range(steps))
    alpha = torch.from_numpy(rng(seed).normal(0, 1, (edges, len(DARTS_OPS))))
    alpha[:, 0] += 6.0  # the zero op is the largest weight on every edge
    check_cell(
        kata,
        alpha,
        DARTS_OPS,
        steps,
        describe(seed, alpha=alpha, steps=steps) + ", the 'none' column raised by 6",
    )


@pytest.mark.points(1)
def test_edge_strength_ignores_the_zero_op(kata):
    # node 1: edge from state 0 is mostly 'none'; states 1 and 2 have strong real ops.
    names = ["skip", "none", "conv"]
    alpha = torch.tensor(
        [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 10.0, 1.0], [2.0, 0.0, 0.0], [0.0, 0.0, 1.5]],
        dtype=torch.float64,
    )
    check_cell(kata, alpha, names, 2, f"alpha={alpha.tolist()}, op_names={names}, steps=2")


@pytest.mark.points(1)
def test_edges_are_ranked_by_softmax_weights_not_raw_alpha(kata):
    # node 1: edge 0 has raw logits 5 and 5 (weights ~0.5 each), edge 1 has raw 3 (weight ~0.95).
    names = ["none", "skip", "conv"]
    alpha = torch.tensor(
        [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 5.0, 5.0], [0.0, 3.0, -5.0], [0.0, -3.0, -3.0]],
        dtype=torch.float64,
    )
    check_cell(kata, alpha, names, 2, f"alpha={alpha.tolist()}, op_names={names}, steps=2")


@pytest.mark.points(1)
def test_ties_go_to_the_lower_index(kata):
    names = ["conv", "skip", "none", "pool"]
    alpha = torch.zeros(9, 4, dtype=torch.float64)
    check_cell(kata, alpha, names, 3, "alpha = zeros(9, 4), op_names=" + str(names) + ", steps=3")


@pytest.mark.points(1)
def test_wrong_number_of_edges_raises_value_error(kata):
    alpha = torch.zeros(6, 3, dtype=torch.float64)  # 2 nodes need 5 edges, 3 nodes need 9
    try:
        got = kata.derive_cell(alpha, ["none", "skip", "conv"], 2)
    except ValueError:
        return
    fail(
        f"derive_cell: alpha with 6 rows for steps=2 (which needs 2 + 3 = 5) should raise "
        f"ValueError, got {got!r}"
    )
