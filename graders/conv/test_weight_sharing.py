"""Hidden grader for conv/weight_sharing.

Oracles: parameter counts from torch modules (meta device) and F.unfold's patch count; shifts
from torch.roll; convolutions from torch conv1d/conv2d on circularly padded inputs (run by the
grader, never inside a learner call, where conv2d is forbidden); the permutation test runs the
original and the rewired MLP side by side (the learner's layers on the learner's side).
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from katakit import misconceptions
from katakit.checks import (
    as_number,
    as_plain,
    assert_close,
    assert_equal,
    assert_python_ints,
    assert_unchanged,
    describe,
    fail,
    rng,
    snapshot,
)
from katakit.sandbox import probe

MISTAKES = misconceptions.of(__file__)

DTYPE = torch.float64


def pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def tensor(gen, *shape):
    return torch.from_numpy(gen.normal(0, 1, shape)).to(DTYPE)


def numel(module):
    return sum(p.numel() for p in module.parameters())


# ---------------------------------------------------------------- parameter counts


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "c_in, c_out, h, w, kernel, stride, padding, bias",
    [
        (3, 16, 32, 32, 3, 1, 1, True),
        (8, 6, 13, 10, (3, 5), 2, (1, 2), True),
        (2, 4, 9, 7, 5, (1, 2), 0, False),
    ],
)
def test_parameter_counts_conv_vs_locally_connected_vs_dense(
    kata, c_in, c_out, h, w, kernel, stride, padding, bias
):
    kh, kw = pair(kernel)
    patches = F.unfold(torch.zeros(1, c_in, h, w), kernel, padding=padding, stride=stride)
    positions = patches.shape[-1]
    outputs = c_out * positions
    conv = nn.Conv2d(c_in, c_out, kernel, stride, padding, bias=bias, device="meta")
    dense = nn.Linear(c_in * h * w, outputs, bias=bias, device="meta")
    expected = {
        "conv": numel(conv),
        "locally_connected": c_out * patches.shape[1] * positions + (outputs if bias else 0),
        "dense": numel(dense),
    }
    mistakes = {
        MISTAKES["dense-output-size-missing"]: {
            **expected,
            "dense": c_in * h * w * c_out + (c_out if bias else 0),
        },
        MISTAKES["locally-connected-bias-per-channel"]: {
            **expected,
            "locally_connected": c_out * c_in * kh * kw * positions + (c_out if bias else 0),
        },
    }
    if bias:
        mistakes[MISTAKES["biases-not-counted"]] = {
            "conv": expected["conv"] - c_out,
            "locally_connected": expected["locally_connected"] - outputs,
            "dense": expected["dense"] - outputs,
        }
    assert_equal(
        kata.parameter_counts(c_in, c_out, h, w, kernel, stride, padding, bias),
        expected,
        what="parameter_counts",
        where=describe(
            None,
            c_in=c_in,
            c_out=c_out,
            height=h,
            width=w,
            kernel_size=kernel,
            stride=stride,
            padding=padding,
            bias=bias,
        ),
        misconceptions=mistakes,
    )


# ---------------------------------------------------------------- shifts and equivariance


@pytest.mark.points(1)
def test_circular_shift_rolls_the_last_two_axes(kata):
    x = torch.arange(2 * 3 * 5 * 6, dtype=DTYPE).reshape(2, 3, 5, 6)
    for shift in [(1, 2), (-2, 3), (7, -8), (0, 1)]:
        got = kata.circular_shift(x.clone(), shift)
        assert_close(
            got,
            torch.roll(x, shift, dims=(2, 3)),
            what="circular_shift",
            where=describe(None, x=x, shift=shift) + ", x = arange reshaped",
            misconceptions={
                MISTAKES["roll-wrong-axes"]: torch.roll(x, shift, dims=(1, 2)),
                MISTAKES["roll-wrong-direction"]: (
                    torch.roll(x, (-shift[0], -shift[1]), dims=(2, 3))
                ),
                MISTAKES["shift-dy-dx-swapped"]: torch.roll(x, (shift[1], shift[0]), dims=(2, 3)),
            },
        )


def conv_by_unfold(x, weight):
    """A valid (unpadded) conv as im2col + matmul: no conv2d, so it may run inside learner code."""
    n, _, h, w = x.shape
    kh, kw = weight.shape[-2:]
    columns = F.unfold(x, (kh, kw))
    out = weight.reshape(weight.shape[0], -1) @ columns
    return out.reshape(n, weight.shape[0], h - kh + 1, w - kw + 1)


def circular_op(weight):
    ph, pw = weight.shape[-2] // 2, weight.shape[-1] // 2
    return lambda t: conv_by_unfold(F.pad(t, (pw, pw, ph, ph), mode="circular"), weight)


def zero_padded_op(weight):
    ph, pw = weight.shape[-2] // 2, weight.shape[-1] // 2
    return lambda t: conv_by_unfold(F.pad(t, (pw, pw, ph, ph)), weight)


def max_pool_op(t):
    return F.max_pool2d(t, 2)


def error_variants(op, x, shift):
    """The statement's error, and what the classic slips compute instead."""
    out = op(x)
    shifted_out = op(torch.roll(x, shift, dims=(2, 3)))
    return float((shifted_out - torch.roll(out, shift, dims=(2, 3))).abs().max()), {
        MISTAKES["roll-wrong-axes"]: float(
            (op(torch.roll(x, shift, dims=(1, 2))) - torch.roll(out, shift, dims=(1, 2)))
            .abs()
            .max()
        ),
        MISTAKES["invariance-not-equivariance"]: float((shifted_out - out).abs().max()),
        MISTAKES["signed-not-absolute"]: float(
            (shifted_out - torch.roll(out, shift, dims=(2, 3))).max()
        ),
    }


