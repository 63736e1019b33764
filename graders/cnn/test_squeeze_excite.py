"""Hidden grader for cnn/squeeze_excite.

The learner's modules are built and run in the learner's process by probes, which hand back the
output and the weights as plain tensors. The oracle is the statement's pass written out here
with ``torch.nn.functional`` (conv2d, linear) on those same weights, in float64; parameter counts
come from the layer shapes. The zeroed-branch test zeroes conv2 over there and expects relu(x).
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from katakit import misconceptions
from katakit.checks import assert_close, assert_equal, describe, fail, rng
from katakit.sandbox import probe

MISTAKES = misconceptions.of(__file__)


@probe
def build(cls, args, seed, zero_branch=False):
    """On the learner side: seed torch, build the module, optionally zero conv2's weights."""
    import torch

    torch.manual_seed(seed)
    model = cls(*args)
    if zero_branch:
        with torch.no_grad():
            model.conv2.weight.zero_()
            if model.conv2.bias is not None:
                model.conv2.bias.zero_()
    return model


@probe
def run(model, x):
    """On the learner side: the output on x, the weights, torch's own parameter count."""
    import torch

    with torch.no_grad():
        out = model(x)
    return {
        "out": out.detach().clone(),
        "state": {k: v.detach().clone() for k, v in model.state_dict().items()},
        "count": sum(p.numel() for p in model.parameters()),
    }


@probe
def apply_se(model, x):
    """On the learner side: the learner's own SE block of the residual block, on x."""
    import torch

    with torch.no_grad():
        return model.se(x).detach().clone()


@probe
def layers(model):
    """On the learner side: the parameter shapes and torch's own count, nothing run (the
    forward pass is the other tests' promise)."""
    return {
        "state": {k: v.detach().clone() for k, v in model.state_dict().items()},
        "count": sum(p.numel() for p in model.parameters()),
    }


def build_and_run(cls, args, seed, x, zero_branch=False):
    return run(build(cls, args, seed, zero_branch), x)


def draw(seed, shape):
    # channels with different offsets, so that average and max pooling disagree
    gen = rng(seed)
    offsets = gen.normal(0, 1, (1, shape[1], 1, 1))
    return torch.from_numpy(gen.normal(0, 1, shape) + offsets).float()


def weights(state, prefix, names):
    missing = [prefix + n for n in names if prefix + n not in state]
    if missing:
        fail(f"expected parameters named {missing} in the module's state_dict, found {list(state)}")
    return [state[prefix + n].double() for n in names]


