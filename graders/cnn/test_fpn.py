"""Hidden grader for cnn/fpn.

The learner's FPN is built and run in the learner's process by a probe, which hands back the
output levels and the weights as plain tensors. The oracle is the statement's pass written out
here with ``torch.nn.functional`` (conv2d, nearest ``interpolate``) on those same weights, in
float64; parameter counts come from the layer shapes. Sizes include odd ones (13 -> 7 -> 4 -> 2),
where nearest upsampling to the lateral's size differs from a plain factor of 2.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from katakit import misconceptions
from katakit.checks import assert_close, assert_equal, describe, fail, rng
from katakit.sandbox import probe

MISTAKES = misconceptions.of(__file__)


@probe
def build_and_run(cls, in_channels, out_channels, seed, features):
    """On the learner side: seed torch, build the FPN, run it on the features, read it back."""
    import torch

    torch.manual_seed(seed)
    model = cls(list(in_channels), out_channels)
    with torch.no_grad():
        levels = model([f.clone() for f in features])
    if not isinstance(levels, list | tuple):
        return {"levels": None, "type": type(levels).__name__}
    return {
        "levels": [p.detach().clone() for p in levels],
        "state": {k: v.detach().clone() for k, v in model.state_dict().items()},
        "count": sum(p.numel() for p in model.parameters()),
    }


def sizes(top, levels):
    """(H, W) per level, finest first, each the ceiling of half the previous."""
    out = [top]
    for _ in range(levels - 1):
        h, w = out[-1]
        out.append((math.ceil(h / 2), math.ceil(w / 2)))
    return out


def case(kata, seed, n, in_channels, out_channels, top, undo_reversal=True):
    gen = rng(seed)
    features = [
        torch.from_numpy(gen.normal(0, 1, (n, c, h, w))).float()
        for c, (h, w) in zip(in_channels, sizes(top, len(in_channels)), strict=True)
    ]
    got = build_and_run(kata.FPN, in_channels, out_channels, seed, features)
    where = describe(seed, **{f"C_{i}": f for i, f in enumerate(features)})
    where += f", FPN({list(in_channels)}, {out_channels})"
    if got["levels"] is None:
        fail(f"forward returned {got['type']}, expected a list of tensors [{where}]")
    if len(got["levels"]) != len(features):
        fail(f"forward returned {len(got['levels'])} levels, expected {len(features)} [{where}]")
    shapes = [tuple(p.shape[-2:]) for p in got["levels"]]
    finest_first = [tuple(f.shape[-2:]) for f in features]
    if undo_reversal and len(features) > 1 and shapes == finest_first[::-1] != finest_first:
        # coarsest first is charged by test_level_shapes alone; judge the values in order
        got["levels"] = got["levels"][::-1]
    return features, got, where


def param(state, name):
    if name not in state:
        fail(f"expected a parameter named {name} in the FPN's state_dict, found {list(state)}")
    return state[name].double()


def conv(state, name, x, padding=0):
    return F.conv2d(
        x, param(state, f"{name}.weight"), param(state, f"{name}.bias"), padding=padding
    )


def fpn_pass(state, features, variant="stated"):
    """The statement's pass, or one known mistake's version of it, in float64."""
    laterals = [conv(state, f"lateral.{i}", f.double()) for i, f in enumerate(features)]
    top = len(laterals) - 1
    merged = [None] * len(laterals)
    merged[top] = laterals[top]
    for i in range(top - 1, -1, -1):
        size = laterals[i].shape[-2:]
        above = merged[i + 1]
        if variant == "carries-smoothed":
            above = conv(state, f"smooth.{i + 1}", merged[i + 1], padding=1)
        if variant == "upsample-after-add":
            merged[i] = F.interpolate(above + laterals[i + 1], size=size, mode="nearest")
            continue
        if variant == "bilinear":
            up = F.interpolate(above, size=size, mode="bilinear", align_corners=False)
        else:
            up = F.interpolate(above, size=size, mode="nearest")
        merged[i] = laterals[i] + up
    return [conv(state, f"smooth.{i}", m, padding=1) for i, m in enumerate(merged)]


def mistakes(state, features, level):
    names = {
        "upsample-after-add": "fpn-upsample-after-add",
        "carries-smoothed": "fpn-carries-smoothed",
        "bilinear": "fpn-bilinear-upsampling",
    }
    return {MISTAKES[k]: fpn_pass(state, features, v)[level] for v, k in names.items()}


# ---------------------------------------------------------------- shapes and structure


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "seed, n, in_channels, out_channels, top",
    [(1, 2, (8, 16, 32), 12, (16, 12)), (2, 1, (4, 6, 8, 10), 5, (13, 9))],
)
def test_level_shapes(kata, seed, n, in_channels, out_channels, top):
    _, got, where = case(kata, seed, n, in_channels, out_channels, top, undo_reversal=False)
    expected = [[n, out_channels, h, w] for h, w in sizes(top, len(in_channels))]
    assert_equal(
        [list(p.shape) for p in got["levels"]],
        expected,
        what="shapes of [P_0, ..., P_{L-1}] (finest first)",
        where=where,
        misconceptions={MISTAKES["fpn-reversed-order"]: expected[::-1]},
    )


@probe
def built_layers(cls, in_channels, out_channels):
    """On the learner side: parameter shapes and torch's own count, nothing run (the forward
    pass is the other tests' promise)."""
    model = cls(list(in_channels), out_channels)
    return {
        "state": {k: v.detach().clone() for k, v in model.state_dict().items()},
        "count": sum(p.numel() for p in model.parameters()),
    }