def check_error(kata, op, x, shift, name, seed):
    expected, mistakes = error_variants(op, x, shift)
    got = as_number(kata.equivariance_error(op, x.clone(), shift), "equivariance_error")
    assert_close(
        got,
        expected,
        what=f"equivariance_error for {name}",
        where=describe(seed, x=x, shift=shift),
        rtol=1e-9,
        atol=1e-12,
        misconceptions=mistakes,
    )


@pytest.mark.points(1)
def test_equivariance_error_is_zero_for_a_circular_conv(kata):
    seed = 31
    gen = rng(seed)
    x, weight = tensor(gen, 2, 3, 8, 9), tensor(gen, 4, 3, 3, 5)
    check_error(kata, circular_op(weight), x, (2, -3), "a circularly padded conv", seed)


@pytest.mark.points(1)
@pytest.mark.parametrize("shift", [(1, 0), (1, 1)])
def test_equivariance_error_shows_strided_pooling_breaks_it(kata, shift):
    seed = 32
    x = tensor(rng(seed), 2, 3, 8, 8)
    check_error(kata, max_pool_op, x, shift, "max_pool2d(kernel 2, stride 2)", seed)


@pytest.mark.points(1)
def test_equivariance_error_shows_zero_padding_breaks_it_at_the_border(kata):
    seed = 33
    gen = rng(seed)
    x, weight = tensor(gen, 1, 2, 7, 7), tensor(gen, 3, 2, 3, 3)
    check_error(kata, zero_padded_op(weight), x, (0, 1), "a zero-padded conv", seed)


# ---------------------------------------------------------------- circular conv


