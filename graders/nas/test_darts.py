"""Hidden grader for nas/darts.

Oracles: torch.softmax and a tensordot for the mixed operation, torch autograd through that
oracle for the gradient with respect to alpha, and an independent derivation here (softmax per
edge, the zero op masked to -inf, a stable descending sort) for the discrete cell.
"""

from __future__ import annotations

import pytest
import torch

from katakit import misconceptions
from katakit.checks import (
    agrees,
    as_plain,
    assert_close,
    assert_equal,
    assert_finite,
    describe,
    fail,
    rng,
)

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
    # the dtype only: the values are test_mixed_op_is_the_softmax_weighted_sum's
    seed = 4
    alpha, outs, _ = draw(seed, 4, (3, 5), dtype=torch.float32)
    got = kata.mixed_op(alpha.clone(), outs.clone())
    if not isinstance(got, torch.Tensor) or got.dtype != torch.float32:
        fail(
            f"mixed_op: expected a float32 tensor for float32 inputs, got "
            f"{getattr(got, 'dtype', type(got).__name__)} [{describe(seed, op_outputs=outs)}]"
        )


def check_at_extreme(got, expected, *, ordinary_right, what, where, overflow):
    """A stability promise: a finite result at logits of 1e4, and the right one wherever the
    learner's formula is right at ordinary logits (see checks.agrees)."""
    assert_finite(
        got,
        what,
        advice="the softmax must stay finite at logits of +-1e4 (subtract the max logit first)",
        where=where,
        misconception=MISTAKES["softmax-overflow"] if overflow else None,
    )
    if ordinary_right:
        assert_close(got, expected, what=what, where=where, atol=1e-9)


@pytest.mark.points(1)
def test_mixed_op_is_finite_at_logits_of_1e4(kata):
    seed = 5
    _, outs, _ = draw(seed, 4, (3, 2))
    alpha = torch.tensor([1e4, -1e4, 9999.0, 0.0], dtype=torch.float64)
    ordinary = alpha * 3e-4  # the same ranking at logits of a few units
    got = kata.mixed_op(alpha.clone(), outs.clone())
    check_at_extreme(
        got,
        oracle_mixed(alpha, outs),
        ordinary_right=agrees(kata.mixed_op(ordinary, outs.clone()), oracle_mixed(ordinary, outs)),
        what="mixed_op output",
        where=describe(seed, op_outputs=outs) + ", alpha=[1e4, -1e4, 9999, 0]",
        overflow=True,
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
    ordinary = torch.tensor([1.0, 0.0, -3.0], dtype=torch.float64)  # the same two leaders
    got = kata.mixed_op_alpha_grad(alpha.clone(), outs.clone(), grad.clone())
    check_at_extreme(
        got,
        oracle_grad(alpha, outs, grad),
        ordinary_right=agrees(
            kata.mixed_op_alpha_grad(ordinary, outs.clone(), grad.clone()),
            oracle_grad(ordinary, outs, grad),
        ),
        what="dL/dalpha",
        where=describe(seed, op_outputs=outs) + ", alpha=[1e4, 1e4 - 1, -1e4]",
        overflow=True,
    )


# ---------------------------------------------------------------- derivation


@pytest.mark.points(2)
@pytest.mark.parametrize("seed, steps", [(21, 4), (22, 3)])
def test_derived_cell_matches_on_random_alpha(kata, seed, steps):
    edges = sum(i + 2 for i in range(steps))
    alpha = torch.from_numpy(rng(seed).normal(0, 1, (edges, len(DARTS_OPS))))
    check_cell(kata, alpha, DARTS_OPS, steps, describe(seed, alpha=alpha, steps=steps))


def check_ops_on_the_kept_edges(kata, alpha, names, steps, where):
    """The op the learner chose on each edge it kept: the non-zero op of largest weight, never
    the zero op. Which edges are kept is the other derivation tests' promise."""
    got = as_plain(kata.derive_cell(alpha.clone(), list(names), steps), "derive_cell")
    shape_ok = isinstance(got, list) and len(got) == steps
    shape_ok = shape_ok and all(
        isinstance(node, list)
        and len(node) == 2
        and all(isinstance(g, list) and len(g) == 2 and type(g[1]) is int for g in node)
        for node in got
    )
    if not shape_ok:
        fail(
            f"derive_cell: expected {steps} nodes, each a list of two (op_name, input_state) "
            f"tuples, got {got!r} [{where}]"
        )
    weights = torch.softmax(alpha.double(), dim=1)
    start = 0
    for node, genes in enumerate(got):
        for op, state in genes:
            if not 0 <= state < node + 2:
                fail(
                    f"derive_cell: node {node} has inputs 0 .. {node + 1}, got input state "
                    f"{state} [{where}]"
                )
            row = weights[start + state]
            best = max((k for k, n in enumerate(names) if n != "none"), key=lambda k: (row[k], -k))
            if op != names[best]:
                fail(
                    f"derive_cell: on node {node}'s edge from state {state} the op of largest "
                    f"weight other than 'none' is {names[best]!r}, got {op!r}; weights "
                    f"{dict(zip(names, [round(v, 4) for v in row.tolist()], strict=True))} "
                    f"[{where}]",
                    MISTAKES["derive-picks-zero-op"] if op == "none" else None,
                )
        start += node + 2


@pytest.mark.points(2)
def test_zero_op_is_never_chosen_even_when_it_dominates(kata):
    seed, steps = 23, 4
    edges = sum(i + 2 for i in range(steps))
    alpha = torch.from_numpy(rng(seed).normal(0, 1, (edges, len(DARTS_OPS))))
    alpha[:, 0] += 6.0  # the zero op is the largest weight on every edge
    check_ops_on_the_kept_edges(
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
