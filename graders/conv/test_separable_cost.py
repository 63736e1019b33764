"""Hidden grader for conv/separable_cost.

Oracles: parameter counts are the ``numel()`` sums of torch modules built here (on the meta
device where only shapes matter), multiply-adds are counted on a real forward pass with forward
hooks (output elements x (C_in / groups) x kH x kW per ``Conv2d``), and the module's forward is
compared with the two convolutions run by ``torch.nn.functional.conv2d``. The learner's module
lives on the learner's side: probes read its layers and count its multiply-adds there.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from katakit import misconceptions
from katakit.checks import as_number, assert_close, assert_equal, assert_python_ints, describe, fail
from katakit.sandbox import probe

# (c_in, c_out, kernel_size, stride, padding, input H, W, bias)
MISTAKES = misconceptions.of(__file__)

SEED_EXAMPLE = (3, 16, 3, 1, 1, 8, 8, False)  # the question's own numbers
NON_SQUARE = (32, 24, (3, 5), 2, (1, 2), 11, 14, True)
WIDE = (8, 40, 5, (1, 2), 2, 9, 10, False)


def pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def numel(module):
    return sum(p.numel() for p in module.parameters())


@probe
def count_mult_adds(module, x):
    """Multiply-adds of one forward pass, counted per Conv2d with forward hooks, and the output.
    A probe for the learner's module; ``count_mult_adds.function`` for the grader's own."""
    total = 0

    def hook(conv, _inputs, output):
        nonlocal total
        kh, kw = conv.kernel_size
        total += output.numel() * (conv.in_channels // conv.groups) * kh * kw

    convs = [m for m in module.modules() if isinstance(m, torch.nn.Conv2d)]
    handles = [m.register_forward_hook(hook) for m in convs]
    try:
        with torch.no_grad():
            out = module(x)
    finally:
        for handle in handles:
            handle.remove()
    return total, out


def reference_pair(c_in, c_out, kernel, stride, padding, bias, device=None):
    depthwise = nn.Conv2d(
        c_in, c_in, kernel, stride, padding, groups=c_in, bias=bias, device=device
    )
    pointwise = nn.Conv2d(c_in, c_out, 1, bias=bias, device=device)
    return nn.Sequential(depthwise, pointwise)


def case_text(case):
    c_in, c_out, kernel, stride, padding, h, w, bias = case
    return (
        f"c_in={c_in}, c_out={c_out}, kernel_size={kernel}, stride={stride}, padding={padding}, "
        f"input {h}x{w}, bias={bias}"
    )


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "c_in, c_out, kernel, groups, bias",
    [(3, 16, 3, 1, False), (12, 18, (3, 5), 3, True), (16, 16, 7, 16, True)],
)
def test_conv_params_match_the_module(kata, c_in, c_out, kernel, groups, bias):
    conv = nn.Conv2d(c_in, c_out, kernel, groups=groups, bias=bias, device="meta")
    kh, kw = pair(kernel)
    ignores_groups = c_out * c_in * kh * kw + (c_out if bias else 0)
    assert_equal(
        kata.conv_params(c_in, c_out, kernel, groups=groups, bias=bias),
        numel(conv),
        what=f"conv_params({c_in}, {c_out}, {kernel}, groups={groups}, bias={bias})",
        where="nn.Conv2d parameter count",
        misconceptions={
            MISTAKES["groups-ignored"]: ignores_groups,
            MISTAKES["biases-not-counted"]: numel(conv) - c_out,
        },
    )


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "c_in, c_out, kernel, stride, padding, groups, h, w",
    [
        (3, 16, 3, 1, 1, 1, 8, 8),
        (12, 18, (3, 5), 2, (1, 2), 3, 13, 10),
        (16, 16, 7, 1, 3, 16, 9, 9),
    ],
)
def test_conv_mult_adds_match_a_counted_forward(
    kata, c_in, c_out, kernel, stride, padding, groups, h, w
):
    conv = nn.Conv2d(c_in, c_out, kernel, stride, padding, groups=groups).double()
    counted, out = count_mult_adds.function(conv, torch.zeros(1, c_in, h, w, dtype=torch.float64))
    out_size = tuple(out.shape[-2:])
    kh, kw = pair(kernel)
    assert_equal(
        kata.conv_mult_adds(c_in, c_out, kernel, out_size, groups=groups),
        counted,
        what=f"conv_mult_adds({c_in}, {c_out}, {kernel}, {out_size}, groups={groups})",
        where="multiply-adds counted on one forward pass of nn.Conv2d with batch size 1",
        misconceptions={
            MISTAKES["groups-ignored"]: (counted * groups),
            MISTAKES["kernel-area-left-out"]: counted // (kh * kw),
        },
    )


def separable_mistakes(c_in, c_out, kernel, bias, expected):
    kh, kw = pair(kernel)
    biases = c_in + c_out if bias else 0
    return {
        MISTAKES["seed-separable-slip"]: (c_in * c_out + kh * kw + biases),
        MISTAKES["separable-biases-not-counted"]: expected - biases,
        MISTAKES["depthwise-as-standard-conv"]: (c_in * c_in * kh * kw + c_in * c_out + biases),
    }


@pytest.mark.points(1)
@pytest.mark.parametrize("case", [SEED_EXAMPLE, NON_SQUARE, WIDE])
def test_separable_params_match_the_modules(kata, case):
    c_in, c_out, kernel, stride, padding, _, _, bias = case
    expected = numel(reference_pair(c_in, c_out, kernel, stride, padding, bias, device="meta"))
    assert_equal(
        kata.separable_params(c_in, c_out, kernel, bias=bias),
        expected,
        what=f"separable_params({c_in}, {c_out}, {kernel}, bias={bias})",
        where="numel() of a depthwise Conv2d (groups=c_in) plus a 1x1 Conv2d",
        misconceptions=separable_mistakes(c_in, c_out, kernel, bias, expected),
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("case", [SEED_EXAMPLE, NON_SQUARE])
def test_separable_mult_adds_match_a_counted_forward(kata, case):
    c_in, c_out, kernel, stride, padding, h, w, bias = case
    pair_ = reference_pair(c_in, c_out, kernel, stride, padding, bias).double()
    counted, out = count_mult_adds.function(pair_, torch.zeros(1, c_in, h, w, dtype=torch.float64))
    out_size = tuple(out.shape[-2:])
    kh, kw = pair(kernel)
    positions = out_size[0] * out_size[1]
    assert_equal(
        kata.separable_mult_adds(c_in, c_out, kernel, out_size),
        counted,
        what=f"separable_mult_adds({c_in}, {c_out}, {kernel}, {out_size})",
        where="multiply-adds counted on one forward pass of depthwise + pointwise, batch size 1",
        misconceptions={
            MISTAKES["seed-separable-slip"]: positions * (c_in * c_out + kh * kw),
            MISTAKES["depthwise-as-standard-conv"]: positions
            * (c_in * c_in * kh * kw + c_in * c_out),
        },
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("c_in, c_out, kernel", [(3, 16, 3), (32, 64, (3, 5))])
def test_separable_ratio_is_one_over_c_out_plus_one_over_k_squared(kata, c_in, c_out, kernel):
    kh, kw = pair(kernel)
    standard = numel(nn.Conv2d(c_in, c_out, kernel, bias=False, device="meta"))
    separable = numel(reference_pair(c_in, c_out, kernel, 1, 0, False, device="meta"))
    expected = separable / standard  # = 1 / c_out + 1 / (kh * kw)
    result = kata.separable_ratio(c_in, c_out, kernel)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        fail(f"separable_ratio: expected a pair (params_ratio, mult_adds_ratio), got {result!r}")
    where = describe(None, c_in=c_in, c_out=c_out, kernel_size=kernel)
    seed_slip = 1 / (c_in * c_out) + 1 / (kh * kw)
    for name, value in zip(("params_ratio", "mult_adds_ratio"), result, strict=True):
        assert_close(
            as_number(value, f"separable_ratio {name}"),
            expected,
            what=f"separable_ratio {name}",
            where=where,
            rtol=1e-9,
            misconceptions={
                MISTAKES["seed-ratio-slip"]: seed_slip,
                MISTAKES["inverse-ratio"]: 1 / expected,
            },
        )


@probe
def layers_of(module):
    """On the learner side: is ``module`` an nn.Module, its parameter count, and the settings
    and parameters of its ``depthwise`` and ``pointwise`` layers (None where not an nn.Conv2d)."""
    if not isinstance(module, torch.nn.Module):
        return {"is_module": False, "kind": type(module).__name__}
    facts = {"is_module": True, "numel": sum(p.numel() for p in module.parameters())}
    for name in ("depthwise", "pointwise"):
        conv = getattr(module, name, None)
        if not isinstance(conv, torch.nn.Conv2d):
            facts[name] = None
            continue
        facts[name] = {
            "in_channels": conv.in_channels,
            "out_channels": conv.out_channels,
            "groups": conv.groups,
            "kernel_size": tuple(conv.kernel_size),
            "stride": tuple(conv.stride),
            "padding": conv.padding if isinstance(conv.padding, str) else tuple(conv.padding),
            "weight": conv.weight.detach().clone(),
            "bias": None if conv.bias is None else conv.bias.detach().clone(),
        }
    return facts


@probe
def forward(module, x):
    with torch.no_grad():
        return module(x)


def build(kata, case):
    """The learner's module for ``case``, in float64, and what :func:`layers_of` finds in it."""
    c_in, c_out, kernel, stride, padding, _, _, bias = case
    torch.manual_seed(0)
    module = kata.DepthwiseSeparableConv(
        c_in, c_out, kernel, stride=stride, padding=padding, bias=bias
    )
    facts = layers_of(module)
    if not facts["is_module"]:
        fail(f"DepthwiseSeparableConv(...) must be an nn.Module, got {facts['kind']}")
    for name in ("depthwise", "pointwise"):
        if facts[name] is None:
            fail(
                f"DepthwiseSeparableConv needs an nn.Conv2d attribute self.{name} "
                f"[{case_text(case)}]"
            )
    module = module.double()
    return module, layers_of(module)