def torch_circular_conv(x, weight, bias):
    ph, pw = weight.shape[-2] // 2, weight.shape[-1] // 2
    return F.conv2d(F.pad(x, (pw, pw, ph, ph), mode="circular"), weight, bias)


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "seed, x_shape, w_shape, bias",
    [
        (41, (2, 3, 6, 7), (4, 3, 3, 3), True),
        (42, (1, 2, 5, 8), (3, 2, 3, 5), False),  # non-square kernel
        (43, (3, 4, 4, 4), (2, 4, 1, 1), True),  # 1x1 kernel
    ],
)
def test_circular_conv2d_matches_torch(kata, seed, x_shape, w_shape, bias):
    gen = rng(seed)
    x, weight = tensor(gen, *x_shape), tensor(gen, *w_shape)
    b = tensor(gen, w_shape[0]) if bias else None
    got = kata.circular_conv2d(x.clone(), weight.clone(), None if b is None else b.clone())
    ph, pw = w_shape[2] // 2, w_shape[3] // 2
    assert_close(
        got,
        torch_circular_conv(x, weight, b),
        what="circular_conv2d output",
        where=describe(seed, x=x, weight=weight, bias=b),
        atol=1e-10,
        misconceptions={
            MISTAKES["kernel-flipped-correlation"]: (
                torch_circular_conv(x, weight.flip(-2, -1), b)
            ),
            MISTAKES["zero-padding-not-circular"]: (F.conv2d(x, weight, b, padding=(ph, pw))),
        },
    )


@pytest.mark.points(1)
def test_circular_conv2d_commutes_with_every_shift(kata):
    seed = 44
    gen = rng(seed)
    x, weight, b = tensor(gen, 2, 3, 6, 5), tensor(gen, 2, 3, 3, 3), tensor(gen, 2)
    out = kata.circular_conv2d(x, weight, b)
    for shift in [(1, 0), (0, 2), (-2, 3), (5, 4)]:
        moved = kata.circular_conv2d(torch.roll(x, shift, dims=(2, 3)), weight, b)
        error = float(
            (torch.as_tensor(moved) - torch.roll(torch.as_tensor(out), shift, (2, 3))).abs().max()
        )
        if not error <= 1e-12:
            fail(
                f"circular_conv2d(shift(x)) differs from shift(circular_conv2d(x)) by {error:.3g} "
                f"for shift {shift} [{describe(seed, x=x, weight=weight)}]; a conv with circular "
                "padding commutes with circular shifts exactly (up to rounding, 1e-12)"
            )


# ---------------------------------------------------------------- locality as a prior


def mlp(seed, sizes):
    torch.manual_seed(seed)
    first, second = nn.Linear(sizes[0], sizes[1]), nn.Linear(sizes[1], sizes[2])
    return first.to(DTYPE), second.to(DTYPE)


@probe
def linear_there(weight, bias):
    """On the learner side: an nn.Linear with this weight and bias (absorb_permutation reads
    the layer it is given, so the layer must live there)."""
    layer = torch.nn.Linear(weight.shape[1], weight.shape[0], dtype=weight.dtype)
    with torch.no_grad():
        layer.weight.copy_(weight)
        layer.bias.copy_(bias)
    return layer


@probe
def linear_facts(layer):
    """On the learner side: whether ``layer`` is an nn.Linear, and its weight and bias."""
    if not isinstance(layer, torch.nn.Linear):
        return type(layer).__name__, None, None
    bias = None if layer.bias is None else layer.bias.detach().clone()
    return "Linear", layer.weight.detach().clone(), bias


