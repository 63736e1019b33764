"""Hidden grader for nas/resource_loss.

Oracles: the lookup table read here, torch.softmax for the expected latency, torch autograd
through that oracle for the gradient, and math.log for FBNet's loss.
"""

from __future__ import annotations

import math

import pytest
import torch

from katakit import misconceptions
from katakit.checks import (
    agrees,
    as_number,
    assert_close,
    assert_finite,
    describe,
    fail,
    naming,
    rng,
)

MISTAKES = misconceptions.of(__file__)
OPS = ["k3_e1", "k3_e3", "k5_e6", "skip"]
SHAPES = [(16, 32, 32), (24, 16, 16), (24, 16, 16), (40, 8, 8), (80, 4, 4)]


def table_for(seed):
    gen = rng(seed)
    table = {}
    for shape in set(SHAPES) | {(3, 2, 2)}:
        for name in OPS:
            table[(name, shape)] = float(gen.uniform(0.5, 9.0))
    return table


def draw(seed, layers=5, ops=4, scale=1.5):
    gen = rng(seed)
    alpha = torch.from_numpy(gen.normal(0, scale, (layers, ops)))
    costs = torch.from_numpy(gen.uniform(0.5, 9.0, (layers, ops)))
    return alpha, costs


def oracle(alpha, costs):
    return (torch.softmax(alpha.double(), dim=1) * costs).sum()


def oracle_grad(alpha, costs):
    a = alpha.double().clone().requires_grad_(True)
    oracle(a, costs).backward()
    return a.grad


# ---------------------------------------------------------------- lookup table


@pytest.mark.points(2)
def test_cost_matrix_reads_the_table_per_layer_and_op(kata):
    seed = 1
    table = table_for(seed)
    got = kata.cost_matrix(list(SHAPES), list(OPS), dict(table))
    expected = torch.tensor([[table[(n, s)] for n in OPS] for s in SHAPES], dtype=torch.float64)
    assert_close(
        got,
        expected,
        what="cost_matrix",
        where=f"seed {seed}, layer_inputs={SHAPES}, op_names={OPS}",
        misconceptions={MISTAKES["cost-matrix-transposed"]: expected.T},
    )


@pytest.mark.points(1)
def test_cost_matrix_raises_key_error_for_a_missing_measurement(kata):
    table = table_for(2)
    del table[("k5_e6", (40, 8, 8))]
    try:
        got = kata.cost_matrix(list(SHAPES), list(OPS), table)
    except KeyError:
        return
    message = (
        "cost_matrix: the table has no entry ('k5_e6', (40, 8, 8)) (layer 3), so a KeyError was "
        f"expected; got {got!r}"
    )
    try:
        zero_there = float(as_number(got[3][2], "costs[3, 2]")) == 0.0
    except Exception:
        zero_there = False
    if zero_there:
        mistake = MISTAKES["missing-latency-as-zero"]
        fail(message + naming(mistake), mistake)
    fail(message)


# ---------------------------------------------------------------- expected latency


@pytest.mark.points(2)
@pytest.mark.parametrize("seed, layers, ops", [(11, 5, 4), (12, 3, 7), (13, 1, 2)])
def test_expected_latency_is_sum_of_cost_times_probability(kata, seed, layers, ops):
    alpha, costs = draw(seed, layers, ops)
    got = as_number(kata.expected_latency(alpha.clone(), costs.clone()), "expected_latency")
    assert_close(
        got,
        oracle(alpha, costs),
        what="expected_latency",
        where=describe(seed, alpha=alpha, costs=costs),
        misconceptions={
            MISTAKES["latency-without-softmax"]: (alpha * costs).sum(),
            MISTAKES["latency-softmax-over-layers"]: (torch.softmax(alpha, 0) * costs).sum(),
        },
    )


def check_at_extreme(got, expected, *, ordinary_right, what, where):
    """A finite result at logits of 1e4, and the right one where the formula is right at
    ordinary logits (see checks.agrees)."""
    assert_finite(
        got,
        what,
        advice="the softmax must stay finite at logits of +-1e4 (subtract each row's max first)",
        where=where,
        misconception=MISTAKES["softmax-overflow"],
    )
    if ordinary_right:
        assert_close(got, expected, what=what, where=where, atol=1e-9)