@pytest.mark.points(1)
@pytest.mark.parametrize("case", [NON_SQUARE, WIDE])
def test_module_layers_have_the_stated_shapes(kata, case):
    c_in, c_out, kernel, stride, padding, _, _, bias = case
    _, facts = build(kata, case)
    dw, pw = facts["depthwise"], facts["pointwise"]
    expected = {
        "depthwise in_channels": (dw["in_channels"], c_in),
        "depthwise out_channels": (dw["out_channels"], c_in),
        "depthwise groups (one filter per channel: groups = in_channels)": (dw["groups"], c_in),
        "depthwise kernel_size": (dw["kernel_size"], pair(kernel)),
        "depthwise stride": (dw["stride"], pair(stride)),
        "depthwise padding": (dw["padding"], pair(padding)),
        "depthwise has a bias": (dw["bias"] is not None, bias),
        "pointwise in_channels": (pw["in_channels"], c_in),
        "pointwise out_channels": (pw["out_channels"], c_out),
        "pointwise kernel_size": (pw["kernel_size"], (1, 1)),
        "pointwise stride (the depthwise layer already applied it)": (pw["stride"], (1, 1)),
        "pointwise padding": (pw["padding"], (0, 0)),
        "pointwise has a bias": (pw["bias"] is not None, bias),
    }
    for what, (got, want) in expected.items():
        assert_equal(got, want, what=what, where=case_text(case))
    assert_equal(
        facts["numel"],
        numel(reference_pair(c_in, c_out, kernel, stride, padding, bias, device="meta")),
        what="parameter count (numel) of your module",
        where=case_text(case),
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("case", [SEED_EXAMPLE, NON_SQUARE])
def test_module_forward_is_depthwise_then_pointwise(kata, case):
    c_in, _, _, _, _, h, w, _ = case
    module, facts = build(kata, case)
    x = torch.randn(2, c_in, h, w, dtype=torch.float64, generator=torch.Generator().manual_seed(5))
    dw, pw = facts["depthwise"], facts["pointwise"]
    got = forward(module, x.clone())
    # Your own two layers, run in that order, whatever their settings: the settings (groups,
    # stride, padding) are test_module_layers_have_the_stated_shapes' promise.
    hidden = F.conv2d(x, dw["weight"], dw["bias"], dw["stride"], dw["padding"], groups=dw["groups"])
    expected = F.conv2d(
        hidden, pw["weight"], pw["bias"], pw["stride"], pw["padding"], groups=pw["groups"]
    )
    assert_close(
        got,
        expected,
        what="DepthwiseSeparableConv output, against self.pointwise(self.depthwise(x))",
        where=case_text(case),
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("case", [NON_SQUARE, WIDE])
def test_module_does_no_more_work_than_the_formula(kata, case):
    # A stride left to the 1x1 layer gives the same values but computes the depthwise layer at
    # every position first: the counted forward shows it.
    c_in, c_out, kernel, stride, padding, h, w, _ = case
    module, _ = build(kata, case)
    counted, out = count_mult_adds(module, torch.zeros(1, c_in, h, w, dtype=torch.float64))
    reference, ref_out = count_mult_adds.function(
        reference_pair(c_in, c_out, kernel, stride, padding, False).double(),
        torch.zeros(1, c_in, h, w, dtype=torch.float64),
    )
    assert_equal(tuple(out.shape), tuple(ref_out.shape), what="output shape", where=case_text(case))
    assert_equal(
        counted,
        reference,
        what="multiply-adds counted on one forward pass of your module (batch size 1)",
        where=case_text(case),
    )


@pytest.mark.points(1)
def test_counts_are_python_ints(kata):
    calls = {
        "conv_params(12, 18, (3, 5), groups=3, bias=True)": lambda: kata.conv_params(
            12, 18, (3, 5), groups=3, bias=True
        ),
        "conv_mult_adds(3, 16, 3, (8, 8))": lambda: kata.conv_mult_adds(3, 16, 3, (8, 8)),
        "separable_params(32, 24, (3, 5), bias=True)": lambda: kata.separable_params(
            32, 24, (3, 5), bias=True
        ),
        "separable_mult_adds(3, 16, 3, (8, 8))": lambda: kata.separable_mult_adds(3, 16, 3, (8, 8)),
    }
    for text, run in calls.items():
        assert_python_ints(run(), text)