def se_pass(state, x, prefix="", squeeze="mean", gate="sigmoid", hidden_relu=True):
    w1, b1, w2, b2 = weights(state, prefix, ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"])
    s = x.mean(dim=(2, 3)) if squeeze == "mean" else x.amax(dim=(2, 3))
    z = F.linear(s, w1, b1)
    z = torch.relu(z) if hidden_relu else z
    logits = F.linear(z, w2, b2)
    g = torch.sigmoid(logits) if gate == "sigmoid" else torch.softmax(logits, dim=1)
    return x * g[:, :, None, None]


def se_mistakes(state, x, prefix=""):
    return {
        MISTAKES["se-max-squeeze"]: se_pass(state, x, prefix, squeeze="max"),
        MISTAKES["se-softmax-gate"]: se_pass(state, x, prefix, gate="softmax"),
        MISTAKES["se-no-hidden-relu"]: se_pass(state, x, prefix, hidden_relu=False),
    }


def branch_pass(state, x):
    w1, b1, w2, b2 = weights(
        state, "", ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias"]
    )
    return F.conv2d(torch.relu(F.conv2d(x, w1, b1, padding=1)), w2, b2, padding=1)


def block_case(kata, seed, shape, reduction):
    """The learner's output, and the oracle built around the learner's own SE block (so that a
    mistake inside SEBlock is charged by the SEBlock tests, not again here)."""
    x = draw(seed, shape)
    model = build(kata.SEResidualBlock, (shape[1], reduction), seed)
    got = run(model, x)
    x64 = x.double()
    branch = branch_pass(got["state"], x64)
    se_branch = apply_se(model, branch.float()).double()
    se_sum = apply_se(model, (x64 + branch).float()).double()
    return x, got, torch.relu(x64 + se_branch), torch.relu(se_sum), torch.relu(x64 + branch)


# ---------------------------------------------------------------- SEBlock


@pytest.mark.points(3)
@pytest.mark.parametrize("seed, shape, reduction", [(1, (2, 8, 5, 6), 2), (2, (1, 12, 3, 3), 4)])
def test_se_block_matches_the_written_out_pass(kata, seed, shape, reduction):
    x = draw(seed, shape)
    got = build_and_run(kata.SEBlock, (shape[1], reduction), seed, x)
    x64 = x.double()
    assert_close(
        got["out"],
        se_pass(got["state"], x64),
        what=f"SEBlock({shape[1]}, reduction={reduction})(x)",
        where=describe(seed, x=x),
        rtol=1e-5,
        atol=1e-5,
        misconceptions=se_mistakes(got["state"], x64),
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("channels, reduction", [(8, 2), (12, 4), (6, 4)])
def test_se_block_layers_and_parameter_count(kata, channels, reduction):
    got = layers(build(kata.SEBlock, (channels, reduction), 3))
    hidden = channels // reduction
    shapes = {k: tuple(v.shape) for k, v in got["state"].items()}
    expected = {
        "fc1.weight": (hidden, channels),
        "fc1.bias": (hidden,),
        "fc2.weight": (channels, hidden),
        "fc2.bias": (channels,),
    }
    where = f"SEBlock({channels}, reduction={reduction}), hidden = {hidden}"
    assert_equal(shapes, expected, what="parameter shapes of SEBlock", where=where)
    assert_equal(
        got["count"],
        2 * channels * hidden + hidden + channels,
        what="number of parameters",
        where=where,
    )


@pytest.mark.points(1)
def test_se_block_scales_each_channel_by_one_gate_in_zero_one(kata):
    seed = 4
    x = draw(seed, (3, 6, 4, 5)).abs() + 0.5
    got = build_and_run(kata.SEBlock, (6, 2), seed, x)
    ratio = (got["out"].double() / x.double()).flatten(2)
    where = describe(seed, x=x) + ", x > 0, ratio = out / x per sample and channel"
    spread = (ratio.amax(dim=2) - ratio.amin(dim=2)).max().item()
    if spread > 1e-5:
        fail(
            f"out / x varies across the positions of a channel (by up to {spread:.3g}): the gate "
            f"is one number per sample and channel, broadcast over H and W [{where}]"
        )
    if not bool(((ratio > 0) & (ratio < 1)).all()):
        fail(
            f"gates out of (0, 1): min {ratio.min().item():.6g}, "
            f"max {ratio.max().item():.6g} [{where}]"
        )


@probe
def construction_error(cls, args):
    """On the learner side: the name of the exception the constructor raises, or None."""
    try:
        cls(*args)
    except Exception as exc:
        return type(exc).__name__
    return None


@pytest.mark.points(1)
def test_se_block_rejects_an_empty_bottleneck(kata):
    raised = construction_error(kata.SEBlock, (4, 8))
    if raised != "ValueError":
        what = "returned a module" if raised is None else f"raised {raised}"
        fail(f"SEBlock(4, reduction=8) has 4 // 8 = 0 hidden units: expected ValueError, {what}")


@probe
def default_shapes(cls, channels):
    """On the learner side: parameter shapes of cls(channels), every default left as it is."""
    return {k: list(v.shape) for k, v in cls(channels).state_dict().items()}


@pytest.mark.points(1)
def test_default_reduction_is_four(kata):
    # SENet's paper uses r = 16; the statement's default is 4, for both classes.
    for name, prefix in (("SEBlock", ""), ("SEResidualBlock", "se.")):
        shapes = default_shapes(getattr(kata, name), 16)
        got = shapes.get(prefix + "fc1.weight")
        if got != [4, 16]:
            fail(
                f"{name}(16) with the default reduction: expected {prefix}fc1.weight of shape "
                f"[4, 16] (hidden = 16 // 4), got {got}"
            )


# ---------------------------------------------------------------- SEResidualBlock


@pytest.mark.points(3)
@pytest.mark.parametrize("seed, shape, reduction", [(5, (2, 8, 6, 5), 2), (6, (1, 4, 3, 7), 2)])
def test_se_residual_block_matches_the_written_out_pass(kata, seed, shape, reduction):
    x, got, expected, se_after_add, no_se = block_case(kata, seed, shape, reduction)
    assert_close(
        got["out"],
        expected,
        what=f"SEResidualBlock({shape[1]}, reduction={reduction})(x)",
        where=describe(seed, x=x) + " (expected: relu(x + self.se(conv2(relu(conv1(x))))))",
        rtol=1e-5,
        atol=1e-5,
        misconceptions={
            MISTAKES["se-after-addition"]: se_after_add,
            MISTAKES["se-missing-in-block"]: no_se,
        },
    )


@pytest.mark.points(3)
@pytest.mark.parametrize("seed, shape", [(7, (2, 6, 4, 4)), (8, (1, 8, 5, 3))])
def test_zeroed_branch_leaves_the_identity_path_unscaled(kata, seed, shape):
    x = draw(seed, shape)
    model = build(kata.SEResidualBlock, (shape[1], 2), seed, True)
    got = run(model, x)
    assert_close(
        got["out"],
        torch.relu(x.double()),
        what="SEResidualBlock(x) with conv2's weight and bias set to zero",
        where=describe(seed, x=x) + "; the branch is then 0, so the block must return relu(x)",
        rtol=1e-6,
        atol=1e-6,
        misconceptions={
            MISTAKES["se-after-addition"]: torch.relu(apply_se(model, x).double()),
        },
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("channels, reduction", [(8, 2), (6, 3)])
def test_se_residual_block_parameter_count(kata, channels, reduction):
    got = layers(build(kata.SEResidualBlock, (channels, reduction), 9))
    hidden = channels // reduction
    conv = 9 * channels * channels + channels
    se = 2 * channels * hidden + hidden + channels
    assert_equal(
        got["count"],
        2 * conv + se,
        what="number of parameters of SEResidualBlock",
        where=f"SEResidualBlock({channels}, reduction={reduction}): two 3x3 convs with bias "
        f"({conv} each) plus the parameters of self.se ({se})",
    )
