"""Hidden grader for conv/pooling; the oracles are torch's max_pool2d / avg_pool2d and autograd."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from katakit import misconceptions
from katakit.checks import (
    assert_close,
    assert_equal,
    assert_python_ints,
    describe,
    fail,
    rng,
)

# (seed, x shape, kernel_size, stride, padding): non-overlapping, non-square with padding and a
# stride that does not divide, overlapping windows (stride < kernel).
MISTAKES = misconceptions.of(__file__)

PLAIN = (1, (2, 3, 6, 8), 2, None, 0)
NON_SQUARE = (2, (1, 2, 7, 9), (3, 2), (2, 3), (1, 1))
OVERLAPPING = (3, (2, 2, 7, 7), 3, 1, 1)
OVERLAPPING_STRIDED = (4, (1, 3, 8, 7), (3, 4), (2, 1), (1, 2))


def pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def draw(seed, shape, *, loc=0.0, dtype=np.float64):
    gen = rng(seed)
    return gen.normal(loc, 1.0, shape).astype(dtype), gen


def torch_pool(kind, x, kernel, stride, padding, dout=None, *, count_include_pad=True):
    """Torch's pooled output and, given ``dout``, the gradient autograd routes back to x."""
    xt = torch.tensor(x, requires_grad=True)
    if kind == "max":
        out = F.max_pool2d(xt, kernel, stride, padding)
    else:
        out = F.avg_pool2d(xt, kernel, stride, padding, count_include_pad=count_include_pad)
    if dout is None:
        return out.detach().numpy()
    out.backward(torch.tensor(dout))
    return xt.grad.numpy()


def windows(shape, kernel, stride, padding):
    """Every window as (i, j, rows, cols), rows and cols being slices of the padded input."""
    kh, kw = pair(kernel)
    sh, sw = pair(kernel if stride is None else stride)
    ph, pw = pair(padding)
    out_h = (shape[2] + 2 * ph - kh) // sh + 1
    out_w = (shape[3] + 2 * pw - kw) // sw + 1
    for i in range(out_h):
        for j in range(out_w):
            yield i, j, slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw)


def crop(padded, shape, padding):
    ph, pw = pair(padding)
    return padded[:, :, ph : ph + shape[2], pw : pw + shape[3]]


def wrong_max_backward(dout, x, kernel, stride, padding, *, pick="first", accumulate=True):
    """Brute-force max-pool backward with one of the classic mistakes (to name it)."""
    ph, pw = pair(padding)
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-np.inf)
    dx = np.zeros(padded.shape)
    for i, j, rows, cols in windows(x.shape, kernel, stride, padding):
        window = padded[:, :, rows, cols]
        flat = window.reshape(*window.shape[:2], -1)
        mask = np.zeros(flat.shape)
        if pick == "all":
            mask[:] = 1.0
        elif pick == "ties":
            mask = (flat == flat.max(axis=-1, keepdims=True)).astype(float)
        else:
            index = flat.argmax(axis=-1)
            if pick == "last":
                index = flat.shape[-1] - 1 - flat[..., ::-1].argmax(axis=-1)
            np.put_along_axis(mask, index[..., None], 1.0, axis=-1)
        grad = mask.reshape(window.shape) * dout[:, :, i, j][:, :, None, None]
        if accumulate:
            dx[:, :, rows, cols] += grad
        else:
            dx[:, :, rows, cols] = grad
    return crop(dx, x.shape, padding)


def wrong_avg_backward(dout, shape, kernel, stride, padding, *, divide=True, accumulate=True):
    ph, pw = pair(padding)
    dx = np.zeros((shape[0], shape[1], shape[2] + 2 * ph, shape[3] + 2 * pw))
    size = np.prod(pair(kernel)) if divide else 1
    for i, j, rows, cols in windows(shape, kernel, stride, padding):
        share = dout[:, :, i, j][:, :, None, None] / size
        if accumulate:
            dx[:, :, rows, cols] += share
        else:
            dx[:, :, rows, cols] = np.broadcast_to(share, dx[:, :, rows, cols].shape)
    return crop(dx, shape, padding)


