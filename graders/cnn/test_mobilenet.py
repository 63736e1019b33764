"""Hidden grader for cnn/mobilenet.

The learner's blocks are built and run in the learner's process by a probe, which hands back the
output and the weights as plain tensors. The oracle rebuilds each block here with
torch.nn.functional (conv2d with groups, batch_norm in training mode, relu6) from those weights;
parameter counts are checked against torch modules built here, and the cost formulas against
the parameter counts of torch modules and a count of output positions.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from katakit import misconceptions
from katakit.checks import (
    as_plain,
    assert_close,
    assert_equal,
    assert_python_ints,
    describe,
    fail,
    rng,
)
from katakit.sandbox import kind_of, probe

MISTAKES = misconceptions.of(__file__)


@probe
def build_and_run(cls, args, seed, x=None, gamma=(0.5, 1.5)):
    """On the learner side: build the block, set BN affine parameters, run it once."""
    import torch

    torch.manual_seed(seed)
    block = cls(*args)
    with torch.no_grad():
        for module in block.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.weight.uniform_(*gamma)
                module.bias.uniform_(-0.5, 0.5)
    state = {k: v.detach().clone() for k, v in block.state_dict().items()}
    flag = getattr(block, "use_residual", None)
    return {
        "out": None if x is None else block(x).detach().clone(),
        "state": state,
        "use_residual": flag if isinstance(flag, bool) else repr(flag),
        "count": sum(p.numel() for p in block.parameters()),
        "expand_is_none": getattr(block, "expand_conv", 0) is None,
    }


def bn(x, s, name):
    return F.batch_norm(x, None, None, s[f"{name}.weight"], s[f"{name}.bias"], training=True)


def dw(x, weight, stride):
    # groups as the learner's weight has them: one filter per channel is the statement's, a full
    # 3x3 conv is judged as built here and charged by the parameter-count tests
    return F.conv2d(x, weight, stride=stride, padding=1, groups=x.shape[1] // weight.shape[1])


def separable_oracle(x, s, stride):
    h = F.relu(bn(dw(x, s["depthwise.weight"], stride), s, "bn1"))
    return F.relu(bn(F.conv2d(h, s["pointwise.weight"]), s, "bn2"))


def inverted_oracle(x, s, stride, residual, act=F.relu6, after_projection=None):
    h = x
    if "expand_conv.weight" in s:
        h = act(bn(F.conv2d(h, s["expand_conv.weight"]), s, "expand_bn"))
    h = act(bn(dw(h, s["dw_conv.weight"], stride), s, "dw_bn"))
    h = bn(F.conv2d(h, s["project_conv.weight"]), s, "project_bn")
    if after_projection is not None:
        h = after_projection(h)
    return x + h if residual else h


def require(state, names, where):
    missing = [n for n in names if n not in state]
    if missing:
        fail(
            f"the block has no parameter(s) {', '.join(missing)}: use the submodule names of the "
            f"statement [{where}] (found: {', '.join(sorted(state))})"
        )


def draw(seed, shape):
    return torch.from_numpy(rng(seed).normal(0, 1, shape)).float()


# ---------------------------------------------------------------- cost formulas


COST_CASES = [(32, 64, 3, 10, 10), (3, 5, 5, 7, 4), (1, 1, 1, 1, 1), (16, 24, 3, 6, 9)]


def module_params(*modules):
    return sum(p.numel() for m in modules for p in m.parameters())


@pytest.mark.points(1)
@pytest.mark.parametrize("c_in, c_out, k, h, w", COST_CASES)
def test_separable_cost_parameters_match_torch_modules(kata, c_in, c_out, k, h, w):
    standard = module_params(nn.Conv2d(c_in, c_out, k, bias=False))
    separable = module_params(
        nn.Conv2d(c_in, c_in, k, groups=c_in, bias=False), nn.Conv2d(c_in, c_out, 1, bias=False)
    )
    got = as_plain(kata.separable_cost(c_in, c_out, k, h, w), "separable_cost")
    if not isinstance(got, dict):
        fail(f"separable_cost returned {type(got).__name__}, expected a dict")
    where = f"separable_cost({c_in}, {c_out}, {k}, {h}, {w})"
    assert_equal(got.get("standard_params"), standard, what="standard_params", where=where)
    assert_equal(
        got.get("separable_params"),
        separable,
        what="separable_params",
        where=where,
        misconceptions={
            MISTAKES["mobilenet-depthwise-without-groups"]: k * k * c_in * c_in + c_in * c_out
        },
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("c_in, c_out, k, h, w", COST_CASES)
def test_separable_cost_macs_are_weights_times_output_positions(kata, c_in, c_out, k, h, w):
    got = as_plain(kata.separable_cost(c_in, c_out, k, h, w), "separable_cost")
    if not isinstance(got, dict):
        fail(f"separable_cost returned {type(got).__name__}, expected a dict")
    where = f"separable_cost({c_in}, {c_out}, {k}, {h}, {w}): one MAC per weight per position"
    # positions counted from the output of a real conv here
    positions = nn.Conv2d(1, 1, 1)(torch.zeros(1, 1, h, w)).numel()
    standard, separable = k * k * c_in * c_out, k * k * c_in + c_in * c_out
    assert_equal(
        got.get("standard_macs"),
        standard * positions,
        what="standard_macs",
        where=where,
        misconceptions={MISTAKES["mobilenet-macs-without-positions"]: standard},
    )
    assert_equal(
        got.get("separable_macs"),
        separable * positions,
        what="separable_macs",
        where=where,
        misconceptions={MISTAKES["mobilenet-macs-without-positions"]: separable},
    )


@pytest.mark.points(1)
def test_separable_cost_values_are_python_ints(kata):
    got = kata.separable_cost(32, 64, 3, 10, 10)
    if kind_of(got) != "builtins.dict":
        fail(f"separable_cost(32, 64, 3, 10, 10): expected a dict, got {kind_of(got)}")
    assert_python_ints(got, "separable_cost(32, 64, 3, 10, 10)")


# ---------------------------------------------------------------- DepthwiseSeparable


@pytest.mark.points(2)
@pytest.mark.parametrize(
    "seed, c_in, c_out, stride, size", [(1, 4, 6, 1, (2, 7, 5)), (2, 5, 3, 2, (2, 9, 8))]
)
def test_depthwise_separable_matches_the_functional_reference(
    kata, seed, c_in, c_out, stride, size
):
    x = draw(seed, (size[0], c_in, *size[1:]))
    got = build_and_run(kata.DepthwiseSeparable, (c_in, c_out, stride), seed, x)
    where = describe(seed, x=x) + f", DepthwiseSeparable({c_in}, {c_out}, stride={stride})"
    s = got["state"]
    require(s, ["depthwise.weight", "bn1.weight", "pointwise.weight", "bn2.weight"], where)
    assert_close(
        got["out"],
        separable_oracle(x, s, stride),
        what="DepthwiseSeparable output",
        where=where,
        rtol=1e-4,
        atol=1e-4,
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("c_in, c_out, stride", [(8, 16, 1), (6, 6, 2)])
def test_depthwise_separable_parameter_count(kata, c_in, c_out, stride):
    got = build_and_run(kata.DepthwiseSeparable, (c_in, c_out, stride), 3)
    bns = module_params(nn.BatchNorm2d(c_in), nn.BatchNorm2d(c_out))
    expected = 9 * c_in + c_in * c_out + bns
    assert_equal(
        got["count"],
        expected,
        what="number of parameters (torch's block.parameters())",
        where=f"DepthwiseSeparable({c_in}, {c_out}, stride={stride})",
        misconceptions={
            MISTAKES["mobilenet-depthwise-without-groups"]: 9 * c_in * c_in + c_in * c_out + bns,
            MISTAKES["mobilenet-conv-bias"]: expected + c_in + c_out,
        },
    )


# ---------------------------------------------------------------- InvertedResidual

INVERTED = [
    (11, 8, 8, 1, 6, (2, 6, 5)),  # residual
    (12, 8, 8, 2, 6, (2, 7, 7)),  # same channels, stride 2: no residual
    (13, 6, 10, 1, 4, (2, 5, 6)),  # channel change: no residual
    (14, 8, 8, 1, 1, (2, 5, 5)),  # no expansion, residual
]


@pytest.mark.points(2)
@pytest.mark.parametrize("seed, c_in, c_out, stride, t, size", INVERTED)
def test_inverted_residual_matches_the_functional_reference(
    kata, seed, c_in, c_out, stride, t, size
):
    x = draw(seed, (size[0], c_in, *size[1:]))
    got = build_and_run(kata.InvertedResidual, (c_in, c_out, stride, t), seed, x)
    where = describe(seed, x=x) + f", InvertedResidual({c_in}, {c_out}, {stride}, {t})"
    s = got["state"]
    names = ["dw_conv.weight", "dw_bn.weight", "project_conv.weight", "project_bn.weight"]
    require(s, names + (["expand_conv.weight", "expand_bn.weight"] if t > 1 else []), where)
    residual = stride == 1 and c_in == c_out
    # an activation after the projection, ReLU6 or ReLU: whichever the learner's output is
    after = [
        inverted_oracle(x, s, stride, residual, after_projection=act) for act in (F.relu6, F.relu)
    ]
    out = got["out"].double()
    close = [bool(torch.allclose(out, a.double(), rtol=1e-4, atol=1e-4)) for a in after]
    wrong = {MISTAKES["mobilenet-relu-after-projection"]: after[1] if close[1] else after[0]}
    if residual:
        wrong[MISTAKES["mobilenet-no-residual"]] = inverted_oracle(x, s, stride, False)
    assert_close(
        got["out"],
        inverted_oracle(x, s, stride, residual),
        what="InvertedResidual output",
        where=where,
        rtol=1e-4,
        atol=1e-4,
        misconceptions=wrong,
    )


@pytest.mark.points(1)
def test_inverted_residual_clips_at_six(kata):
    # BN weights of 8 to 10 push most pre-activations past 6, where ReLU6 and ReLU differ.
    seed = 21
    x = draw(seed, (2, 4, 5, 5))
    got = build_and_run(kata.InvertedResidual, (4, 4, 1, 3), seed, x, (8.0, 10.0))
    s = got["state"]
    where = describe(seed, x=x) + ", InvertedResidual(4, 4, 1, 3), BN weights in [8, 10]"
    require(s, ["expand_conv.weight", "dw_conv.weight", "project_conv.weight"], where)
    # an activation after the projection is the functional-reference tests' concern: with
    # ReLU6 inside, such an output clips at six as well
    for after in (F.relu6, F.relu):
        variant = inverted_oracle(x, s, 1, True, after_projection=after)
        if torch.allclose(got["out"].double(), variant.double(), rtol=1e-4, atol=1e-4):
            return
    assert_close(
        got["out"],
        inverted_oracle(x, s, 1, True),
        what="InvertedResidual output",
        where=where,
        rtol=1e-4,
        atol=1e-4,
        misconceptions={
            MISTAKES["mobilenet-relu-not-relu6"]: inverted_oracle(x, s, 1, True, act=F.relu)
        },
    )


INVERTED_ARGS = [(8, 8, 1, 6), (8, 8, 2, 6), (6, 10, 1, 4), (8, 8, 1, 1)]


def inverted_where(c_in, c_out, stride, t):
    return f"InvertedResidual({c_in}, {c_out}, stride={stride}, expand_ratio={t})"


@pytest.mark.points(1)
def test_use_residual_flag(kata):
    for c_in, c_out, stride, t in INVERTED_ARGS:
        got = build_and_run(kata.InvertedResidual, (c_in, c_out, stride, t), 5)
        assert_equal(
            got["use_residual"],
            stride == 1 and c_in == c_out,
            what="use_residual",
            where=inverted_where(c_in, c_out, stride, t)
            + ": a skip needs stride 1 and in_channels == out_channels",
        )


@pytest.mark.points(1)
def test_no_expansion_layers_when_expand_ratio_is_one(kata):
    got = build_and_run(kata.InvertedResidual, (8, 8, 1, 1), 5)
    if not got["expand_is_none"]:
        fail(
            f"expand_conv and expand_bn must be None when expand_ratio == 1 "
            f"[{inverted_where(8, 8, 1, 1)}]"
        )


@pytest.mark.points(1)
@pytest.mark.parametrize("c_in, c_out, stride, t", INVERTED_ARGS)
def test_inverted_residual_parameter_count(kata, c_in, c_out, stride, t):
    got = build_and_run(kata.InvertedResidual, (c_in, c_out, stride, t), 5)
    hidden = c_in * t
    modules = [
        nn.Conv2d(hidden, hidden, 3, groups=hidden, bias=False),
        nn.BatchNorm2d(hidden),
        nn.Conv2d(hidden, c_out, 1, bias=False),
        nn.BatchNorm2d(c_out),
    ]
    if t > 1:
        modules += [nn.Conv2d(c_in, hidden, 1, bias=False), nn.BatchNorm2d(hidden)]
    biases = (hidden if t > 1 else 0) + hidden + c_out  # one per conv output channel
    assert_equal(
        got["count"],
        module_params(*modules),
        what="number of parameters (torch's block.parameters())",
        where=inverted_where(c_in, c_out, stride, t),
        misconceptions={MISTAKES["mobilenet-conv-bias"]: module_params(*modules) + biases},
    )
