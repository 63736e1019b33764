"""Hidden grader for cnn/inception.

Probes build and run the learner's modules in the learner's process and hand back the output and
the weights as plain tensors; the oracle rebuilds each module here with torch.nn.functional
(conv2d, max_pool2d, relu, cat on dim 1) from those weights. Parameter counts are compared with
torch modules built here. Receptive fields are measured, not assumed: a probe sets every weight
positive (so every ReLU is active), back-propagates from one output pixel and returns the extent
of the input pixels that got a non-zero gradient.
"""

from __future__ import annotations

import itertools

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
    naming,
    rng,
)
from katakit.sandbox import kind_of, probe

MISTAKES = misconceptions.of(__file__)


@probe
def build_and_run(cls, args, seed, x=None):
    import torch

    torch.manual_seed(seed)
    module = cls(*args)
    state = {k: v.detach().clone() for k, v in module.state_dict().items()}
    return {
        "out": None if x is None else module(x).detach().clone(),
        "state": state,
        "count": sum(p.numel() for p in module.parameters()),
    }


@probe
def receptive_field(cls, args, size):
    """Rows and columns of input pixels that reach the centre output pixel."""
    import torch

    module = cls(*args)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.full_like(p, 0.1))
    x = torch.ones(1, args[0], size, size, requires_grad=True)
    out = module(x)
    out[0, :, size // 2, size // 2].sum().backward()
    support = x.grad.abs().sum(dim=(0, 1)) > 0
    rows = torch.nonzero(support.any(dim=1)).flatten()
    cols = torch.nonzero(support.any(dim=0)).flatten()
    if len(rows) == 0:
        return (0, 0)
    return (int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1))


def draw(seed, shape):
    return torch.from_numpy(rng(seed).normal(0, 1, shape)).float()


def conv(x, s, name, padding=0):
    return F.conv2d(x, s[f"{name}.weight"], s[f"{name}.bias"], padding=padding)


def branches(x, s):
    b1 = F.relu(conv(x, s, "branch1"))
    b3 = F.relu(conv(F.relu(conv(x, s, "branch3_reduce")), s, "branch3", 1))
    b5 = F.relu(conv(F.relu(conv(x, s, "branch5_reduce")), s, "branch5", 2))
    bp = F.relu(conv(F.max_pool2d(x, 3, stride=1, padding=1), s, "pool_proj"))
    return [b1, b3, b5, bp]


NAMES = ["branch1", "branch3_reduce", "branch3", "branch5_reduce", "branch5", "pool_proj"]


def require(state, names, where):
    missing = [n for n in names if f"{n}.weight" not in state or f"{n}.bias" not in state]
    if missing:
        fail(
            f"no conv (with weight and bias) named {', '.join(missing)} [{where}] "
            f"(found: {', '.join(sorted(state))})"
        )


MODULES = [
    (1, (6, 3, 4, 5, 2, 3, 2), (2, 7, 5)),
    (2, (5, 4, 3, 4, 2, 4, 4), (2, 6, 6)),  # equal branch widths: a wrong axis still "works"
    (3, (4, 2, 3, 2, 3, 5, 1), (1, 9, 4)),
]


