"""Hidden grader for cnn/residual.

The learner's blocks are built and run in the learner's process by probes, which hand back the
output and the weights as plain tensors. The oracle rebuilds the block here with
torch.nn.functional (conv2d, batch_norm in training mode) from those weights, so it never
trusts the learner's wiring; structure is checked against torch modules built here. The input
gradient is checked against torch autograd run here.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from katakit import misconceptions
from katakit.checks import assert_close, assert_equal, describe, fail, rng
from katakit.sandbox import probe

MISTAKES = misconceptions.of(__file__)


@probe
def build_and_run(cls, args, seed, x=None, zero_branch=False):
    """On the learner side: build the block, read its weights, run it once."""
    import torch

    torch.manual_seed(seed)
    block = cls(*args)
    with torch.no_grad():
        for module in block.modules():  # non-trivial BN affine parameters
            if isinstance(module, torch.nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.5, 0.5)
        if zero_branch:
            last = block.bn3 if hasattr(block, "bn3") else block.bn2
            last.weight.zero_()
            last.bias.zero_()
    state = {k: v.detach().clone() for k, v in block.state_dict().items()}
    downsample = getattr(block, "downsample", "missing")
    out = None if x is None else block(x).detach().clone()
    return {
        "out": out,
        "state": state,
        "downsample": "missing" if isinstance(downsample, str) else downsample is not None,
        "count": sum(p.numel() for p in block.parameters()),
    }


def bn(x, state, name):
    return F.batch_norm(
        x, None, None, state[f"{name}.weight"], state[f"{name}.bias"], training=True, eps=1e-5
    )


def shortcut(x, state, stride):
    if "downsample.0.weight" not in state:
        return x
    projected = F.conv2d(x, state["downsample.0.weight"], stride=stride)
    if "downsample.1.weight" not in state:
        # a projection without its BatchNorm: the forward is judged as the block is built, the
        # missing BN by test_parameter_count_matches_torch_modules
        return projected
    return bn(projected, state, "downsample.1")


def basic_oracle(x, s, stride, relu_before_add=False):
    out = F.relu(bn(F.conv2d(x, s["conv1.weight"], stride=stride, padding=1), s, "bn1"))
    out = bn(F.conv2d(out, s["conv2.weight"], padding=1), s, "bn2")
    if relu_before_add:
        return F.relu(out) + shortcut(x, s, stride)
    return F.relu(out + shortcut(x, s, stride))


def bottleneck_oracle(x, s, stride, relu_before_add=False, stride_on="conv2"):
    out = F.relu(
        bn(F.conv2d(x, s["conv1.weight"], stride=1 if stride_on == "conv2" else stride), s, "bn1")
    )
    out = F.relu(
        bn(
            F.conv2d(
                out, s["conv2.weight"], stride=stride if stride_on == "conv2" else 1, padding=1
            ),
            s,
            "bn2",
        )
    )
    out = bn(F.conv2d(out, s["conv3.weight"]), s, "bn3")
    if relu_before_add:
        return F.relu(out) + shortcut(x, s, stride)
    return F.relu(out + shortcut(x, s, stride))


def draw(seed, shape):
    return torch.from_numpy(rng(seed).normal(0, 1, shape)).float()


def check_state_names(state, expected_names, where):
    missing = sorted(set(expected_names) - set(state))
    if missing:
        fail(
            f"the block has no parameter(s) {', '.join(missing)}; the statement names the "
            f"submodules conv1, bn1, ..., downsample [{where}] (found: {', '.join(sorted(state))})"
        )


def check_projection(state, needed, where):
    if needed and "downsample.0.weight" not in state:
        fail(f"the shapes change but the block has no downsample.0 (projection conv) [{where}]")


BASIC_NAMES = ["conv1.weight", "bn1.weight", "bn1.bias", "conv2.weight", "bn2.weight", "bn2.bias"]
BOTTLENECK_NAMES = [*BASIC_NAMES, "conv3.weight", "bn3.weight", "bn3.bias"]


@pytest.mark.points(2)
@pytest.mark.parametrize(
    "seed, c_in, c_out, stride, size",
    [(1, 6, 6, 1, (3, 7, 5)), (2, 4, 8, 2, (2, 9, 8)), (3, 5, 5, 2, (2, 7, 7))],
)
def test_basic_block_matches_the_functional_reference(kata, seed, c_in, c_out, stride, size):
    x = draw(seed, (size[0], c_in, size[1], size[2]))
    got = build_and_run(kata.BasicBlock, (c_in, c_out, stride), seed, x)
    where = describe(seed, x=x) + f", BasicBlock({c_in}, {c_out}, stride={stride})"
    check_state_names(got["state"], BASIC_NAMES, where)
    check_projection(got["state"], (stride, c_in) != (1, c_out), where)
    s = got["state"]
    assert_close(
        got["out"],
        basic_oracle(x, s, stride),
        what="BasicBlock output",
        where=where,
        rtol=1e-4,
        atol=1e-4,
        misconceptions={MISTAKES["residual-relu-before-add"]: basic_oracle(x, s, stride, True)},
    )


@pytest.mark.points(2)
@pytest.mark.parametrize(
    "seed, c_in, width, stride, size",
    [(11, 12, 3, 1, (2, 6, 5)), (12, 8, 4, 2, (2, 9, 7)), (13, 16, 4, 1, (2, 5, 5))],
)
def test_bottleneck_matches_the_functional_reference(kata, seed, c_in, width, stride, size):
    x = draw(seed, (size[0], c_in, size[1], size[2]))
    got = build_and_run(kata.Bottleneck, (c_in, width, stride), seed, x)
    where = describe(seed, x=x) + f", Bottleneck({c_in}, width={width}, stride={stride})"
    check_state_names(got["state"], BOTTLENECK_NAMES, where)
    check_projection(got["state"], (stride, c_in) != (1, 4 * width), where)
    s = got["state"]
    wrong = {MISTAKES["residual-relu-before-add"]: bottleneck_oracle(x, s, stride, True)}
    if stride > 1 and s["conv1.weight"].shape[-1] == 1:
        wrong[MISTAKES["residual-stride-on-1x1"]] = bottleneck_oracle(x, s, stride, False, "conv1")
    assert_close(
        got["out"],
        bottleneck_oracle(x, s, stride),
        what="Bottleneck output",
        where=where,
        rtol=1e-4,
        atol=1e-4,
        misconceptions=wrong,
    )


@pytest.mark.points(2)
@pytest.mark.parametrize("which", ["basic", "bottleneck"])
def test_zeroed_branch_gives_relu_of_the_input(kata, which):
    # Convention: final ReLU after the addition, so a zero branch gives relu(x), exactly.
    seed = 21
    if which == "basic":
        cls, args, x = kata.BasicBlock, (5, 5, 1), draw(seed, (2, 5, 6, 6))
    else:
        cls, args, x = kata.Bottleneck, (8, 2, 1), draw(seed, (2, 8, 6, 6))
    got = build_and_run(cls, args, seed, x, zero_branch=True)
    where = (
        describe(seed, x=x) + f", {which} block {args}: the last BN's weight "
        "and bias set to 0, so the branch outputs 0 and the block must return relu(x)"
    )
    assert_close(
        got["out"],
        F.relu(x),
        what="output of the block with a zero branch",
        where=where,
        rtol=0,
        atol=1e-6,
        misconceptions={MISTAKES["residual-relu-before-add"]: x},
    )


def reference_count(c_in, c_out, mid=None, stride=1):
    """Parameter count of torch modules built here with the statement's shapes."""
    if mid is None:
        mods = [nn.Conv2d(c_in, c_out, 3, bias=False), nn.BatchNorm2d(c_out)]
        mods += [nn.Conv2d(c_out, c_out, 3, bias=False), nn.BatchNorm2d(c_out)]
    else:
        mods = [nn.Conv2d(c_in, mid, 1, bias=False), nn.BatchNorm2d(mid)]
        mods += [nn.Conv2d(mid, mid, 3, bias=False), nn.BatchNorm2d(mid)]
        mods += [nn.Conv2d(mid, c_out, 1, bias=False), nn.BatchNorm2d(c_out)]
    projection = [nn.Conv2d(c_in, c_out, 1, bias=False), nn.BatchNorm2d(c_out)]
    body = sum(p.numel() for m in mods for p in m.parameters())
    proj = sum(p.numel() for m in projection for p in m.parameters())
    return body, proj


