"""Hidden grader for conv/im2col_conv; the oracles are torch's unfold and conv2d.

Shapes are chosen where the classic mistakes show: several channels and kernels larger than 1x1
(column order), padding with stride > 1 (padding applied after striding), dilation, different
strides for height and width, strides that do not divide the size, and groups. Vectorisation is
judged by counting the Python lines the learner's code runs, never by timing.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from katakit import misconceptions
from katakit.checks import assert_close, assert_unchanged, describe, fail, rng, snapshot
from katakit.sandbox import probe

MISTAKES = misconceptions.of(__file__)


def pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def torch_unfold(x, kernel, stride, padding, dilation):
    return F.unfold(
        torch.from_numpy(x), pair(kernel), dilation=dilation, padding=padding, stride=stride
    ).numpy()


def torch_conv(x, w, b, stride, padding, dilation, groups=1):
    return F.conv2d(
        torch.from_numpy(x),
        torch.from_numpy(w),
        None if b is None else torch.from_numpy(b),
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
    ).numpy()


def grid(x, kernel, stride, padding, dilation):
    """(H_out, W_out) that torch's conv2d gives for this input and layer."""
    return F.conv2d(
        torch.zeros(1, 1, *x.shape[2:]),
        torch.zeros(1, 1, *pair(kernel)),
        stride=stride,
        padding=padding,
        dilation=dilation,
    ).shape[2:]


# -- what the classic mistakes produce, to name them in messages ---------------------------------
def im2col_mistakes(x, kernel, stride, padding, dilation):
    n, c = x.shape[:2]
    kh, kw = pair(kernel)
    ph, pw = pair(padding)
    right = torch_unfold(x, kernel, stride, padding, dilation)
    tap_major = right.reshape(n, c, kh, kw, -1).transpose(0, 2, 3, 1, 4).reshape(right.shape)
    valid = grid(x, kernel, stride, 0, dilation)  # the unpadded windows
    after = torch_unfold(x, kernel, stride, 0, dilation).reshape(n, c * kh * kw, *valid)
    after = np.pad(after, ((0, 0), (0, 0), (ph, ph), (pw, pw))).reshape(n, c * kh * kw, -1)
    oh, ow = grid(x, kernel, stride, padding, dilation)
    undilated = torch_unfold(x, kernel, stride, padding, 1)
    undilated = undilated.reshape(n, c * kh * kw, *grid(x, kernel, stride, padding, 1))
    undilated = undilated[:, :, :oh, :ow].reshape(n, c * kh * kw, -1)
    return {
        MISTAKES["tap-major-rows"]: tap_major,
        MISTAKES["padding-after-stride"]: after,
        MISTAKES["dilation-ignored-taps"]: undilated,
    }


def conv_mistakes(x, w, b, stride, padding, dilation, groups):
    c_out, c_per_group, kh, kw = w.shape
    bias = 0.0 if b is None else b.reshape(1, -1, 1, 1)
    right = torch_conv(x, w, b, stride, padding, dilation, groups)
    oh, ow = right.shape[2:]
    mistakes = {}
    if groups == 1:
        # what the weights mean when the columns are (tap, channel) but w.reshape is (channel, tap)
        scrambled = w.reshape(c_out, kh, kw, c_per_group).transpose(0, 3, 1, 2).copy()
        mistakes[MISTAKES["tap-major-rows"]] = torch_conv(
            x, scrambled, b, stride, padding, dilation
        )
    ph, pw = pair(padding)
    try:
        valid = torch_conv(x, w, None, stride, 0, dilation, groups)
    except RuntimeError:
        pass  # the kernel only fits the padded input: that mistake would fail differently
    else:
        mistakes[MISTAKES["padding-after-stride"]] = (
            np.pad(valid, ((0, 0), (0, 0), (ph, ph), (pw, pw))) + bias
        )
    mistakes[MISTAKES["dilation-ignored-taps"]] = torch_conv(x, w, b, stride, padding, 1, groups)[
        :, :, :oh, :ow
    ]
    mistakes[MISTAKES["stride-axes-swapped"]] = torch_conv(
        x, w, b, pair(stride)[::-1], padding, dilation, groups
    )
    mistakes[MISTAKES["bias-not-added"]] = right - bias
    return mistakes


# -- cases ---------------------------------------------------------------------------------------
IM2COL_CASES = [
    # seed, x shape, kernel, stride, padding, dilation
    (11, (2, 3, 5, 6), 3, 1, 0, 1),
    (12, (2, 2, 7, 8), (3, 2), (2, 3), (1, 2), 1),
    (13, (1, 3, 9, 8), (2, 3), (1, 2), (2, 1), (2, 3)),
]

CONV_CASES = [
    # seed, x shape, (C_out, kH, kW), stride, padding, dilation, groups, bias
    (21, (2, 3, 6, 5), (4, 3, 3), 1, 1, 1, 1, True),
    (22, (3, 2, 9, 10), (3, 3, 2), (2, 3), (1, 2), 1, 1, True),
    (23, (2, 3, 11, 9), (2, 3, 2), (2, 1), (3, 2), (2, 3), 1, True),
    (24, (2, 5, 7, 6), (4, 1, 1), 2, 0, 1, 1, False),
    (25, (2, 4, 8, 7), (6, 3, 3), (2, 2), 1, 1, 2, True),
    (26, (1, 3, 6, 6), (6, 2, 3), 1, (1, 0), (2, 1), 3, True),
    (27, (1, 2, 4, 3), (3, 6, 3), 1, (1, 0), 1, 1, True),
]