@pytest.mark.points(1)
@pytest.mark.parametrize("in_channels, out_channels", [((8, 16, 32), 12), ((3, 5), 4)])
def test_layers_and_parameter_count(kata, in_channels, out_channels):
    got = built_layers(kata.FPN, in_channels, out_channels)
    where = f"FPN({list(in_channels)}, {out_channels})"
    expected = {}
    for i, c in enumerate(in_channels):
        expected[f"lateral.{i}.weight"] = [out_channels, c, 1, 1]
        expected[f"lateral.{i}.bias"] = [out_channels]
    for i in range(len(in_channels)):
        expected[f"smooth.{i}.weight"] = [out_channels, out_channels, 3, 3]
        expected[f"smooth.{i}.bias"] = [out_channels]
    shapes = {k: list(v.shape) for k, v in got["state"].items()}
    assert_equal(shapes, expected, what="parameter shapes", where=where)
    assert_equal(
        got["count"],
        sum(torch.Size(s).numel() for s in expected.values()),
        what="number of parameters",
        where=where,
    )


# ---------------------------------------------------------------- values


@pytest.mark.points(2)
@pytest.mark.parametrize("seed, in_channels, top", [(4, (6, 8, 10), (12, 8)), (5, (5,), (7, 6))])
def test_coarsest_level_is_its_lateral_then_smoothing(kata, seed, in_channels, top):
    features, got, where = case(kata, seed, 2, in_channels, 6, top)
    top_level = len(features) - 1
    assert_close(
        got["levels"][top_level],
        fpn_pass(got["state"], features)[top_level],
        what=f"P_{top_level} = smooth[{top_level}](lateral[{top_level}](C_{top_level}))",
        where=where,
        rtol=1e-5,
        atol=1e-5,
    )


@pytest.mark.points(4)
@pytest.mark.parametrize(
    "seed, n, in_channels, out_channels, top",
    [(6, 2, (8, 16, 32, 64), 8, (16, 16)), (7, 1, (4, 6, 8, 10), 5, (13, 11))],
)
def test_every_level_matches_the_written_out_top_down_pass(
    kata, seed, n, in_channels, out_channels, top
):
    features, got, where = case(kata, seed, n, in_channels, out_channels, top)
    expected = fpn_pass(got["state"], features)
    for i in range(len(features) - 2, -1, -1):  # from the top down: the first wrong level
        assert_close(
            got["levels"][i],
            expected[i],
            what=f"P_{i}",
            where=where + " (levels above it are right)",
            rtol=1e-5,
            atol=1e-5,
            misconceptions=mistakes(got["state"], features, i),
        )