BLOCKS = [
    ("basic", (6, 6, 1)),
    ("basic", (6, 6, 2)),
    ("basic", (4, 8, 1)),
    ("bottleneck", (16, 4, 1)),
    ("bottleneck", (16, 4, 2)),
    ("bottleneck", (8, 4, 1)),
]


def block_case(kata, which, args):
    if which == "basic":
        cls, (c_in, c_out, stride), mid = kata.BasicBlock, args, None
    else:
        cls, (c_in, mid, stride) = kata.Bottleneck, args
        c_out = 4 * mid
    got = build_and_run(cls, args, 31)
    name = "BasicBlock" if which == "basic" else "Bottleneck"
    where = f"{name}{args}, output channels {c_out}"
    if got["downsample"] == "missing":
        fail(f"the block has no attribute downsample (None or the projection) [{where}]")
    return got, (c_in, c_out, mid, stride), where


@pytest.mark.points(2)
def test_projection_only_when_the_shape_changes(kata):
    for which, args in BLOCKS:
        got, (c_in, c_out, _, stride), where = block_case(kata, which, args)
        assert_equal(
            got["downsample"],
            stride != 1 or c_in != c_out,
            what="downsample is not None",
            where=where + ": a projection is needed exactly when stride != 1 or in != out channels",
        )