EXTREME = torch.tensor([[1e4, -1e4, 1e4 - 1.0], [-1e4, -1e4, -1e4]], dtype=torch.float64)
ORDINARY = EXTREME * 3e-4  # the same orderings at logits of a few units


@pytest.mark.points(1)
def test_expected_latency_is_finite_at_logits_of_1e4(kata):
    seed = 14
    _, costs = draw(seed, 2, 3)
    got = kata.expected_latency(EXTREME.clone(), costs.clone())
    check_at_extreme(
        got,
        oracle(EXTREME, costs),
        ordinary_right=agrees(
            kata.expected_latency(ORDINARY.clone(), costs.clone()), oracle(ORDINARY, costs)
        ),
        what="expected_latency",
        where=describe(seed, costs=costs) + ", alpha=[[1e4, -1e4, 1e4 - 1], [-1e4] * 3]",
    )


# ---------------------------------------------------------------- gradient


@pytest.mark.points(3)
@pytest.mark.parametrize("seed, layers, ops", [(21, 5, 4), (22, 2, 6)])
def test_gradient_matches_autograd(kata, seed, layers, ops):
    alpha, costs = draw(seed, layers, ops)
    got = kata.expected_latency_grad(alpha.clone(), costs.clone())
    p = torch.softmax(alpha, dim=1)
    assert_close(
        got,
        oracle_grad(alpha, costs),
        what="d expected_latency / d alpha",
        where=describe(seed, alpha=alpha, costs=costs),
        misconceptions={
            MISTAKES["latency-grad-no-mean-term"]: p * costs,
            MISTAKES["softmax-grad-diagonal-only"]: p * (1 - p) * costs,
            MISTAKES["latency-softmax-over-layers"]: oracle_grad_over_layers(alpha, costs),
        },
    )


def oracle_grad_over_layers(alpha, costs):
    a = alpha.clone().requires_grad_(True)
    (torch.softmax(a, dim=0) * costs).sum().backward()
    return a.grad


@pytest.mark.points(1)
def test_gradient_is_finite_at_logits_of_1e4(kata):
    seed = 23
    _, costs = draw(seed, 2, 3)
    got = kata.expected_latency_grad(EXTREME.clone(), costs.clone())
    check_at_extreme(
        got,
        oracle_grad(EXTREME, costs),
        ordinary_right=agrees(
            kata.expected_latency_grad(ORDINARY.clone(), costs.clone()),
            oracle_grad(ORDINARY, costs),
        ),
        what="d expected_latency / d alpha",
        where=describe(seed, costs=costs) + ", alpha=[[1e4, -1e4, 1e4 - 1], [-1e4] * 3]",
    )


# ---------------------------------------------------------------- FBNet


@pytest.mark.points(1)
@pytest.mark.parametrize("ce, latency, a, b", [(2.3, 25.0, 0.2, 0.6), (0.7, 3.5, 1.0, 2.0)])
def test_fbnet_loss_is_ce_times_a_times_log_latency_to_the_b(kata, ce, latency, a, b):
    got = as_number(kata.fbnet_loss(ce, latency, a, b), "fbnet_loss")
    assert_close(
        got,
        ce * a * math.log(latency) ** b,
        what="fbnet_loss",
        where=f"ce={ce}, latency={latency}, a={a}, b={b}",
        misconceptions={MISTAKES["fbnet-without-log"]: ce * a * latency**b},
    )


@pytest.mark.points(1)
def test_cost_matrix_is_float64(kata):
    table = {("a", (1, 2, 2)): 1.5, ("b", (1, 2, 2)): 0.1}
    got = kata.cost_matrix([(1, 2, 2)], ["a", "b"], table)
    if not isinstance(got, torch.Tensor) or got.dtype != torch.float64:
        fail(
            "cost_matrix: expected a float64 tensor, got "
            f"{getattr(got, 'dtype', type(got).__name__)} [table {table}]"
        )