def draw_conv(seed, shape, filters, groups, bias, dtype=np.float64):
    gen = rng(seed)
    c_out, kh, kw = filters
    x = gen.normal(0, 1, shape).astype(dtype)
    w = gen.normal(0, 1, (c_out, shape[1] // groups, kh, kw)).astype(dtype)
    b = gen.normal(0, 1, c_out).astype(dtype) if bias else None
    return x, w, b


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, shape, kernel, stride, padding, dilation", IM2COL_CASES)
def test_im2col_matches_torch_unfold(kata, seed, shape, kernel, stride, padding, dilation):
    x = rng(seed).normal(0, 1, shape)
    before = snapshot(x=x)
    cols = kata.im2col(x, kernel, stride, padding, dilation)
    assert_close(
        cols,
        torch_unfold(x, kernel, stride, padding, dilation),
        what="im2col(x, ...)",
        where=describe(seed, x=x, kernel=kernel, stride=stride, padding=padding, dilation=dilation),
        misconceptions=im2col_mistakes(x, kernel, stride, padding, dilation),
    )
    assert_unchanged(before, x=x)


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "seed, shape, filters, stride, padding, dilation, groups, bias",
    CONV_CASES,
    ids=[
        "3x3_padding_1",
        "non_square_kernel_and_stride",
        "dilation_and_stride_that_does_not_divide",
        "1x1_kernel_without_bias",
        "two_groups",
        "depthwise_groups_with_dilation",
        "kernel_covering_the_whole_padded_input",
    ],
)
def test_conv2d_forward_matches_torch_conv2d(
    kata, seed, shape, filters, stride, padding, dilation, groups, bias
):
    x, w, b = draw_conv(seed, shape, filters, groups, bias)
    before = snapshot(x=x, w=w) if b is None else snapshot(x=x, w=w, b=b)
    out = kata.conv2d_forward(x, w, b, stride, padding, dilation, groups)
    assert_close(
        out,
        torch_conv(x, w, b, stride, padding, dilation, groups),
        what="conv2d_forward output",
        where=describe(
            seed, x=x, w=w, stride=stride, padding=padding, dilation=dilation, groups=groups
        ),
        misconceptions=conv_mistakes(x, w, b, stride, padding, dilation, groups),
    )
    if b is None:
        assert_unchanged(before, x=x, w=w)
    else:
        assert_unchanged(before, x=x, w=w, b=b)


@pytest.mark.points(1)
def test_float32_input_gives_float32_output(kata):
    # The dtype only: the values are the other tests' promise. Stride 1, where padding the
    # input and padding the output give the same shape, so that mistake still runs here.
    seed = 31
    x, w, b = draw_conv(seed, (2, 3, 8, 7), (4, 3, 2), 1, True, dtype=np.float32)
    out = kata.conv2d_forward(x, w, b, 1, 1, 1, 1)
    dtype = str(getattr(out, "dtype", type(out))).replace("torch.", "")
    if dtype != "float32":
        fail(
            f"conv2d_forward output dtype: expected float32 for a float32 input, got {dtype} "
            "(a padded buffer made with np.zeros defaults to float64; pass dtype=x.dtype) "
            f"[{describe(seed, x=x, w=w, stride=1, padding=1)}]"
        )


# -- vectorisation, by counting ------------------------------------------------------------------
@probe
def python_lines(module, name, args):
    """How many Python lines of the learner's file run during ``module.<name>(*args)``; a probe,
    because the learner's code runs in its own process."""
    import sys

    function = getattr(module, name)
    filename = module.__file__
    count = 0

    def local(frame, event, arg):
        nonlocal count
        if event == "line":
            count += 1
        return local

    def on_call(frame, event, arg):
        return local if frame.f_code.co_filename == filename else None

    previous = sys.gettrace()
    sys.settrace(on_call)
    try:
        function(*args)
    finally:
        sys.settrace(previous)
    return count


SMALL, LARGE = (1, 3, 5, 6), (8, 3, 19, 23)  # same channels and kernel: only N, H, W grow


def check_work_does_not_grow(kata, name, *rest):
    """``kata.<name>(x, *rest)`` must run as many Python lines for a large x as for a small one."""
    __tracebackhide__ = True
    gen = rng(41)
    w = gen.normal(0, 1, (4, 3, 3, 2))
    inputs = [gen.normal(0, 1, SMALL), gen.normal(0, 1, LARGE)]
    small, large = (
        python_lines(kata, name, (x, *(w if r is W else r for r in rest))) for x in inputs
    )
    if large > small + 10 + small // 10:
        fail(
            f"{name} ran {small} Python lines for an input of shape {SMALL} but {large} for "
            f"{LARGE}, with the same channels and kernel: its Python work grows with the batch "
            "or the image size. Loop over the kH * kW kernel taps at most, and let each tap "
            "pick its input for every image and output pixel at once with a strided slice.",
            MISTAKES["python-loop-over-pixels"],
        )


W = object()  # where the kernel goes among a call's arguments


@pytest.mark.points(1)
def test_im2col_python_work_does_not_grow_with_batch_or_image(kata):
    check_work_does_not_grow(kata, "im2col", (3, 2), (2, 1), 1, 1)


@pytest.mark.points(1)
def test_conv2d_forward_python_work_does_not_grow_with_batch_or_image(kata):
    check_work_does_not_grow(kata, "conv2d_forward", W, None, (2, 1), 1, 1, 1)
