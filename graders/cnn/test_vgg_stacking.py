"""Hidden grader for cnn/vgg_stacking.

Oracles: receptive fields measured here by back-propagating from one output pixel through a
stack of torch Conv2d modules; parameter counts of torch Conv2d modules built here; the VGG block
rebuilt here with torch.nn.functional from the weights a probe reads off the learner's block.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from katakit import misconceptions
from katakit.checks import (
    as_number,
    assert_close,
    assert_equal,
    assert_python_ints,
    describe,
    fail,
    rng,
)
from katakit.sandbox import probe

MISTAKES = misconceptions.of(__file__)


def measured_receptive_field(n, k):
    """Rows of the input that reach the centre output pixel of n stacked k x k torch convs."""
    size = 2 * n * k + 3
    convs = [nn.Conv2d(1, 1, k, padding=k // 2, bias=False) for _ in range(n)]
    x = torch.ones(1, 1, size, size, requires_grad=True)
    h = x
    for conv in convs:
        with torch.no_grad():
            conv.weight.fill_(1.0)
        h = conv(h)
    h[0, 0, size // 2, size // 2].backward()
    rows = torch.nonzero(x.grad[0, 0].abs().sum(dim=1) > 0).flatten()
    return int(rows.max() - rows.min() + 1)


@pytest.mark.points(1)
@pytest.mark.parametrize("n, k", [(1, 3), (2, 3), (3, 3), (5, 3), (0, 3), (2, 5), (3, 7)])
def test_stacked_receptive_field_matches_a_measured_stack(kata, n, k):
    assert_equal(
        as_number(kata.stacked_receptive_field(n, k), "stacked_receptive_field"),
        measured_receptive_field(n, k),
        what="stacked_receptive_field",
        where=f"n = {n} stacked {k}x{k} convs, stride 1",
        misconceptions={MISTAKES["vgg-receptive-field-n-times-k"]: n * k} if n > 1 else {},
    )


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "n, channels, k, bias", [(3, 64, 3, True), (1, 64, 7, True), (2, 5, 3, False), (4, 1, 5, True)]
)
def test_conv_stack_params_match_torch_modules(kata, n, channels, k, bias):
    convs = [nn.Conv2d(channels, channels, k, bias=bias) for _ in range(n)]
    expected = sum(p.numel() for c in convs for p in c.parameters())
    assert_equal(
        as_number(kata.conv_stack_params(n, channels, k, bias), "conv_stack_params"),
        expected,
        what="conv_stack_params",
        where=f"{n} x Conv2d({channels}, {channels}, {k}, bias={bias})",
        misconceptions={MISTAKES["vgg-params-forget-bias"]: n * k * k * channels * channels}
        if bias
        else {},
    )


@pytest.mark.points(1)
def test_counts_are_python_ints(kata):
    # The statement promises Python ints; the value tests above compare numbers of any type.
    for call, value in [
        ("stacked_receptive_field(3, 3)", kata.stacked_receptive_field(3, 3)),
        ("conv_stack_params(2, 8, 3, True)", kata.conv_stack_params(2, 8, 3, True)),
    ]:
        assert_python_ints(value, call)


@probe
def build_and_run(cls, args, seed, x=None):
    import torch

    torch.manual_seed(seed)
    block = cls(*args)
    state = {k: v.detach().clone() for k, v in block.state_dict().items()}
    return {
        "out": None if x is None else block(x).detach().clone(),
        "state": state,
        "count": sum(p.numel() for p in block.parameters()),
    }


def block_oracle(x, s, num_convs, relu_every=True):
    for i in range(num_convs):
        x = F.conv2d(x, s[f"convs.{i}.weight"], s[f"convs.{i}.bias"], padding=1)
        if relu_every or i == num_convs - 1:
            x = F.relu(x)
    return F.max_pool2d(x, 2, stride=2)


@pytest.mark.points(2)
@pytest.mark.parametrize(
    "seed, c_in, c_out, num_convs, size", [(1, 3, 5, 2, (2, 8, 6)), (2, 4, 4, 3, (1, 9, 7))]
)
def test_vgg_block_matches_the_functional_reference(kata, seed, c_in, c_out, num_convs, size):
    x = torch.from_numpy(rng(seed).normal(0, 1, (size[0], c_in, *size[1:]))).float()
    got = build_and_run(kata.VGGBlock, (c_in, c_out, num_convs), seed, x)
    where = describe(seed, x=x) + f", VGGBlock({c_in}, {c_out}, {num_convs})"
    s = got["state"]
    for i in range(num_convs):
        shape = tuple(s.get(f"convs.{i}.weight", torch.zeros(0)).shape)
        expected = (c_out, c_in if i == 0 else c_out, 3, 3)
        if shape != expected or f"convs.{i}.bias" not in s:
            fail(
                f"convs[{i}]: expected a Conv2d with weight {expected} and a bias, got "
                f"{shape} [{where}] (found: {', '.join(sorted(s))})"
            )
    expected = block_oracle(x, s, num_convs)
    out = got["out"]
    if tuple(out.shape) != tuple(expected.shape):
        fail(
            f"output shape {tuple(out.shape)}, expected {tuple(expected.shape)} [{where}]\n"
            f"  3x3 convs with padding=1 keep H and W; the 2x2 pooling with stride 2 halves them"
        )
    assert_close(
        out,
        expected,
        what="VGGBlock output",
        where=where,
        rtol=1e-4,
        atol=1e-5,
        misconceptions={MISTAKES["vgg-relu-only-at-the-end"]: block_oracle(x, s, num_convs, False)},
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("c_in, c_out, num_convs", [(3, 64, 2), (64, 128, 3)])
def test_vgg_block_parameter_count_matches_torch_modules(kata, c_in, c_out, num_convs):
    convs = [nn.Conv2d(c_in if i == 0 else c_out, c_out, 3) for i in range(num_convs)]
    got = build_and_run(kata.VGGBlock, (c_in, c_out, num_convs), 0)
    assert_equal(
        got["count"],
        sum(p.numel() for c in convs for p in c.parameters()),
        what="number of parameters (torch's block.parameters())",
        where=f"VGGBlock({c_in}, {c_out}, {num_convs})",
    )
