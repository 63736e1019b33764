"""Hidden grader for cnn/shufflenet.

Oracles: torch's own ``channel_shuffle`` and the closed-form permutation
``perm[k] = (k % g) * (C // g) + k // g`` for the shuffle, its ``argsort`` for the inverse,
``torch.nn.functional.conv2d(..., groups=g)`` for the grouped 1x1 convolution, and the count
``C_out * C_in / g (+ C_out)`` for its parameters. All of them run here, never in the learner's
process (where they are forbidden).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from katakit import misconceptions
from katakit.checks import (
    as_array,
    as_number,
    assert_close,
    assert_equal,
    assert_python_ints,
    describe,
    fail,
    rng,
)

MISTAKES = misconceptions.of(__file__)


def permutation(channels, groups):
    """Output channel k of the shuffle is input channel perm[k]."""
    k = np.arange(channels)
    return (k % groups) * (channels // groups) + k // groups


def draw(seed, shape, dtype=torch.float64):
    return torch.from_numpy(rng(seed).normal(0, 1, shape)).to(dtype)


def labelled(n, c, h, w):
    """Channel c holds the value c everywhere: the output then spells out the permutation."""
    return torch.arange(c, dtype=torch.float64).reshape(1, c, 1, 1).expand(n, c, h, w).clone()


def wrong_shuffles(x, groups):
    n, c, h, w = x.shape
    return {
        MISTAKES["shufflenet-grid-transposed"]: x[:, np.argsort(permutation(c, groups))],
        MISTAKES["shufflenet-wrong-axes"]: (
            x.reshape(n, groups, c // groups, h, w).transpose(2, 3).reshape(n, c, h, w)
        ),
    }


@pytest.mark.points(1)
@pytest.mark.parametrize("c, groups", [(12, 3), (12, 4), (10, 2)])
def test_shuffle_is_the_stated_permutation(kata, c, groups):
    x = labelled(2, c, 2, 3)
    out = as_array(kata.channel_shuffle(x.clone(), groups), "channel_shuffle(x, groups)")
    if out.shape != tuple(x.shape):
        fail(
            f"channel_shuffle: expected shape {tuple(x.shape)}, got {out.shape} [C={c}, g={groups}]"
        )
    if not (out == out[:1, :, :1, :1]).all():
        fail(
            f"channel_shuffle moved values across the batch or spatial positions: with channel c "
            f"filled with the value c, every output channel should be constant [C={c}, g={groups}]"
        )
    got = out[0, :, 0, 0].astype(int).tolist()
    expected = permutation(c, groups).tolist()
    assert_equal(
        got,
        expected,
        what="source channel of each output channel of channel_shuffle",
        where=f"N=2, C={c}, groups={groups}, channel c filled with the value c",
        misconceptions={MISTAKES["shufflenet-grid-transposed"]: np.argsort(expected).tolist()},
    )


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "seed, shape, groups", [(1, (2, 12, 4, 5), 3), (2, (1, 8, 4, 4), 2), (3, (3, 6, 2, 7), 6)]
)
def test_shuffle_matches_torch_on_random_maps(kata, seed, shape, groups):
    x = draw(seed, shape)
    out = kata.channel_shuffle(x.clone(), groups)
    assert_close(
        out,
        F.channel_shuffle(x, groups),
        what="channel_shuffle(x, groups)",
        where=describe(seed, x=x, groups=groups),
        misconceptions=wrong_shuffles(x, groups),
    )


@pytest.mark.points(2)
@pytest.mark.parametrize("seed, shape, groups", [(4, (2, 12, 3, 3), 3), (5, (1, 8, 2, 5), 4)])
def test_unshuffle_is_the_inverse_permutation(kata, seed, shape, groups):
    x = draw(seed, shape)
    perm = permutation(shape[1], groups)
    where = describe(seed, x=x, groups=groups)
    assert_close(
        kata.channel_unshuffle(x.clone(), groups),
        x[:, np.argsort(perm)],
        what="channel_unshuffle(x, groups)",
        where=where,
        misconceptions={MISTAKES["shufflenet-unshuffle-shuffles-again"]: x[:, perm]},
    )
    assert_close(
        kata.channel_unshuffle(F.channel_shuffle(x, groups), groups),
        x,
        what="channel_unshuffle(channel_shuffle(x, g), g)",
        where=where,
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("groups", [1, 6])
def test_one_group_or_one_channel_per_group_is_the_identity(kata, groups):
    x = draw(6, (2, 6, 3, 3))
    for name in ("channel_shuffle", "channel_unshuffle"):
        assert_close(
            getattr(kata, name)(x.clone(), groups),
            x,
            what=f"{name}(x, {groups})",
            where=describe(6, x=x, groups=groups) + " (a 1 x C or C x 1 grid: nothing moves)",
        )


@pytest.mark.points(1)
def test_indivisible_channels_raise_value_error(kata):
    x = draw(7, (1, 10, 2, 2))
    for name in ("channel_shuffle", "channel_unshuffle"):
        try:
            getattr(kata, name)(x.clone(), 3)
        except ValueError:
            continue
        except Exception as exc:
            fail(f"{name}(x, 3) with 10 channels: expected ValueError, got {type(exc).__name__}")
        fail(f"{name}(x, 3) with 10 channels returned instead of raising ValueError")


@pytest.mark.points(1)
def test_grouped_conv_and_count_reject_indivisible_channels(kata):
    x = draw(11, (1, 10, 2, 2))
    calls = {
        "grouped_pointwise_conv(x, weight, None, 4) with C_in = 10": lambda: (
            kata.grouped_pointwise_conv(x.clone(), torch.ones(8, 2, dtype=x.dtype), None, 4)
        ),
        "grouped_pointwise_conv(x, weight, None, 2) with C_in = 10 and C_out = 5": lambda: (
            kata.grouped_pointwise_conv(x.clone(), torch.ones(5, 5, dtype=x.dtype), None, 2)
        ),
        "grouped_pointwise_params(10, 8, 4)": lambda: kata.grouped_pointwise_params(10, 8, 4),
        "grouped_pointwise_params(8, 10, 4)": lambda: kata.grouped_pointwise_params(8, 10, 4),
    }
    for name, call in calls.items():
        try:
            call()
        except ValueError:
            continue
        except Exception as exc:
            fail(f"{name}: expected ValueError, got {type(exc).__name__}: {exc}")
        fail(f"{name} returned instead of raising ValueError")


def interleaved_conv(x, weight, bias, groups):
    """Group g taken as input channels g, g + groups, ... instead of a contiguous block."""
    order_in = np.argsort(permutation(x.shape[1], groups))
    return F.conv2d(x[:, order_in], weight[..., None, None], bias, groups=groups)


@pytest.mark.points(2)
@pytest.mark.parametrize(
    "seed, shape, c_out, groups, dtype, with_bias",
    [
        (8, (2, 12, 3, 4), 6, 3, torch.float64, True),
        (9, (1, 8, 5, 5), 16, 4, torch.float32, True),
        (10, (3, 6, 2, 3), 6, 2, torch.float64, False),
    ],
)
def test_grouped_pointwise_conv_matches_torch(kata, seed, shape, c_out, groups, dtype, with_bias):
    gen = rng(seed)
    x = draw(seed, shape, dtype)
    weight = torch.from_numpy(gen.normal(0, 1, (c_out, shape[1] // groups))).to(dtype)
    bias = torch.from_numpy(gen.normal(0, 1, c_out)).to(dtype) if with_bias else None
    expected = F.conv2d(x, weight[..., None, None], bias, groups=groups)
    out = kata.grouped_pointwise_conv(x.clone(), weight.clone(), bias, groups)
    tol = 1e-5 if dtype == torch.float32 else 1e-10
    assert_close(
        out,
        expected,
        what="grouped_pointwise_conv(x, weight, bias, groups)",
        where=describe(seed, x=x, weight=weight, groups=groups, bias=with_bias),
        rtol=tol,
        atol=tol,
        misconceptions={
            MISTAKES["shufflenet-groups-interleaved"]: interleaved_conv(x, weight, bias, groups),
        },
    )


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "c_in, c_out, groups, bias", [(8, 16, 4, True), (24, 12, 3, False), (5, 7, 1, True)]
)
def test_grouped_pointwise_params_counts_like_conv2d(kata, c_in, c_out, groups, bias):
    expected = sum(
        p.numel() for p in torch.nn.Conv2d(c_in, c_out, 1, groups=groups, bias=bias).parameters()
    )
    got = kata.grouped_pointwise_params(c_in, c_out, groups, bias)
    assert_equal(
        as_number(got, "grouped_pointwise_params"),
        expected,
        what=f"grouped_pointwise_params({c_in}, {c_out}, {groups}, bias={bias})",
        where="parameters of nn.Conv2d with a 1x1 kernel",
        misconceptions={
            MISTAKES["shufflenet-params-not-divided"]: c_in * c_out + (c_out if bias else 0),
        },
    )


@pytest.mark.points(1)
def test_grouped_pointwise_params_is_a_python_int(kata):
    # Its own test: a float count of the right value loses this point only.
    assert_python_ints(
        kata.grouped_pointwise_params(8, 16, 4, True), "grouped_pointwise_params(8, 16, 4, True)"
    )