def overwritten_by_offsets(dout, shape, kernel, stride, padding, share):
    """The vectorised backward with ``=`` instead of ``+=``: for each kernel offset (a, b) in scan
    order, the strided slice of every window's cell at that offset is ASSIGNED ``share(k)``, so a
    later offset overwrites what an earlier one gave a cell that two windows share."""
    kh, kw = pair(kernel)
    sh, sw = pair(kernel if stride is None else stride)
    ph, pw = pair(padding)
    oh, ow = dout.shape[2:]
    dx = np.zeros((shape[0], shape[1], shape[2] + 2 * ph, shape[3] + 2 * pw))
    for k, (a, b) in enumerate((a, b) for a in range(kh) for b in range(kw)):
        dx[:, :, a : a + sh * oh : sh, b : b + sw * ow : sw] = share(k)
    return crop(dx, shape, padding)


def max_overwritten_by_offsets(dout, x, kernel, stride, padding):
    kh, kw = pair(kernel)
    sh, sw = pair(kernel if stride is None else stride)
    ph, pw = pair(padding)
    oh, ow = dout.shape[2:]
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-np.inf)
    cells = np.stack(
        [
            padded[:, :, a : a + sh * oh : sh, b : b + sw * ow : sw]
            for a in range(kh)
            for b in range(kw)
        ]
    )
    winner = cells.argmax(axis=0)
    return overwritten_by_offsets(
        dout, x.shape, kernel, stride, padding, lambda k: np.where(winner == k, dout, 0.0)
    )


def max_backward_mistakes(dout, x, kernel, stride, padding):
    args = (dout, x, kernel, stride, padding)
    return {
        MISTAKES["max-backward-all-cells"]: wrong_max_backward(*args, pick="all"),
        MISTAKES["max-backward-spread-evenly"]: wrong_avg_backward(
            dout, x.shape, kernel, stride, padding
        ),
        MISTAKES["backward-overwrites-overlap"]: (wrong_max_backward(*args, accumulate=False)),
        MISTAKES["backward-overwrites-offsets"]: max_overwritten_by_offsets(*args),
        MISTAKES["max-backward-all-ties"]: (wrong_max_backward(*args, pick="ties")),
        MISTAKES["max-backward-last-tie"]: wrong_max_backward(*args, pick="last"),
    }


def avg_backward_mistakes(dout, shape, kernel, stride, padding):
    args = (dout, shape, kernel, stride, padding)
    return {
        MISTAKES["avg-backward-not-divided"]: wrong_avg_backward(*args, divide=False),
        MISTAKES["backward-overwrites-overlap"]: (wrong_avg_backward(*args, accumulate=False)),
        MISTAKES["backward-overwrites-offsets"]: overwritten_by_offsets(
            *args, lambda k: dout / np.prod(pair(kernel))
        ),
        MISTAKES["avg-backward-neither-divided-nor-accumulated"]: (
            wrong_avg_backward(*args, divide=False, accumulate=False)
        ),
    }


def where(seed, x, kernel, stride, padding):
    return describe(seed, x=x, kernel_size=kernel, stride=stride, padding=padding)


