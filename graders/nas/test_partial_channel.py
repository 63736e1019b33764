"""Hidden grader for nas/partial_channel.

Oracles: the statement's index formula for the shuffle (checked against a reshape-transpose here
too), the mixed op recomputed with torch.softmax and the grader's own ops (which run on the
grader's side and record the shapes they are called with), and torch.softmax for the edge
weights.
"""

from __future__ import annotations

import pytest
import torch

from katakit import misconceptions
from katakit.checks import (
    agrees,
    as_array,
    assert_close,
    assert_finite,
    describe,
    fail,
    naming,
    rng,
)

MISTAKES = misconceptions.of(__file__)


def shuffle(x, groups):
    c = x.shape[1]
    y = torch.empty_like(x)
    for g in range(groups):
        for j in range(c // groups):
            y[:, j * groups + g] = x[:, g * (c // groups) + j]
    return y


def transposed_grid(x, groups):
    n, c, h, w = x.shape
    return x.reshape(n, c // groups, groups, h, w).transpose(1, 2).reshape(n, c, h, w)


def image(seed, shape):
    return torch.from_numpy(rng(seed).normal(0, 1, shape))


class Ops:
    """Candidate ops held by the grader; each records the shapes it was called with."""

    def __init__(self):
        self.calls = []

    def record(self, name, t):
        self.calls.append((name, tuple(t.shape)))

    def skip(self, t):
        self.record("skip", t)
        return t.clone()

    def zero(self, t):
        self.record("zero", t)
        return torch.zeros_like(t)

    def tanh(self, t):
        self.record("tanh", t)
        return torch.tanh(2 * t)

    def pool(self, t):
        self.record("pool", t)
        return torch.nn.functional.avg_pool2d(t, 3, stride=1, padding=1, count_include_pad=False)

    def mix(self, t):
        self.record("mix", t)
        return t + 0.5 * t.flip(1)  # channel mixing: depends on which channels it is given

    def all(self):
        return [self.skip, self.zero, self.tanh, self.pool, self.mix]


def learner_shuffle(kata, k):
    """The learner's own channel_shuffle, so a shuffle mistake is charged by the shuffle tests
    only; where it is not a channel permutation, the statement's shuffle."""

    def apply(t):
        probe_ = torch.arange(t.shape[1], dtype=torch.float64).reshape(1, -1, 1, 1)
        try:
            order = torch.as_tensor(as_array(kata.channel_shuffle(probe_, k), "shuffle"))
            order = order.reshape(-1).long()
        except Exception:
            return shuffle(t, k)
        if sorted(order.tolist()) != list(range(t.shape[1])):
            return shuffle(t, k)
        return t[:, order]

    return apply


def oracle(x, alpha, k, shuf=None):
    shuf = shuf or (lambda t: shuffle(t, k))
    ops = Ops().all()
    part = x.shape[1] // k
    p = torch.softmax(alpha, 0)
    mixed = sum(w * op(x[:, :part]) for w, op in zip(p, ops, strict=True))
    return shuf(torch.cat([mixed, x[:, part:]], 1)), mixed


def wrong_outputs(x, alpha, k, shuf):
    ops = Ops().all()
    part = x.shape[1] // k
    p = torch.softmax(alpha, 0)
    _, mixed = oracle(x, alpha, k)
    everything = sum(w * op(x) for w, op in zip(p, ops, strict=True))
    last = sum(w * op(x[:, x.shape[1] - part :]) for w, op in zip(p, ops, strict=True))
    return {
        MISTAKES["partial-channel-no-shuffle"]: torch.cat([mixed, x[:, part:]], 1),
        MISTAKES["partial-channel-bypass-dropped"]: shuf(
            torch.cat([mixed, torch.zeros_like(x[:, part:])], 1)
        ),
        MISTAKES["partial-channel-all-channels"]: shuf(everything),
        MISTAKES["partial-channel-last-part"]: shuf(
            torch.cat([last, x[:, : x.shape[1] - part]], 1)
        ),
    }


# ---------------------------------------------------------------- channel shuffle


@pytest.mark.points(2)
@pytest.mark.parametrize("seed, shape, groups", [(1, (2, 12, 3, 2), 4), (2, (1, 6, 2, 2), 3)])
def test_channel_shuffle_moves_channel_j_of_group_g_to_j_groups_plus_g(kata, seed, shape, groups):
    x = image(seed, shape)
    assert_close(
        kata.channel_shuffle(x.clone(), groups),
        shuffle(x, groups),
        what="channel_shuffle",
        where=describe(seed, x=x, groups=groups),
        misconceptions={MISTAKES["shuffle-grid-transposed"]: transposed_grid(x, groups)},
    )


@pytest.mark.points(1)
def test_channel_shuffle_rejects_indivisible_channels(kata):
    try:
        got = kata.channel_shuffle(torch.zeros(1, 10, 2, 2), 4)
    except ValueError:
        return
    fail(
        f"channel_shuffle with 10 channels and 4 groups should raise ValueError, got "
        f"{getattr(got, 'shape', got)}"
    )


# ---------------------------------------------------------------- partial-channel mixed op


@pytest.mark.points(3)
@pytest.mark.parametrize("seed, shape, k", [(11, (2, 16, 5, 5), 4), (12, (3, 6, 4, 3), 2)])
def test_mixed_op_matches_pc_darts(kata, seed, shape, k):
    x, alpha = image(seed, shape), torch.from_numpy(rng(seed + 100).normal(0, 1.5, 5))
    ops = Ops()
    got = kata.partial_channel_mixed_op(x.clone(), alpha.clone(), tuple(ops.all()), k)
    got = torch.as_tensor(as_array(got, "partial-channel mixed op output"))
    where = describe(seed, x=x, alpha=alpha, k=k) + ", ops [skip, zero, tanh, pool, mix]"
    if tuple(got.shape) != shape:
        fail(f"partial-channel mixed op output: expected shape {shape}, got {tuple(got.shape)}")
    shuf = learner_shuffle(kata, k)
    expected, _ = oracle(x, alpha, k, shuf)
    # the searched channels only, where the shuffle puts them: the bypass channels are
    # test_channels_outside_the_sampled_part_are_untouched's promise
    part, c = shape[1] // k, shape[1]
    order = shuf(torch.arange(c, dtype=torch.float64).reshape(1, c, 1, 1)).reshape(-1).tolist()
    searched = [order.index(m) for m in range(part)]
    assert_close(
        got[:, searched],
        expected[:, searched],
        what=f"the mixed op's channels of the output (at the shuffled positions {searched})",
        where=where,
        misconceptions={
            mistake: wrong[:, searched]
            for mistake, wrong in wrong_outputs(x, alpha, k, shuf).items()
        },
    )


@pytest.mark.points(1)
def test_each_op_is_called_once_on_the_first_c_over_k_channels(kata):
    seed, shape, k = 13, (2, 12, 4, 4), 3
    x, alpha = image(seed, shape), torch.zeros(5, dtype=torch.float64)
    ops = Ops()
    kata.partial_channel_mixed_op(x.clone(), alpha, tuple(ops.all()), k)
    expected = sorted((name, (2, 4, 4, 4)) for name in ("skip", "zero", "tanh", "pool", "mix"))
    if sorted(ops.calls) != expected:
        message = (
            f"ops called with {ops.calls}; expected each of the 5 ops once on a tensor of shape "
            f"(2, 4, 4, 4) = the first C // k channels [{describe(seed, x=x, k=k)}]"
        )
        if any(shape_[1] == 12 for _, shape_ in ops.calls):
            message += naming(MISTAKES["partial-channel-all-channels"])
        fail(message)


@pytest.mark.points(2)
@pytest.mark.parametrize("seed, shape, k", [(14, (2, 8, 3, 3), 4), (15, (1, 9, 2, 5), 3)])
def test_channels_outside_the_sampled_part_are_untouched(kata, seed, shape, k):
    # skip/zero only would hide a mixing mistake; here the ops are strong and the bypass exact
    x, alpha = image(seed, shape), torch.from_numpy(rng(seed + 100).normal(0, 1.5, 5))
    got = torch.as_tensor(
        as_array(
            kata.partial_channel_mixed_op(x.clone(), alpha.clone(), tuple(Ops().all()), k), "out"
        )
    )
    if tuple(got.shape) != shape:
        fail(f"output: expected shape {shape}, got {tuple(got.shape)}")
    part, c = shape[1] // k, shape[1]
    # where the learner's own shuffle puts channel m, or where no shuffle leaves it: where the
    # bypass lands is the shuffle's promise (test_mixed_op_matches_pc_darts), not this one's
    order = learner_shuffle(kata, k)(torch.arange(c, dtype=torch.float64).reshape(1, c, 1, 1))
    order = order.reshape(-1).long().tolist()
    shuffled = [order.index(m) for m in range(part, c)]
    for positions in (shuffled, list(range(part, c))):
        if torch.equal(got[:, positions], x[:, part:]):
            return
    fail(
        f"the bypass channels x[:, {part}:] should reach the output unchanged (bit for bit), "
        f"at the shuffled positions {shuffled} [{describe(seed, x=x, k=k)}]",
        MISTAKES["partial-channel-bypass-dropped"] if not bool(got[:, shuffled].any()) else None,
    )


@pytest.mark.points(1)
def test_k_equal_one_is_the_darts_mixed_op(kata):
    seed, shape = 16, (2, 5, 3, 3)
    x, alpha = image(seed, shape), torch.from_numpy(rng(seed + 100).normal(0, 1.5, 5))
    # ops as a list here (a tuple elsewhere): the statement allows either
    got = kata.partial_channel_mixed_op(x.clone(), alpha.clone(), list(Ops().all()), 1)
    assert_close(
        got,
        oracle(x, alpha, 1)[0],
        what="mixed op with k = 1",
        where=describe(seed, x=x, alpha=alpha, k=1) + ", ops given as a list",
    )


@pytest.mark.points(1)
def test_mixed_op_rejects_indivisible_channels(kata):
    try:
        got = kata.partial_channel_mixed_op(
            torch.zeros(1, 10, 2, 2), torch.zeros(5), tuple(Ops().all()), 4
        )
    except ValueError:
        return
    fail(f"10 channels with k=4 should raise ValueError, got {getattr(got, 'shape', got)}")


def check_at_extreme(got, expected, *, ordinary_right, what, where):
    """A finite result at logits of 1e4, and the right one where the formula is right at
    ordinary logits (see checks.agrees)."""
    assert_finite(
        got,
        what,
        advice="the softmax must stay finite at logits of +-1e4 (subtract the max first)",
        where=where,
        misconception=MISTAKES["softmax-overflow"],
    )
    if ordinary_right:
        assert_close(got, expected, what=what, where=where)


@pytest.mark.points(1)
def test_mixed_op_is_finite_at_logits_of_1e4(kata):
    seed, shape, k = 17, (1, 8, 3, 3), 2
    x = image(seed, shape)
    alpha = torch.tensor([1e4, -1e4, 1e4 - 1.0, 0.0, -1e4], dtype=torch.float64)
    ordinary = alpha * 3e-4  # the same orderings at logits of a few units
    shuf = learner_shuffle(kata, k)

    def run(logits):
        return kata.partial_channel_mixed_op(x.clone(), logits.clone(), tuple(Ops().all()), k)

    check_at_extreme(
        run(alpha),
        oracle(x, alpha, k, shuf)[0],
        ordinary_right=agrees(run(ordinary), oracle(x, ordinary, k, shuf)[0]),
        what="mixed op output",
        where=describe(seed, x=x, k=k) + ", alpha=[1e4, -1e4, 1e4 - 1, 0, -1e4]",
    )


# ---------------------------------------------------------------- edge normalisation


@pytest.mark.points(2)
@pytest.mark.parametrize("seed, edges", [(21, 3), (22, 5)])
def test_edge_normalisation_weights_edges_by_softmax_beta(kata, seed, edges):
    outs = image(seed, (edges, 2, 4, 3, 3))
    beta = torch.from_numpy(rng(seed + 100).normal(0, 1.5, edges))
    assert_close(
        kata.edge_normalised_node(outs.clone(), beta.clone()),
        torch.tensordot(torch.softmax(beta, 0), outs, dims=([0], [0])),
        what="node = sum_i softmax(beta)_i * edge_outputs[i]",
        where=describe(seed, edge_outputs=outs, beta=beta),
        misconceptions={
            MISTAKES["edge-norm-without-softmax"]: torch.tensordot(beta, outs, dims=([0], [0]))
        },
    )


@pytest.mark.points(1)
def test_edge_normalisation_is_finite_at_logits_of_1e4(kata):
    seed = 23
    outs = image(seed, (3, 1, 2, 2, 2))
    beta = torch.tensor([1e4, 1e4 - 1.0, -1e4], dtype=torch.float64)
    ordinary = beta * 3e-4  # the same orderings at logits of a few units

    def oracle_node(b):
        return torch.tensordot(torch.softmax(b, 0), outs, dims=([0], [0]))

    check_at_extreme(
        kata.edge_normalised_node(outs.clone(), beta.clone()),
        oracle_node(beta),
        ordinary_right=agrees(
            kata.edge_normalised_node(outs.clone(), ordinary.clone()), oracle_node(ordinary)
        ),
        what="node",
        where=describe(seed, edge_outputs=outs) + ", beta=[1e4, 1e4 - 1, -1e4]",
    )