@probe
def forward(layer, x):
    with torch.no_grad():
        return layer(x)


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, sizes, as_tensor", [(51, (7, 5, 3), False), (52, (6, 6, 2), True)])
def test_mlp_absorbs_a_permutation_of_its_inputs(kata, seed, sizes, as_tensor):
    first, second = mlp(seed, sizes)
    gen = rng(seed)
    perm = [int(i) for i in gen.permutation(sizes[0])]
    x = tensor(gen, 10, sizes[0])
    given = linear_there(first.weight.detach(), first.bias.detach())
    new = kata.absorb_permutation(given, torch.tensor(perm) if as_tensor else list(perm))
    # whatever layer came back, run it: its type, and the given layer left as it was, are
    # test_absorb_permutation_returns_a_new_linear_and_keeps_the_old_one's promise
    kind, _, _ = linear_facts(new)
    try:
        hidden = forward(new, x[:, perm])
    except Exception as exc:
        if kind == "Linear":
            raise
        fail(f"absorb_permutation must return an nn.Linear, got {kind} ({exc})")
    with torch.no_grad():
        expected = second(torch.relu(first(x)))
        got = second(torch.relu(hidden))
        inverse = torch.argsort(torch.tensor(perm))
        mistakes = {
            MISTAKES["inverse-permutation"]: (
                second(torch.relu(F.linear(x[:, perm], first.weight[:, inverse], first.bias)))
            ),
        }
        if sizes[0] == sizes[1]:
            mistakes[MISTAKES["rows-permuted"]] = second(
                torch.relu(F.linear(x[:, perm], first.weight[perm], first.bias))
            )
    assert_close(
        got,
        expected,
        what="MLP output on the permuted input, with your first layer",
        where=describe(seed, x=x, perm=perm),
        rtol=1e-12,
        atol=1e-12,
        misconceptions=mistakes,
    )


@probe
def same_object(a, b):
    return a is b


@pytest.mark.points(1)
def test_absorb_permutation_returns_a_new_linear_and_keeps_the_old_one(kata):
    """ "Return a new nn.Linear ... Do not modify linear": checked without the values, so a
    learner who rewires the given layer in place loses this point and no other. A square layer,
    so that permuting the wrong axis still runs."""
    seed, sizes = 53, (5, 5, 2)
    first, _ = mlp(seed, sizes)
    perm = [int(i) for i in rng(seed).permutation(sizes[0])]
    before = snapshot(weight=first.weight.detach().numpy(), bias=first.bias.detach().numpy())
    given = linear_there(first.weight.detach(), first.bias.detach())
    new = kata.absorb_permutation(given, list(perm))
    kind, _, _ = linear_facts(new)
    if kind != "Linear":
        fail(f"absorb_permutation must return an nn.Linear, got {kind} [perm={perm}]")
    if same_object(new, given):
        fail(
            "absorb_permutation returned the layer it was given: the statement asks for a NEW "
            f"nn.Linear and leaves the given one as it was [perm={perm}]"
        )
    _, weight, bias = linear_facts(given)
    assert_unchanged(before, weight=weight.numpy(), bias=bias.numpy())


def torch_conv1d_matrix(kernel, length):
    """Column j is the circular cross-correlation of the j-th basis vector."""
    p = kernel.shape[0] // 2
    basis = torch.eye(length, dtype=DTYPE).reshape(length, 1, length)
    columns = F.conv1d(F.pad(basis, (p, p), mode="circular"), kernel.reshape(1, 1, -1))
    return columns[:, 0, :].T


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, size, length", [(61, 3, 7), (62, 5, 5)])
def test_conv1d_matrix_matches_conv1d(kata, seed, size, length):
    kernel = tensor(rng(seed), size)
    expected = torch_conv1d_matrix(kernel, length)
    assert_close(
        kata.conv1d_matrix(kernel.clone(), length),
        expected,
        what="conv1d_matrix",
        where=describe(seed, kernel=kernel, length=length),
        misconceptions={
            MISTAKES["kernel-flipped-correlation"]: torch_conv1d_matrix(kernel.flip(0), length),
            MISTAKES["matrix-transposed"]: expected.T,
        },
    )


def judge(kata, matrix, kernel_size, expected, description, why):
    got = as_plain(kata.is_small_kernel_conv(matrix.clone(), kernel_size), "is_small_kernel_conv")
    if not isinstance(got, bool):
        fail(f"is_small_kernel_conv must return True or False, got {got!r}")
    if got != expected:
        fail(
            f"is_small_kernel_conv(<{description}>, kernel_size={kernel_size}): expected "
            f"{expected}, got {got} [{tuple(matrix.shape)} matrix]\n  {why}"
        )