@pytest.mark.points(1)
@pytest.mark.parametrize("which, args", BLOCKS)
def test_parameter_count_matches_torch_modules(kata, which, args):
    got, (c_in, c_out, mid, _), where = block_case(kata, which, args)
    # with the projection where the learner's block has one: whether it should is
    # test_projection_only_when_the_shape_changes's promise
    has_projection = got["downsample"]
    body, proj = reference_count(c_in, c_out, mid)
    expected = body + (proj if has_projection else 0)
    # convs with a bias before their BN: the body's only, or the projection's as well
    body_biases = 2 * c_out if mid is None else 2 * mid + c_out
    with_biases = [
        expected + body_biases,
        expected + body_biases + (c_out if has_projection else 0),
    ]
    assert_equal(
        got["count"],
        expected,
        what="number of parameters (torch's block.parameters())",
        where=where + (", with its projection shortcut" if has_projection else ", no projection"),
        misconceptions={
            MISTAKES["residual-projection-without-bn"]: body + proj - 2 * c_out,
            MISTAKES["residual-conv-bias"]: next(
                (n for n in with_biases if n == got["count"]), with_biases[0]
            ),
        },
    )


def autograd_gradient(weights, x, residual):
    x = x.clone().requires_grad_(True)
    h = x
    for w in weights:
        a = torch.tanh(h @ w.T)
        h = h + a if residual else a
    h.sum().backward()
    return x.grad


def plain_chain_gradient(weights, x):
    """What a residual backward that forgets the identity term computes."""
    h, acts = x, []
    for w in weights:
        a = torch.tanh(h @ w.T)
        acts.append(a)
        h = h + a
    g = torch.ones_like(h)
    for w, a in zip(reversed(weights), reversed(acts), strict=True):
        g = (g * (1 - a * a)) @ w
    return g


def stack(seed, depth, width, scale, batch=3):
    gen = rng(seed)
    weights = [
        torch.from_numpy(gen.normal(0, scale / width**0.5, (width, width))) for _ in range(depth)
    ]
    return weights, torch.from_numpy(gen.normal(0, 1, (batch, width)))


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, depth, width, scale", [(41, 1, 4, 1.0), (42, 6, 5, 1.5)])
def test_plain_stack_input_gradient_matches_autograd(kata, seed, depth, width, scale):
    weights, x = stack(seed, depth, width, scale)
    got = kata.input_gradient([w.clone() for w in weights], x.clone(), False)
    assert_close(
        got,
        autograd_gradient(weights, x, False),
        what="input_gradient(residual=False)",
        where=describe(seed, x=x) + f", {depth} layers of ({width}, {width})",
        rtol=1e-7,
        atol=1e-10,
    )


@pytest.mark.points(2)
@pytest.mark.parametrize("seed, depth, width, scale", [(51, 1, 4, 1.0), (52, 7, 5, 1.5)])
def test_residual_stack_input_gradient_matches_autograd(kata, seed, depth, width, scale):
    weights, x = stack(seed, depth, width, scale)
    got = kata.input_gradient([w.clone() for w in weights], x.clone(), True)
    assert_close(
        got,
        autograd_gradient(weights, x, True),
        what="input_gradient(residual=True)",
        where=describe(seed, x=x) + f", {depth} layers of ({width}, {width})",
        rtol=1e-7,
        atol=1e-10,
        misconceptions={MISTAKES["residual-grad-drops-identity"]: plain_chain_gradient(weights, x)},
    )


@pytest.mark.points(1)
def test_deep_stacks_plain_vanishes_residual_survives(kata):
    # (inputs left unchanged: the kata's read_only_inputs checks that, centrally)
    seed, depth, width = 61, 30, 8
    weights, x = stack(seed, depth, width, 0.5)
    plain = kata.input_gradient(weights, x, False)
    residual = kata.input_gradient(weights, x, True)
    where = (
        describe(seed, x=x) + f", {depth} layers of ({width}, {width}), weights N(0, 0.5^2/{width})"
    )
    for name, got, expected in [
        ("plain", plain, autograd_gradient(weights, x, False)),
        ("residual", residual, autograd_gradient(weights, x, True)),
    ]:
        assert_close(
            got, expected, what=f"input_gradient, {name} stack", where=where, rtol=1e-6, atol=1e-300
        )