@pytest.mark.points(1)
@pytest.mark.parametrize("case", [PLAIN, NON_SQUARE, OVERLAPPING_STRIDED])
def test_max_pool_forward_matches_torch(kata, case):
    seed, shape, kernel, stride, padding = case
    # shifted below zero so that a border window can be all negative: padding must act as -inf
    x, _ = draw(seed, shape, loc=-1.0)
    out = kata.max_pool2d(x.copy(), kernel, stride, padding)
    ph, pw = pair(padding)
    zero_padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    assert_close(
        out,
        torch_pool("max", x, kernel, stride, padding),
        what="max_pool2d output",
        where=where(seed, x, kernel, stride, padding),
        misconceptions={
            MISTAKES["max-pads-with-zeros"]: torch_pool("max", zero_padded, kernel, stride, 0),
        },
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("case", [NON_SQUARE, OVERLAPPING])
def test_avg_pool_forward_matches_torch(kata, case):
    seed, shape, kernel, stride, padding = case
    x, _ = draw(seed, shape)
    out = kata.avg_pool2d(x.copy(), kernel, stride, padding)
    assert_close(
        out,
        torch_pool("avg", x, kernel, stride, padding),
        what="avg_pool2d output",
        where=where(seed, x, kernel, stride, padding),
        misconceptions={
            MISTAKES["avg-excludes-padding"]: torch_pool(
                "avg", x, kernel, stride, padding, count_include_pad=False
            ),
        },
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("case", [PLAIN, NON_SQUARE])
def test_max_pool_backward_routes_gradient_to_the_arg_max(kata, case):
    seed, shape, kernel, stride, padding = case
    x, gen = draw(seed, shape, loc=-1.0)
    dout = gen.normal(0, 1, torch_pool("max", x, kernel, stride, padding).shape)
    dx = kata.max_pool2d_backward(dout.copy(), x.copy(), kernel, stride, padding)
    assert_close(
        dx,
        torch_pool("max", x, kernel, stride, padding, dout),
        what="max_pool2d_backward dx",
        where=where(seed, x, kernel, stride, padding),
        misconceptions=max_backward_mistakes(dout, x, kernel, stride, padding),
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("case", [OVERLAPPING, OVERLAPPING_STRIDED])
def test_max_pool_backward_accumulates_over_overlapping_windows(kata, case):
    # With stride < kernel a large value is the arg-max of several windows at once, and its
    # gradient is the sum of theirs.
    seed, shape, kernel, stride, padding = case
    x, gen = draw(seed, shape)
    dout = gen.normal(0, 1, torch_pool("max", x, kernel, stride, padding).shape)
    dx = kata.max_pool2d_backward(dout.copy(), x.copy(), kernel, stride, padding)
    assert_close(
        dx,
        torch_pool("max", x, kernel, stride, padding, dout),
        what="max_pool2d_backward dx (overlapping windows)",
        where=where(seed, x, kernel, stride, padding),
        misconceptions=max_backward_mistakes(dout, x, kernel, stride, padding),
    )


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "case", [(5, (2, 2, 6, 6), 2, None, 0), (6, (1, 3, 7, 8), (3, 2), (2, 1), (1, 0))]
)
def test_max_pool_backward_sends_ties_to_the_first_maximum(kata, case):
    # Values drawn from {0, 1, 2}: most windows have several cells equal to their maximum.
    seed, shape, kernel, stride, padding = case
    gen = rng(seed)
    x = gen.integers(0, 3, shape).astype(np.float64)
    dout = gen.normal(0, 1, torch_pool("max", x, kernel, stride, padding).shape)
    dx = kata.max_pool2d_backward(dout.copy(), x.copy(), kernel, stride, padding)
    assert_close(
        dx,
        torch_pool("max", x, kernel, stride, padding, dout),
        what="max_pool2d_backward dx with tied maxima",
        where=where(seed, x, kernel, stride, padding) + ", x has values in {0, 1, 2}",
        misconceptions=max_backward_mistakes(dout, x, kernel, stride, padding),
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("case", [NON_SQUARE, OVERLAPPING])
def test_avg_pool_backward_matches_autograd(kata, case):
    seed, shape, kernel, stride, padding = case
    x, gen = draw(seed, shape)
    dout = gen.normal(0, 1, torch_pool("avg", x, kernel, stride, padding).shape)
    dx = kata.avg_pool2d_backward(dout.copy(), tuple(shape), kernel, stride, padding)
    assert_close(
        dx,
        torch_pool("avg", x, kernel, stride, padding, dout),
        what="avg_pool2d_backward dx",
        where=where(seed, x, kernel, stride, padding),
        misconceptions=avg_backward_mistakes(dout, shape, kernel, stride, padding),
    )


def expected_unchanged(x, kernel, shift, mode):
    """The statement's definition, computed with torch's pooling."""
    before = torch_pool(mode, x, kernel, None, 0)
    after = torch_pool(mode, np.roll(x, shift, axis=(2, 3)), kernel, None, 0)
    wrong_axes = torch_pool(mode, np.roll(x, shift, axis=(1, 2)), kernel, None, 0)
    return int(np.count_nonzero(before == after)), int(np.count_nonzero(before == wrong_axes))


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "seed, shape, kernel, shift",
    [(7, (2, 3, 8, 8), 2, (0, 1)), (8, (1, 4, 6, 9), (2, 3), (1, 2))],
)
def test_max_pool_output_mostly_survives_a_small_shift(kata, seed, shape, kernel, shift):
    x, _ = draw(seed, shape)
    expected, wrong_axes = expected_unchanged(x, kernel, shift, "max")
    total = int(np.prod(torch_pool("max", x, kernel, None, 0).shape))
    got = kata.unchanged_after_shift(x.copy(), kernel, shift, "max")
    assert_equal(
        got,
        expected,
        what=f"unchanged_after_shift(mode='max') (out of {total} pooled values)",
        where=describe(seed, x=x, kernel_size=kernel, shift=shift),
        misconceptions={
            MISTAKES["roll-wrong-axes"]: wrong_axes,
            MISTAKES["counted-changed-values"]: total - expected,
        },
    )


@pytest.mark.points(1)
def test_avg_pool_output_changes_under_a_shift_and_max_pool_tolerates_it(kata):
    # Integer-valued input keeps every average exact, so == is a fair test; the bright pixel in
    # each 2x2 window sits in its left column and stays inside the window when shifted right.
    seed, kernel, shift = 9, 2, (0, 1)
    gen = rng(seed)
    x = gen.integers(0, 4, (2, 2, 6, 8)).astype(np.float64)
    x[:, :, ::2, ::2] = 10.0 + gen.integers(0, 3, (2, 2, 3, 4))
    for mode in ("avg", "max"):
        expected, wrong_axes = expected_unchanged(x, kernel, shift, mode)
        assert_equal(
            kata.unchanged_after_shift(x.copy(), kernel, shift, mode),
            expected,
            what=f"unchanged_after_shift(mode={mode!r})",
            where=describe(seed, x=x, kernel_size=kernel, shift=shift),
            misconceptions={
                MISTAKES["roll-wrong-axes"]: wrong_axes,
            },
        )


@pytest.mark.points(1)
def test_float32_inputs_give_float32_results(kata):
    # The dtypes only: the values are the other tests' promise (and inputs left unchanged are
    # checked after every call of this kata's functions).
    seed, shape, kernel, stride, padding = 10, (2, 2, 5, 6), (2, 3), (1, 2), (1, 1)
    x, gen = draw(seed, shape, dtype=np.float32)
    out_shape = torch_pool("max", x, kernel, stride, padding).shape
    dout = gen.normal(0, 1, out_shape).astype(np.float32)
    results = {
        "max_pool2d": lambda: kata.max_pool2d(x.copy(), kernel, stride, padding),
        "avg_pool2d": lambda: kata.avg_pool2d(x.copy(), kernel, stride, padding),
        "max_pool2d_backward": lambda: kata.max_pool2d_backward(
            dout.copy(), x.copy(), kernel, stride, padding
        ),
        "avg_pool2d_backward": lambda: kata.avg_pool2d_backward(
            dout.copy(), shape, kernel, stride, padding
        ),
    }
    for name, run in results.items():
        got = run()
        dtype = str(getattr(got, "dtype", type(got).__name__)).replace("torch.", "")
        if dtype != "float32":
            fail(
                f"{name}: expected a float32 result for float32 inputs, got {dtype} "
                f"[{where(seed, x, kernel, stride, padding)}]"
            )


@pytest.mark.points(1)
def test_unchanged_after_shift_returns_a_python_int(kata):
    seed, kernel, shift = 11, 2, (1, 0)
    x, _ = draw(seed, (1, 2, 4, 6))
    for mode in ("max", "avg"):
        assert_python_ints(
            kata.unchanged_after_shift(x.copy(), kernel, shift, mode),
            f"unchanged_after_shift(mode={mode!r}) [{describe(seed, x=x, shift=shift)}]",
            hint="np.sum of a mask gives a NumPy integer: wrap it in int(...)",
        )
