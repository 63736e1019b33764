"""Hidden grader for cnn/selective_kernel.

The learner's SKConv is built and run in the learner's process by probes, which hand back the
output, the attention, each branch's map relu(branches[m](x)) and the weights as plain tensors.
The oracle is the statement's pass written out here with ``torch.nn.functional`` (conv2d with
dilation, linear, softmax) on those same weights, in float64. To charge one mistake once, the
attention is checked from the learner's own branch maps and the output from the learner's own
branch maps and attention; the branches are checked on their own.
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
def build_and_run(args, kwargs, seed, x, cls):
    """On the learner side: build SKConv, run it with return_attention=True, read it back."""
    import torch

    torch.manual_seed(seed)
    model = cls(*args, **kwargs)
    with torch.no_grad():
        result = model(x, return_attention=True)
        plain = model(x)
        maps = [torch.relu(conv(x)).detach().clone() for conv in model.branches]
    if not isinstance(result, tuple | list) or len(result) != 2:
        return {"pair": False, "type": type(result).__name__}
    out, attention = result
    return {
        "pair": True,
        "out": out.detach().clone(),
        "attention": attention.detach().clone(),
        "plain": plain.detach().clone() if isinstance(plain, torch.Tensor) else None,
        "maps": maps,
        "state": {k: v.detach().clone() for k, v in model.state_dict().items()},
        "count": sum(p.numel() for p in model.parameters()),
    }


def draw(seed, shape):
    return torch.from_numpy(rng(seed).normal(0, 1, shape)).float()


def case(kata, seed, shape, branches, reduction=2, min_hidden=4):
    x = draw(seed, shape)
    kwargs = {"branches": branches, "reduction": reduction, "min_hidden": min_hidden}
    got = build_and_run((shape[1],), kwargs, seed, x, kata.SKConv)
    where = describe(seed, x=x) + f", SKConv({shape[1]}, {branches}, {reduction}, {min_hidden})"
    if not got["pair"]:
        fail(
            f"forward(x, return_attention=True) returned {got['type']}, expected (out, a) [{where}]"
        )
    return x, got, where


def param(state, name):
    if name not in state:
        fail(f"expected a parameter named {name} in SKConv's state_dict, found {list(state)}")
    return state[name].double()


def branch_maps(state, x, branches, dilations=None, relu=True):
    maps = []
    for m in range(branches):
        d = m + 1 if dilations is None else dilations[m]
        w, b = param(state, f"branches.{m}.weight"), param(state, f"branches.{m}.bias")
        u = F.conv2d(x.double(), w, b, padding=d, dilation=d)
        maps.append(torch.relu(u) if relu else u)
    return maps


def attention_pass(state, maps, fuse="sum", normalise="softmax-branches"):
    stacked = torch.stack([m.double() for m in maps], dim=1)
    fused = stacked.sum(dim=1) if fuse == "sum" else stacked.mean(dim=1)
    s = fused.mean(dim=(2, 3))
    z = torch.relu(F.linear(s, param(state, "fc.weight"), param(state, "fc.bias")))
    logits = torch.stack(
        [
            F.linear(z, param(state, f"select.{m}.weight"), param(state, f"select.{m}.bias"))
            for m in range(len(maps))
        ],
        dim=1,
    )
    if normalise == "sigmoid":
        return torch.sigmoid(logits)
    return torch.softmax(logits, dim=1 if normalise == "softmax-branches" else 2)


def layer_shapes(channels, branches, hidden):
    expected = {}
    for m in range(branches):
        expected[f"branches.{m}.weight"] = [channels, channels, 3, 3]
        expected[f"branches.{m}.bias"] = [channels]
    expected["fc.weight"], expected["fc.bias"] = [hidden, channels], [hidden]
    for m in range(branches):
        expected[f"select.{m}.weight"] = [channels, hidden]
        expected[f"select.{m}.bias"] = [channels]
    return expected


# ---------------------------------------------------------------- shapes and structure


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "seed, shape, branches", [(1, (2, 8, 5, 7), 2), (2, (1, 6, 4, 3), 3), (3, (3, 4, 3, 3), 1)]
)
def test_output_and_attention_shapes(kata, seed, shape, branches):
    _, got, where = case(kata, seed, shape, branches)
    n, c = shape[:2]
    assert_equal(list(got["out"].shape), list(shape), what="shape of out", where=where)
    assert_equal(
        list(got["attention"].shape),
        [n, branches, c],
        what="shape of the attention a (N, branches, C)",
        where=where,
    )
    if got["plain"] is None or tuple(got["plain"].shape) != shape:
        fail(f"forward(x) without the flag should return out alone, a tensor of shape {shape}")


@probe
def built_layers(cls, args):
    """On the learner side: parameter shapes and torch's own count of cls(*args), nothing run
    (the forward pass is the other tests' promise)."""
    model = cls(*args)
    return {
        "shapes": {k: list(v.shape) for k, v in model.state_dict().items()},
        "count": sum(p.numel() for p in model.parameters()),
    }


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "channels, branches, reduction, min_hidden", [(8, 2, 2, 4), (16, 3, 8, 5), (12, 2, 2, 3)]
)
def test_layers_and_parameter_count(kata, channels, branches, reduction, min_hidden):
    got = built_layers(kata.SKConv, (channels, branches, reduction, min_hidden))
    where = f"SKConv({channels}, {branches}, {reduction}, {min_hidden})"
    hidden = max(channels // reduction, min_hidden)
    expected = layer_shapes(channels, branches, hidden)
    assert_equal(
        got["shapes"],
        expected,
        what="parameter shapes",
        where=where + f", hidden = {hidden}",
        misconceptions={
            MISTAKES["sk-hidden-no-floor"]: layer_shapes(channels, branches, channels // reduction)
        },
    )
    assert_equal(
        got["count"],
        sum(torch.Size(s).numel() for s in expected.values()),
        what="number of parameters",
        where=where,
    )


@probe
def default_shapes(cls, channels):
    """On the learner side: parameter shapes of cls(channels), every default left as it is, and
    of cls(channels, 2, 2, 4), the stated defaults given explicitly."""

    def shapes(model):
        return {k: list(v.shape) for k, v in model.state_dict().items()}

    return {"default": shapes(cls(channels)), "explicit": shapes(cls(channels, 2, 2, 4))}


@pytest.mark.points(1)
@pytest.mark.parametrize("channels", [16, 4])
def test_defaults_are_two_branches_reduction_two_min_hidden_four(kata, channels):
    # SKNet's paper uses r = 16 and L = 32; the statement's defaults are 2, 2 and 4. Judged
    # against the learner's own SKConv(channels, 2, 2, 4): how hidden follows from them is
    # test_layers_and_parameter_count's promise
    got = default_shapes(kata.SKConv, channels)
    assert_equal(
        got["default"],
        got["explicit"],
        what=f"parameter shapes of SKConv({channels}) (every default)",
        where=f"expected those of SKConv({channels}, 2, 2, 4), the stated defaults: branches=2, "
        f"reduction=2, min_hidden=4",
    )


# ---------------------------------------------------------------- split


@pytest.mark.points(3)
@pytest.mark.parametrize("seed, shape, branches", [(5, (2, 4, 9, 8), 3)])
def test_branch_m_is_a_3x3_conv_with_dilation_m_plus_1(kata, seed, shape, branches):
    x, got, where = case(kata, seed, shape, branches)
    expected = branch_maps(got["state"], x, branches)
    undilated = branch_maps(got["state"], x, branches, [1] * branches)
    for m in range(branches):
        assert_close(
            got["maps"][m],
            expected[m],
            what=f"relu(branches[{m}](x))",
            where=where + f"; branch {m}: 3x3, dilation {m + 1}, padding {m + 1}",
            rtol=1e-5,
            atol=1e-5,
            misconceptions={MISTAKES["sk-no-dilation"]: undilated[m]},
        )


# ---------------------------------------------------------------- fuse and select


@pytest.mark.points(2)
@pytest.mark.parametrize("seed, shape, branches", [(6, (3, 8, 5, 5), 2), (7, (2, 6, 6, 4), 3)])
def test_attention_sums_to_one_over_the_branches(kata, seed, shape, branches):
    _, got, where = case(kata, seed, shape, branches)
    state, maps, a = got["state"], got["maps"], got["attention"].double()
    assert_close(
        a.sum(dim=1),
        torch.ones(shape[0], shape[1], dtype=torch.float64),
        what="attention a summed over the branches (dim=1), per sample and channel",
        where=where,
        rtol=0,
        atol=1e-5,
        misconceptions=normalisation_mistakes(state, maps),
    )
    if not bool((a >= 0).all()):
        fail(f"attention has negative weights (min {a.min().item():.6g}) [{where}]")


def normalisation_mistakes(state, maps):
    """The attention sums that a sigmoid, or a softmax over channels, would give; none when the
    learner's parameters are named otherwise (the layer test's concern, not this test's)."""
    try:
        return {
            MISTAKES["sk-sigmoid-attention"]: attention_pass(state, maps, normalise="sigmoid").sum(
                dim=1
            ),
            MISTAKES["sk-softmax-over-channels"]: attention_pass(
                state, maps, normalise="softmax-channels"
            ).sum(dim=1),
        }
    except (AssertionError, KeyError, RuntimeError):
        return {}


@pytest.mark.points(3)
@pytest.mark.parametrize("seed, shape, branches", [(8, (2, 8, 5, 6), 2), (9, (1, 6, 7, 5), 3)])
def test_attention_matches_the_written_out_fuse_and_select(kata, seed, shape, branches):
    x, got, where = case(kata, seed, shape, branches)
    state, maps = got["state"], got["maps"]  # the learner's own branch maps
    linear = branch_maps(state, x, branches, relu=False)
    if torch.allclose(got["attention"].double(), attention_pass(state, linear), atol=1e-5):
        return  # fused from U_m without its ReLU: charged by the output test, where U_m shows
    assert_close(
        got["attention"],
        attention_pass(state, maps),
        what="attention a (N, branches, C)",
        where=where,
        rtol=1e-5,
        atol=1e-5,
        misconceptions={
            MISTAKES["sk-sigmoid-attention"]: attention_pass(state, maps, normalise="sigmoid"),
            MISTAKES["sk-softmax-over-channels"]: attention_pass(
                state, maps, normalise="softmax-channels"
            ),
            MISTAKES["sk-fuse-mean"]: attention_pass(state, maps, fuse="mean"),
            MISTAKES["sk-branch-without-relu"]: attention_pass(state, linear),
        },
    )


@pytest.mark.points(3)
@pytest.mark.parametrize("seed, shape, branches", [(10, (2, 8, 6, 5), 2), (11, (1, 4, 5, 9), 3)])
def test_output_is_the_attention_weighted_sum_of_the_branches(kata, seed, shape, branches):
    x, got, where = case(kata, seed, shape, branches)
    # the learner's own branch maps and attention, each checked by its own test above
    maps = [m.double() for m in got["maps"]]
    a = got["attention"].double()
    expected = sum(a[:, m, :, None, None] * maps[m] for m in range(branches))
    linear = branch_maps(got["state"], x, branches, relu=False)
    assert_close(
        got["out"],
        expected,
        what="out = sum over m of a[:, m, :, None, None] * relu(branches[m](x))",
        where=where,
        rtol=1e-5,
        atol=1e-5,
        misconceptions={
            MISTAKES["sk-output-unweighted"]: sum(maps),
            MISTAKES["sk-branch-without-relu"]: sum(
                a[:, m, :, None, None] * linear[m] for m in range(branches)
            ),
        },
    )
