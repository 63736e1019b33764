"""Hidden grader for conv/transposed_conv; the oracle is torch's conv_transpose2d.

The kernels are random and not symmetric (so a kernel that was not flipped shows), strides go
above 2 and differ between height and width (so the number of inserted zeros shows), one layer has
as many input as output channels (so weights read as (C_out, C_in) give a wrong answer instead of
an error), and output_padding and dilation get a case each. The checkerboard is checked on the
learner's own overlap map: uniform away from the borders exactly when K % S == 0.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from katakit import misconceptions
from katakit.checks import (
    as_array,
    assert_close,
    assert_unchanged,
    describe,
    fail,
    rng,
    snapshot,
)

MISTAKES = misconceptions.of(__file__)


def pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def torch_transpose(x, w, b, stride, padding, output_padding, dilation):
    return F.conv_transpose2d(
        torch.from_numpy(x),
        torch.from_numpy(w),
        None if b is None else torch.from_numpy(b),
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        dilation=dilation,
    ).numpy()


def spread(x, stride, gap=None):
    """x with ``gap`` zeros between neighbours (``stride - 1`` by default)."""
    n, c, h, w = x.shape
    (gh, gw) = pair(gap) if gap is not None else tuple(s - 1 for s in pair(stride))
    out = np.zeros((n, c, (h - 1) * (gh + 1) + 1, (w - 1) * (gw + 1) + 1))
    out[:, :, :: gh + 1, :: gw + 1] = x
    return out


def by_zero_insertion(x, w, b, stride, padding, output_padding, dilation, *, gap=None, pads=None):
    """The construction of the statement, run with torch's conv2d, so that its variants (the
    classic mistakes) can be named in messages. ``pads``: (top, bottom, left, right)."""
    (kh, kw), (ph, pw) = w.shape[2:], pair(padding)
    (oph, opw), (dh, dw) = pair(output_padding), pair(dilation)
    if pads is None:
        top, left = dh * (kh - 1) - ph, dw * (kw - 1) - pw
        pads = (top, top + oph, left, left + opw)
    top, bottom, left, right = pads
    z = spread(x, stride, gap)
    z = np.pad(z, ((0, 0), (0, 0), (max(top, 0), max(bottom, 0)), (max(left, 0), max(right, 0))))
    kernel = np.flip(w, axis=(2, 3)).transpose(1, 0, 2, 3).copy()
    out = F.conv2d(
        torch.from_numpy(z),
        torch.from_numpy(kernel),
        None if b is None else torch.from_numpy(b),
        dilation=(dh, dw),
    )
    return out.numpy()


def mistakes(x, w, b, stride, padding, output_padding, dilation):
    args = (stride, padding, output_padding, dilation)
    (kh, kw), (ph, pw) = w.shape[2:], pair(padding)
    (oph, opw), (dh, dw) = pair(output_padding), pair(dilation)
    found = {
        MISTAKES["kernel-not-flipped"]: (
            torch_transpose(x, np.flip(w, axis=(2, 3)).copy(), b, *args)
        ),
        MISTAKES["s-zeros-inserted"]: by_zero_insertion(x, w, b, *args, gap=pair(stride)),
        MISTAKES["output-padding-both-sides"]: (
            by_zero_insertion(
                x,
                w,
                b,
                *args,
                pads=(
                    dh * (kh - 1) - ph + oph,
                    dh * (kh - 1) - ph + oph,
                    dw * (kw - 1) - pw + opw,
                    dw * (kw - 1) - pw + opw,
                ),
            )
        ),
        MISTAKES["transpose-padding-ignores-dilation"]: by_zero_insertion(
            x,
            w,
            b,
            *args,
            pads=(kh - 1 - ph, kh - 1 - ph + oph, kw - 1 - pw, kw - 1 - pw + opw),
        )
        if min(kh - 1 - ph, kw - 1 - pw) >= 0
        else np.zeros(0),
    }
    if w.shape[0] == w.shape[1]:
        found[MISTAKES["transpose-channels-not-swapped"]] = torch_transpose(
            x, w.transpose(1, 0, 2, 3).copy(), b, *args
        )
    return found


# -- dilate_input --------------------------------------------------------------------------------
@pytest.mark.points(1)
@pytest.mark.parametrize("seed, shape, stride", [(11, (2, 3, 3, 4), 2), (12, (1, 2, 4, 3), (3, 2))])
def test_dilate_input_inserts_stride_minus_one_zeros(kata, seed, shape, stride):
    x = rng(seed).normal(0, 1, shape)
    before = snapshot(x=x)
    assert_close(
        kata.dilate_input(x, stride),
        spread(x, stride),
        what="dilate_input(x, stride)",
        where=describe(seed, x=x, stride=stride),
        misconceptions={
            MISTAKES["s-zeros-inserted"]: (spread(x, stride, gap=pair(stride))),
            MISTAKES["zeros-after-last-pixel"]: (
                np.pad(
                    spread(x, stride),
                    ((0, 0), (0, 0), (0, pair(stride)[0] - 1), (0, pair(stride)[1] - 1)),
                )
            ),
        },
    )
    assert_unchanged(before, x=x)


# -- conv_transpose2d ----------------------------------------------------------------------------
CASES = [
    # seed, x shape, w shape (C_in, C_out, kH, kW), stride, padding, output_padding, dilation, bias
    (21, (2, 3, 4, 5), (3, 2, 3, 2), 1, 0, 0, 1, True),
    (22, (2, 2, 4, 4), (2, 3, 3, 3), 2, 1, 0, 1, True),
    (23, (2, 3, 3, 4), (3, 3, 4, 3), (2, 3), (1, 2), 0, 1, True),
    (24, (1, 2, 3, 3), (2, 2, 3, 2), 2, (1, 0), (1, 0), 1, True),
    (25, (2, 2, 4, 3), (2, 3, 3, 2), (2, 1), (2, 1), 0, (2, 1), True),
    (26, (1, 3, 3, 2), (3, 2, 1, 1), 3, 0, (2, 1), 1, False),
]


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "seed, x_shape, w_shape, stride, padding, output_padding, dilation, bias",
    CASES,
    ids=[
        "stride_1_flip_and_full_padding",
        "stride_2_kernel_3_padding_1",
        "non_square_kernel_and_stride_same_channels",
        "output_padding",
        "dilation",
        "1x1_kernel_stride_3_without_bias",
    ],
)
def test_conv_transpose2d_matches_torch(
    kata, seed, x_shape, w_shape, stride, padding, output_padding, dilation, bias
):
    gen = rng(seed)
    x, w = gen.normal(0, 1, x_shape), gen.normal(0, 1, w_shape)
    b = gen.normal(0, 1, w_shape[1]) if bias else None
    before = snapshot(x=x, w=w)
    out = kata.conv_transpose2d(x, w, b, stride, padding, output_padding, dilation)
    args = (stride, padding, output_padding, dilation)
    assert_close(
        out,
        torch_transpose(x, w, b, *args),
        what="conv_transpose2d output",
        where=describe(
            seed,
            x=x,
            w=w,
            stride=stride,
            padding=padding,
            output_padding=output_padding,
            dilation=dilation,
        ),
        misconceptions=mistakes(x, w, b, *args),
    )
    assert_unchanged(before, x=x, w=w)


# -- overlap_counts ------------------------------------------------------------------------------
def torch_counts(kernel, stride, n):
    """A transposed conv of ones with a kernel of ones counts the writes to each output pixel."""
    out = F.conv_transpose2d(
        torch.ones(1, 1, *pair(n), dtype=torch.float64),
        torch.ones(1, 1, *pair(kernel), dtype=torch.float64),
        stride=stride,
    )
    return out[0, 0].numpy().round().astype(np.int64)


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "kernel, stride, n",
    # non_square: along W the stride 3 is above the kernel 2, so some pixels get no write
    [(3, 2, 4), (4, 2, 3), ((3, 2), (2, 3), (3, 5))],
    ids=["kernel_3_stride_2_checkerboard", "kernel_4_stride_2_uniform", "non_square"],
)
def test_overlap_counts_match_a_transposed_conv_of_ones(kata, kernel, stride, n):
    expected = torch_counts(kernel, stride, n)
    assert_close(
        kata.overlap_counts(kernel, stride, n),
        expected,
        what=f"overlap_counts({kernel}, {stride}, {n})",
        where="the output of conv_transpose2d(ones, ones kernel, stride)",
        rtol=0,
        atol=0,
    )


@pytest.mark.points(1)
@settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(k=st.integers(1, 6), s=st.integers(1, 4), extra=st.integers(1, 4))
def test_overlap_map_is_uniform_inside_exactly_when_the_stride_divides_the_kernel(
    kata, k, s, extra
):
    n = k + extra  # enough pixels for an interior at least S wide
    counts = as_array(kata.overlap_counts(k, s, n), f"overlap_counts({k}, {s}, {n})")
    expected_shape = ((n - 1) * s + k,) * 2
    if counts.shape != expected_shape:
        fail(f"overlap_counts({k}, {s}, {n}): expected shape {expected_shape}, got {counts.shape}")
    # interior: output pixels that every kernel tap can reach, away from the borders
    inside = counts[k - 1 : (n - 1) * s + 1, k - 1 : (n - 1) * s + 1]
    uniform = bool(np.all(inside == inside.flat[0]))
    if uniform != (k % s == 0):
        fail(
            f"overlap_counts({k}, {s}, {n}): the map away from the borders is "
            f"{'uniform' if uniform else 'not uniform'}, but K % S = {k % s}: each output "
            f"pixel is written by the kernel taps k with k = pixel (mod S), that is K / S taps "
            "when S divides K and alternately ceil(K / S) and floor(K / S) taps when it does "
            f"not (the checkerboard). Interior rows: {inside[0].tolist()}"
        )
    # the counts themselves are test_overlap_counts_match_a_transposed_conv_of_ones' promise


@pytest.mark.points(1)
def test_results_have_the_stated_dtypes(kata):
    # float32 in, float32 out (a buffer made with np.zeros defaults to float64); counts are ints.
    # The dtypes only, never the values; as many input as output channels, so that weights read
    # in the wrong channel order still run.
    seed = 31
    gen = rng(seed)
    x = gen.normal(0, 1, (2, 2, 3, 4)).astype(np.float32)
    w = gen.normal(0, 1, (2, 2, 3, 2)).astype(np.float32)
    b = gen.normal(0, 1, 2).astype(np.float32)
    where = describe(seed, x=x, w=w, stride=2, padding=1, output_padding=1)
    results = {
        "dilate_input(x, 2)": (kata.dilate_input(x, 2), "float32"),
        "conv_transpose2d(x, w, b, 2, 1, 1)": (kata.conv_transpose2d(x, w, b, 2, 1, 1), "float32"),
        "overlap_counts(3, 2, 4)": (kata.overlap_counts(3, 2, 4), "an integer dtype"),
    }
    for text, (got, wanted) in results.items():
        dtype = getattr(got, "dtype", None)
        ok = (
            dtype is not None and np.issubdtype(np.dtype(str(dtype)), np.integer)
            if wanted == "an integer dtype"
            else str(dtype) == "float32"
        )
        if not ok:
            kind = dtype if dtype is not None else type(got).__name__
            fail(
                f"{text}: expected {wanted}, got {kind} [{where}]; results have the dtype of x, "
                "and overlap_counts counts in integers"
            )