@pytest.mark.points(3)
@pytest.mark.parametrize("seed, args, size", MODULES)
def test_inception_module_matches_the_functional_reference(kata, seed, args, size):
    x = draw(seed, (size[0], args[0], *size[1:]))
    got = build_and_run(kata.InceptionModule, args, seed, x)
    where = describe(seed, x=x) + f", InceptionModule{args}"
    require(got["state"], NAMES, where)
    parts = branches(x, got["state"])
    expected = torch.cat(parts, 1)
    wrong = {}
    for axis in (0, 2, 3):
        try:
            wrong[MISTAKES["inception-concat-wrong-axis"]] = torch.cat(parts, axis)
            break
        except RuntimeError:
            continue
    labels = ["b1", "b3", "b5", "bp"]
    for order in itertools.permutations(range(4)):
        if order != (0, 1, 2, 3):
            text = (
                f"{MISTAKES['inception-branch-order']} (got {', '.join(labels[i] for i in order)})"
            )
            wrong[text] = torch.cat([parts[i] for i in order], 1)
    out = got["out"]
    if tuple(out.shape) != tuple(expected.shape):
        message = f"output shape {tuple(out.shape)}, expected {tuple(expected.shape)} [{where}]"
        if any(
            tuple(out.shape) == tuple(torch.cat(parts, a).shape)
            for a in (0, 2, 3)
            if all(p.shape[1] == parts[0].shape[1] for p in parts)
        ):
            message += naming(MISTAKES["inception-concat-wrong-axis"])
        fail(message)
    assert_close(
        out,
        expected,
        what="InceptionModule output",
        where=where,
        rtol=1e-4,
        atol=1e-5,
        misconceptions=wrong,
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("args", [(6, 3, 4, 5, 2, 3, 2), (192, 64, 96, 128, 16, 32, 32)])
def test_inception_parameter_count_matches_torch_modules(kata, args):
    c_in, c1, c3r, c3, c5r, c5, pp = args
    reference = [
        nn.Conv2d(c_in, c1, 1),
        nn.Conv2d(c_in, c3r, 1),
        nn.Conv2d(c3r, c3, 3),
        nn.Conv2d(c_in, c5r, 1),
        nn.Conv2d(c5r, c5, 5),
        nn.Conv2d(c_in, pp, 1),
    ]
    got = build_and_run(kata.InceptionModule, args, 0)
    assert_equal(
        got["count"],
        sum(p.numel() for m in reference for p in m.parameters()),
        what="number of parameters (torch's module.parameters())",
        where=f"InceptionModule{args}",
    )


def factorised_oracle(x, s, pads, inner=F.relu):
    h = inner(F.conv2d(x, s["conv_a.weight"], s["conv_a.bias"], padding=pads[0]))
    return F.relu(F.conv2d(h, s["conv_b.weight"], s["conv_b.bias"], padding=pads[1]))


FACTORISED = {
    "Factorised5x5": ((3, 3), (3, 3), (1, 1)),
    "Asymmetric3x3": ((1, 3), (3, 1), ((0, 1), (1, 0))),
}


@pytest.mark.points(2)
@pytest.mark.parametrize("name", list(FACTORISED))
def test_factorised_module_matches_the_functional_reference(kata, name):
    seed, args = 41, (3, 4)
    x = draw(seed, (2, 3, 7, 6))
    got = build_and_run(getattr(kata, name), args, seed, x)
    where = describe(seed, x=x) + f", {name}{args}"
    require(got["state"], ["conv_a", "conv_b"], where)
    kernel_a, kernel_b, pads = FACTORISED[name]
    s = got["state"]
    shapes = (tuple(s["conv_a.weight"].shape[2:]), tuple(s["conv_b.weight"].shape[2:]))
    if shapes != (kernel_a, kernel_b):
        fail(
            f"kernel sizes of conv_a, conv_b: expected {(kernel_a, kernel_b)}, got {shapes} "
            f"[{where}]"
        )
    assert_close(
        got["out"],
        factorised_oracle(x, s, pads),
        what=f"{name} output",
        where=where,
        rtol=1e-4,
        atol=1e-5,
        misconceptions={
            MISTAKES["inception-factorised-linear-inside"]: factorised_oracle(
                x, s, pads, inner=lambda t: t
            )
        },
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("name, expected", [("Factorised5x5", (5, 5)), ("Asymmetric3x3", (3, 3))])
def test_factorised_receptive_field(kata, name, expected):
    got = as_plain(receptive_field(getattr(kata, name), (2, 3), 11), "receptive field")
    assert_equal(
        got,
        list(expected),
        what=f"receptive field (rows, columns) of one output pixel of {name}",
        where=f"{name}(2, 3), measured by back-propagating from the centre pixel of an 11x11 map",
    )


@pytest.mark.points(1)
def test_factorisation_params_are_python_ints(kata):
    got = kata.factorisation_params(4)
    if kind_of(got) != "builtins.dict":
        fail(f"factorisation_params(4): expected a dict, got {kind_of(got)}")
    assert_python_ints(got, "factorisation_params(4)")


@pytest.mark.points(1)
@pytest.mark.parametrize("channels", [1, 7, 64])
def test_factorisation_params_match_torch_modules(kata, channels):
    def count(*kernels):
        return sum(nn.Conv2d(channels, channels, k, bias=False).weight.numel() for k in kernels)

    expected = {
        "conv5x5": count(5),
        "two_3x3": count(3, 3),
        "conv3x3": count(3),
        "1x3_then_3x1": count((1, 3), (3, 1)),
    }
    assert_equal(
        kata.factorisation_params(channels),
        expected,
        what="factorisation_params",
        where=f"channels {channels}",
    )