@pytest.mark.points(1)
def test_conv_matrices_are_small_kernel_convs(kata):
    gen = rng(71)
    three, five = tensor(gen, 3), tensor(gen, 5)
    hint = "this matrix is conv1d_matrix(k, L) for a kernel of that size"
    judge(kata, torch_conv1d_matrix(three, 8), 3, True, "conv matrix of a 3-tap kernel", hint)
    judge(kata, torch_conv1d_matrix(five, 9), 5, True, "conv matrix of a 5-tap kernel", hint)
    judge(
        kata,
        torch_conv1d_matrix(three, 8),
        5,
        True,
        "conv matrix of a 3-tap kernel, asked about 5 taps",
        "a 3-tap kernel is a 5-tap kernel whose two outer weights are 0",
    )


@pytest.mark.points(1)
def test_a_conv_cannot_absorb_a_permutation_of_its_inputs(kata):
    gen = rng(72)
    kernel = tensor(gen, 3)
    perm = torch.tensor([3, 0, 6, 2, 7, 1, 5, 4])
    judge(
        kata,
        torch_conv1d_matrix(kernel, 8)[:, perm],
        3,
        False,
        "a 3-tap conv matrix with permuted columns",
        "after the permutation the weights are no longer on the diagonals near the main one",
    )


@pytest.mark.points(1)
def test_sharing_without_locality_is_not_a_small_kernel_conv(kata):
    gen = rng(73)
    hint = (
        "the matrix is circulant (every row the previous one rolled), but its weights lie "
        "further than kernel_size // 2 from the diagonal: shared, not local"
    )
    rotated = torch_conv1d_matrix(tensor(gen, 3), 8).roll(3, dims=1)
    judge(kata, rotated, 3, False, "a 3-tap conv matrix with columns rotated by 3", hint)
    judge(kata, torch_conv1d_matrix(tensor(gen, 5), 8), 3, False, "a 5-tap conv matrix", hint)


@pytest.mark.points(1)
def test_locality_without_sharing_is_not_a_small_kernel_conv(kata):
    gen = rng(74)
    length = 8
    banded = sum(
        torch.diag(tensor(gen, length - abs(d)), d) for d in (-1, 0, 1)
    )  # local, but each row has its own weights
    banded = (
        banded + torch.diag(tensor(gen, 1), length - 1) + torch.diag(tensor(gen, 1), 1 - length)
    )
    judge(
        kata,
        banded,
        3,
        False,
        "a cyclic band matrix with different weights in each row (locally connected)",
        "the weights sit near the diagonal, but differ from row to row: local, not shared",
    )
    judge(
        kata,
        tensor(gen, length, length),
        3,
        False,
        "a dense random matrix",
        "a dense random matrix is neither local nor shared",
    )


@pytest.mark.points(1)
def test_parameter_counts_are_python_ints(kata):
    assert_python_ints(
        as_plain_dict(kata.parameter_counts(3, 16, 32, 32, (3, 5), 2, (1, 2), True)),
        "parameter_counts(3, 16, 32, 32, (3, 5), 2, (1, 2), True)",
    )


def as_plain_dict(result):
    if not isinstance(result, dict):
        fail(f"parameter_counts must return a dict, got {type(result).__name__}")
    return result


@pytest.mark.points(1)
def test_is_small_kernel_conv_compares_exactly(kata):
    # "equals conv1d_matrix(k, L) exactly": a weight of 1e-9 far from the diagonal makes another
    # matrix, which torch.allclose / np.allclose would still accept. Far from the diagonal, not on
    # it: an exact check of locality alone, or of sharing alone, refuses this matrix too, so the
    # test charges the tolerance only.
    gen = rng(75)
    nudged = torch_conv1d_matrix(tensor(gen, 3), 8)
    nudged[5, 1] = 1e-9
    judge(
        kata,
        nudged,
        3,
        False,
        "a 3-tap conv matrix with a weight of 1e-9 added at row 5, column 1, off the band",
        "the statement asks for exact equality (torch.equal); allclose-style tolerances accept "
        "a tiny weight outside the band, in a matrix that is neither local nor shared",
    )
