"""Hidden grader for dist/syncbn_simulated.

Oracle: torch autograd through torch.nn.functional.batch_norm (training mode, float64) on the
concatenated batch, split back into shards. Shards are small, of uneven sizes and drawn from
different distributions (as devices see different data), so averaging per-shard statistics is
visibly wrong.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from katakit import misconceptions
from katakit.checks import as_array, assert_close, assert_equal, describe, fail, naming, rng

MISTAKES = misconceptions.of(__file__)

EPS = 1e-5
RTOL, ATOL = 1e-8, 1e-10

# seed, per-shard batch sizes, the shape of one sample (C, or C, H, W)
CASES = [
    (101, (1, 4, 2), (3,)),
    (102, (5, 2, 7, 1), (2,)),
    (103, (3, 1), (2, 2, 3)),
]


def draw(seed, sizes, sample_shape):
    """Shards whose devices see different data: each shard has its own offset and scale."""
    gen = rng(seed)
    channels = sample_shape[0]
    per_channel = (1, channels) + (1,) * (len(sample_shape) - 1)
    shards = []
    for n in sizes:
        offset = gen.normal(0, 3, channels).reshape(per_channel)
        scale = gen.uniform(0.3, 2.0, channels).reshape(per_channel)
        shards.append(offset + scale * gen.normal(0, 1, (n, *sample_shape)))
    gamma, beta = gen.uniform(0.5, 1.5, channels), gen.normal(0, 1, channels)
    douts = [gen.normal(0, 1, x.shape) for x in shards]
    return shards, gamma, beta, douts


def where(seed, shards):
    sizes = [x.shape[0] for x in shards]
    return describe(seed, sample_shape=tuple(shards[0].shape[1:])) + f", shard sizes {sizes}"


def full_batch(shards, gamma, beta, douts, eps=EPS):
    """Oracle: outputs and gradients of single-device BN on the concatenated batch, by shard."""
    x = torch.tensor(np.concatenate(shards), requires_grad=True)
    g = torch.tensor(gamma, requires_grad=True)
    b = torch.tensor(beta, requires_grad=True)
    out = F.batch_norm(x, None, None, g, b, training=True, eps=eps)
    dx, dg, db = torch.autograd.grad(out, (x, g, b), torch.tensor(np.concatenate(douts)))
    bounds = np.cumsum([0] + [s.shape[0] for s in shards])
    split = [slice(lo, hi) for lo, hi in itertools.pairwise(bounds)]
    out, dx = out.detach().numpy(), dx.numpy()
    return [out[s] for s in split], [dx[s] for s in split], dg.numpy(), db.numpy()


def axes(x):
    return (0, *range(2, x.ndim))


def per_channel(x):
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def wrong_statistics(shards):
    """(mean, var) that the classic mistakes produce, by name."""
    nonempty = [x for x in shards if x.shape[0]]
    counts = np.array([x.size // x.shape[1] for x in nonempty], dtype=float)
    means = np.array([x.mean(axis=axes(x)) for x in nonempty])
    variances = np.array([x.var(axis=axes(x)) for x in nonempty])
    squares = np.array([(x * x).mean(axis=axes(x)) for x in nonempty])
    weighted_mean = (counts[:, None] * means).sum(0) / counts.sum()
    unweighted_mean = means.mean(0)
    return {
        MISTAKES["averaged-variances"]: (weighted_mean, variances.mean(0)),
        MISTAKES["weighted-average-of-variances"]: (
            weighted_mean,
            (counts[:, None] * variances).sum(0) / counts.sum(),
        ),
        MISTAKES["unweighted-mean-of-means"]: (
            unweighted_mean,
            squares.mean(0) - unweighted_mean**2,
        ),
    }


def normalise(shards, mean, var, gamma, beta, eps=EPS):
    return [
        gamma.reshape(per_channel(x))
        * (x - mean.reshape(per_channel(x)))
        / np.sqrt(var.reshape(per_channel(x)) + eps)
        + beta.reshape(per_channel(x))
        for x in shards
    ]


def local_sums_backward(shards, douts, gamma, eps=EPS):
    """dx when each device finishes the backward with its own sums and count only."""
    full = np.concatenate(shards)
    mean, var = full.mean(axis=axes(full)), full.var(axis=axes(full))
    dxs = []
    for x, dy in zip(shards, douts, strict=True):
        shape = per_channel(x)
        std = np.sqrt(var + eps).reshape(shape)
        x_hat = (x - mean.reshape(shape)) / std
        m = max(x.size // x.shape[1], 1)
        sum_dy = dy.sum(axis=axes(x), keepdims=True)
        sum_dy_xhat = (dy * x_hat).sum(axis=axes(x), keepdims=True)
        dxs.append(gamma.reshape(shape) / std * (dy - sum_dy / m - x_hat * sum_dy_xhat / m))
    return dxs


def as_list(result, n, what):
    if not isinstance(result, list | tuple):
        fail(f"{what}: expected a list with one array per shard, got {type(result).__name__}")
    if len(result) != n:
        fail(f"{what}: expected {n} arrays (one per shard), got {len(result)}")
    return list(result)


def check_shards(actual, expected, what, where_, misconceptions=None):
    actual = as_list(actual, len(expected), what)
    for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
        wrong = {name: values[i] for name, values in (misconceptions or {}).items()}
        assert_close(
            a,
            e,
            what=f"{what} of shard {i}",
            where=where_,
            rtol=RTOL,
            atol=ATOL,
            misconceptions=wrong,
        )


@pytest.mark.points(1)
def test_local_stats_are_count_sum_and_sum_of_squares(kata):
    for seed, sizes, sample_shape in [*CASES, (104, (0,), (3,)), (105, (0,), (2, 1, 2))]:
        shards, *_ = draw(seed, sizes, sample_shape)
        for x in shards:
            here = describe(seed, x=x)
            result = kata.local_stats(x.copy())
            if not isinstance(result, tuple | list) or len(result) != 3:
                fail(f"local_stats: expected a tuple (count, sum, sum_sq), got {result!r:.200}")
            count, total, total_sq = result
            assert_equal(
                round(float(as_array(count, "count").reshape(-1)[0])),
                x.size // x.shape[1],
                what="count (values per channel)",
                where=here,
            )
            assert_close(total, x.sum(axis=axes(x)), what="sum", where=here, rtol=RTOL, atol=ATOL)
            assert_close(
                total_sq,
                (x * x).sum(axis=axes(x)),
                what="sum_sq",
                where=here,
                rtol=RTOL,
                atol=ATOL,
                misconceptions={
                    MISTAKES["centred-sum-of-squares"]: (
                        (x - x.sum(axis=axes(x), keepdims=True) / max(x.size // x.shape[1], 1)) ** 2
                    ).sum(axis=axes(x))
                },
            )


@pytest.mark.points(1)
def test_local_stats_count_is_an_int(kata):
    kinds = {}
    for shape in [(4, 3), (2, 3, 2, 5), (0, 3)]:
        count = kata.local_stats(np.ones(shape))[0]
        if isinstance(count, bool) or not isinstance(count, int | np.integer):
            kinds[shape] = f"{count!r} ({type(count).__name__})"
    if kinds:
        fail(
            "local_stats: the count must be an int (the number of values per channel), got "
            + "; ".join(f"{v} for a shard of shape {k}" for k, v in kinds.items())
            + ". x.size // x.shape[1] is an int; np.prod of a shape is a float for an empty one"
        )


@pytest.mark.points(1)
def test_combine_stats_never_returns_a_negative_variance(kata):
    # Channel 0 is the constant 1000.1 over 7 values: E[x^2] - mean^2 rounds to about -2.3e-10.
    gen = rng(106)
    shards = [np.column_stack([np.full(n, 1000.1), gen.normal(size=n)]) for n in (3, 4)]
    stats = [(len(x), x.sum(axis=0), (x * x).sum(axis=0)) for x in shards]
    count = sum(c for c, _, _ in stats)
    mean = sum(s for _, s, _ in stats) / count
    one_pass = sum(q for _, _, q in stats) / count - mean * mean
    result = kata.combine_stats(stats)
    if not isinstance(result, tuple | list) or len(result) != 2:
        fail(f"combine_stats: expected a tuple (mean, var), got {result!r:.200}")
    var = as_array(result[1], "var")
    if var.shape == (2,) and var[0] < 0:
        matched = MISTAKES["variance-not-clipped"] if np.isclose(var[0], one_pass[0]) else None
        shown = naming(matched) if matched else ""
        fail(
            f"combine_stats: variance {var.tolist()} is negative in channel 0, the constant "
            f"1000.1 over shards of 3 and 4 values [seed 106]; a variance is never below 0: "
            f"clip the round-off of E[x**2] - mean**2 to 0{shown}",
            matched,
        )


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, sizes, sample_shape", CASES[:2])
def test_combine_stats_weights_every_value_equally(kata, seed, sizes, sample_shape):
    shards, *_ = draw(seed, sizes, sample_shape)
    stats = [(x.size // x.shape[1], x.sum(axis=axes(x)), (x * x).sum(axis=axes(x))) for x in shards]
    full = np.concatenate(shards)
    result = kata.combine_stats(stats)
    if not isinstance(result, tuple | list) or len(result) != 2:
        fail(f"combine_stats: expected a tuple (mean, var), got {result!r:.200}")
    wrong = wrong_statistics(shards)
    here = where(seed, shards)
    assert_close(
        result[0],
        full.mean(axis=axes(full)),
        what="global mean",
        where=here,
        rtol=RTOL,
        atol=ATOL,
        misconceptions={k: v[0] for k, v in wrong.items()},
    )
    assert_close(
        result[1],
        full.var(axis=axes(full)),
        what="global (biased) variance",
        where=here,
        rtol=RTOL,
        atol=ATOL,
        misconceptions={k: v[1] for k, v in wrong.items()}
        | {MISTAKES["unbiased-variance-in-forward"]: full.var(axis=axes(full), ddof=1)},
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, sizes, sample_shape", CASES)
def test_forward_equals_batch_norm_of_the_concatenated_batch(kata, seed, sizes, sample_shape):
    shards, gamma, beta, douts = draw(seed, sizes, sample_shape)
    outs = kata.syncbn_forward([x.copy() for x in shards], gamma, beta, eps=EPS)
    expected, *_ = full_batch(shards, gamma, beta, douts)
    wrong = {
        name: normalise(shards, m, v, gamma, beta)
        for name, (m, v) in wrong_statistics(shards).items()
    }
    wrong[
        "each device normalised with its own statistics (plain BN per device); SyncBN uses "
        "the statistics of the whole batch"
    ] = [normalise([x], x.mean(axis=axes(x)), x.var(axis=axes(x)), gamma, beta)[0] for x in shards]
    check_shards(outs, expected, "forward output", where(seed, shards), wrong)


@pytest.mark.points(1)
def test_forward_with_a_device_that_has_no_sample(kata):
    seed = 111
    shards, gamma, beta, douts = draw(seed, (3, 0, 2), (2, 1, 2))
    outs = kata.syncbn_forward([x.copy() for x in shards], gamma, beta, eps=EPS)
    expected, *_ = full_batch(shards, gamma, beta, douts)
    check_shards(
        outs,
        expected,
        "forward output",
        where(seed, shards)
        + "; shard 1 is empty and its output must be an empty array of its shape",
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, sizes, sample_shape", CASES)
def test_backward_input_gradients_equal_full_batch_autograd(kata, seed, sizes, sample_shape):
    shards, gamma, beta, douts = draw(seed, sizes, sample_shape)
    result = kata.syncbn_backward(
        [x.copy() for x in shards], [d.copy() for d in douts], gamma, eps=EPS
    )
    if not isinstance(result, tuple | list) or len(result) != 3:
        fail(f"syncbn_backward: expected a tuple (dxs, dgamma, dbeta), got {result!r:.200}")
    _, expected_dx, _, _ = full_batch(shards, gamma, beta, douts)
    wrong = {
        MISTAKES["backward-local-sums-and-count"]: local_sums_backward(shards, douts, gamma),
    }
    check_shards(result[0], expected_dx, "dx", where(seed, shards), wrong)


@pytest.mark.points(1)
def test_backward_gamma_and_beta_gradients_are_sums_over_all_devices(kata):
    seed, sizes, sample_shape = CASES[0]
    shards, gamma, beta, douts = draw(seed, sizes, sample_shape)
    result = kata.syncbn_backward(
        [x.copy() for x in shards], [d.copy() for d in douts], gamma, eps=EPS
    )
    if not isinstance(result, tuple | list) or len(result) != 3:
        fail(f"syncbn_backward: expected a tuple (dxs, dgamma, dbeta), got {result!r:.200}")
    _, _, dgamma, dbeta = full_batch(shards, gamma, beta, douts)
    here = where(seed, shards)
    n = len(shards)
    assert_close(
        result[2],
        dbeta,
        what="dbeta",
        where=here,
        rtol=RTOL,
        atol=ATOL,
        misconceptions={MISTAKES["dbeta-averaged"]: dbeta / n},
    )
    assert_close(
        result[1],
        dgamma,
        what="dgamma",
        where=here,
        rtol=RTOL,
        atol=ATOL,
        misconceptions={MISTAKES["dgamma-averaged"]: dgamma / n},
    )


@pytest.mark.points(1)
def test_backward_with_a_device_that_has_no_sample(kata):
    seed = 121
    shards, gamma, beta, douts = draw(seed, (0, 4, 1), (3,))
    result = kata.syncbn_backward(
        [x.copy() for x in shards], [d.copy() for d in douts], gamma, eps=EPS
    )
    if not isinstance(result, tuple | list) or len(result) != 3:
        fail(f"syncbn_backward: expected a tuple (dxs, dgamma, dbeta), got {result!r:.200}")
    _, expected_dx, dgamma, dbeta = full_batch(shards, gamma, beta, douts)
    here = where(seed, shards) + "; shard 0 is empty"
    check_shards(result[0], expected_dx, "dx", here)
    assert_close(result[1], dgamma, what="dgamma", where=here, rtol=RTOL, atol=ATOL)
    assert_close(result[2], dbeta, what="dbeta", where=here, rtol=RTOL, atol=ATOL)
