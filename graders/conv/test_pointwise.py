"""Hidden grader for conv/pointwise; the oracles are torch's conv2d and the modules' numel()."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from katakit import misconceptions
from katakit.checks import (
    assert_close,
    assert_equal,
    assert_python_ints,
    assert_unchanged,
    describe,
    fail,
    rng,
    snapshot,
)

MISTAKES = misconceptions.of(__file__)


def draw(seed, n, c_in, c_out, h, w, *, bias=True, dtype=np.float64):
    gen = rng(seed)
    x = gen.normal(0, 1, (n, c_in, h, w)).astype(dtype)
    weight = gen.normal(0, 1, (c_out, c_in, 1, 1)).astype(dtype)
    b = gen.normal(0, 1, c_out).astype(dtype) if bias else None
    return x, weight, b


def torch_conv(x, weight, bias):
    return F.conv2d(
        torch.tensor(x), torch.tensor(weight), None if bias is None else torch.tensor(bias)
    ).numpy()


def conv_mistakes(x, weight, bias):
    """What the classic slips produce, where their shapes allow them to run at all."""
    n, c_in, h, w = x.shape
    c_out = weight.shape[0]
    matrix = weight.reshape(c_out, c_in)
    shift = 0.0 if bias is None else bias.reshape(1, -1, 1, 1)
    mistakes = {
        MISTAKES["pixels-mixed-by-reshape"]: (
            (x.reshape(-1, c_in) @ matrix.T).reshape(n, c_out, h, w) + shift
        ),
    }
    if c_in == c_out:
        mistakes[MISTAKES["pointwise-weight-transposed"]] = (
            np.einsum("co,nchw->nohw", matrix, x) + shift
        )
    if bias is not None:
        mistakes[MISTAKES["bias-not-added"]] = torch_conv(x, weight, None)
    return mistakes


def check_conv(kata, seed, x, weight, bias, **extra):
    before = snapshot(x=x, weight=weight, **({} if bias is None else {"bias": bias}))
    out = kata.pointwise_conv(x, weight, bias)
    assert_close(
        out,
        torch_conv(x, weight, bias),
        what="pointwise_conv output",
        where=describe(seed, x=x, weight=weight, bias=bias, **extra),
        misconceptions=conv_mistakes(x, weight, bias),
    )
    after = {} if bias is None else {"bias": bias}
    assert_unchanged(before, x=x, weight=weight, **after)
    return out


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "seed, shape, bias",
    [
        (11, (2, 3, 4, 5, 6), True),  # expand 3 -> 4 channels
        (12, (3, 8, 2, 3, 2), True),  # reduce 8 -> 2 channels
        (13, (1, 5, 3, 1, 7), False),  # no bias, a single row
    ],
)
def test_pointwise_conv_matches_conv2d_with_a_1x1_kernel(kata, seed, shape, bias):
    n, c_in, c_out, h, w = shape
    x, weight, b = draw(seed, n, c_in, c_out, h, w, bias=bias)
    check_conv(kata, seed, x, weight, b)


@pytest.mark.points(2)
def test_square_layer_keeps_output_and_input_channels_apart(kata):
    # With C_in == C_out a transposed weight still has the right shape; only the values differ.
    seed = 21
    x, weight, b = draw(seed, 2, 4, 4, 3, 5)
    check_conv(kata, seed, x, weight, b)


@pytest.mark.points(2)
@settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=20,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    n=st.integers(1, 3),
    c_in=st.integers(1, 6),
    c_out=st.integers(1, 6),
    h=st.integers(1, 5),
    w=st.integers(1, 5),
    bias=st.booleans(),
    seed=st.integers(0, 10_000),
)
def test_pointwise_conv_matches_conv2d_for_any_shape(kata, n, c_in, c_out, h, w, bias, seed):
    x, weight, b = draw(seed, n, c_in, c_out, h, w, bias=bias)
    check_conv(kata, seed, x, weight, b)


@pytest.mark.points(1)
def test_float32_input_gives_float32_output(kata):
    # The dtype only: the values are the other tests' promise. As many input as output
    # channels, so that a weight read the wrong way round still runs.
    seed = 31
    x, weight, b = draw(seed, 2, 4, 4, 4, 4, dtype=np.float32)
    out = kata.pointwise_conv(x, weight, b)
    dtype = str(getattr(out, "dtype", type(out).__name__)).replace("torch.", "")
    if dtype != "float32":
        fail(
            f"pointwise_conv: expected float32 output for float32 inputs, got {dtype} "
            f"[{describe(seed, x=x, weight=weight)}]"
        )


def numel(*modules):
    # meta tensors: shapes and counts without allocating any memory
    return sum(p.numel() for m in modules for p in m.parameters())


def conv(c_in, c_out, kernel, bias):
    return nn.Conv2d(c_in, c_out, kernel, bias=bias, device="meta")


@pytest.mark.points(1)
@pytest.mark.parametrize("bias", [True, False])
def test_pointwise_params_match_the_conv_module(kata, bias):
    for c_in, c_out in [(1, 1), (3, 16), (64, 32), (256, 1024)]:
        expected = numel(conv(c_in, c_out, 1, bias))
        assert_equal(
            kata.pointwise_params(c_in, c_out, bias),
            expected,
            what=f"pointwise_params({c_in}, {c_out}, bias={bias})",
            where="nn.Conv2d(c_in, c_out, 1) parameter count",
            misconceptions={
                MISTAKES["biases-not-counted"]: c_in * c_out,
                MISTAKES["bias-per-input-channel"]: c_in * c_out + c_in,
            }
            if bias
            else {MISTAKES["bias-counted-without-bias"]: c_in * c_out + c_out},
        )


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "c_in, c_mid, c_out, kernel, bias",
    [(256, 64, 256, 3, True), (96, 24, 48, (3, 5), False)],
)
def test_bottleneck_params_match_the_modules(kata, c_in, c_mid, c_out, kernel, bias):
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    direct = numel(conv(c_in, c_out, kernel, bias))
    reduced = numel(conv(c_in, c_mid, 1, bias), conv(c_mid, c_out, kernel, bias))
    assert_equal(
        kata.bottleneck_params(c_in, c_mid, c_out, kernel, bias),
        (direct, reduced),
        what=f"bottleneck_params({c_in}, {c_mid}, {c_out}, {kernel}, bias={bias})",
        where="(direct, reduced) from nn.Conv2d parameter counts",
        misconceptions={
            MISTAKES["biases-not-counted"]: (
                direct - c_out,
                reduced - c_mid - c_out,
            ),
            MISTAKES["bias-counted-without-bias"]: (direct + c_out, reduced + c_mid + c_out),
            MISTAKES["non-square-kernel-kh-squared"]: (
                c_in * c_out * kh * kh + (c_out if bias else 0),
                reduced - c_mid * c_out * kh * (kw - kh),
            ),
            MISTAKES["reduction-layer-not-counted"]: (
                direct,
                reduced - c_in * c_mid - (c_mid if bias else 0),
            ),
        },
    )


@pytest.mark.points(1)
def test_parameter_counts_are_python_ints(kata):
    calls = {
        "pointwise_params(3, 16)": lambda: kata.pointwise_params(3, 16),
        "pointwise_params(64, 32, bias=False)": lambda: kata.pointwise_params(64, 32, False),
        "bottleneck_params(256, 64, 256, 3)": lambda: kata.bottleneck_params(256, 64, 256, 3),
        "bottleneck_params(96, 24, 48, (3, 5), bias=False)": lambda: kata.bottleneck_params(
            96, 24, 48, (3, 5), False
        ),
    }
    for text, run in calls.items():
        assert_python_ints(run(), text)
