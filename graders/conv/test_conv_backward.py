"""Hidden grader for conv/conv_backward; the oracles are torch's fold, conv2d and autograd, and a
numerical gradient (central differences in float64) of torch's conv2d.

The layers have overlapping windows (stride below the kernel's span: the only place where a
col2im that overwrites instead of adding goes wrong), padding 0 as well as padding > 0, dilation,
different strides for height and width, strides that do not divide the size (input pixels no
window reaches) and batches of several images (db and dw sum over the batch).
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


@pytest.fixture(autouse=True)
def one_thread():
    """The numerical gradient runs hundreds of tiny convolutions: single-threaded they cost
    microseconds, while waking a thread pool for each costs far more on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def draw(seed, x_shape, w_shape):
    gen = rng(seed)
    x = gen.normal(0, 1, x_shape)
    w = gen.normal(0, 1, w_shape)
    b = gen.normal(0, 1, w_shape[0])
    return x, w, b, gen


def torch_forward(x, w, b, stride, padding, dilation):
    return F.conv2d(
        torch.from_numpy(x),
        torch.from_numpy(w),
        torch.from_numpy(b),
        stride=stride,
        padding=padding,
        dilation=dilation,
    ).numpy()


def autograd(x, w, b, dout, stride, padding, dilation):
    """dx, dw, db of sum(conv2d(x, w, b) * dout), by torch's autograd."""
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    out = F.conv2d(xt, wt, bt, stride=stride, padding=padding, dilation=dilation)
    out.backward(torch.from_numpy(dout))
    return xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()


def fold(cols, x_shape, kernel, stride, padding, dilation):
    return F.fold(
        torch.from_numpy(cols),
        x_shape[2:],
        pair(kernel),
        dilation=dilation,
        padding=padding,
        stride=stride,
    ).numpy()


def fold_variant(cols, x_shape, kernel, stride, padding, dilation, *, overwrite, undilated):
    """col2im with a classic mistake, to recognise it: ``overwrite``, ``=`` instead of ``+=``
    (each pixel keeps only the last copy written to it, kernel taps visited row by row);
    ``undilated``, the taps of a window placed side by side whatever the dilation."""
    n, c, h, w = x_shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = map(pair, (kernel, stride, padding, dilation))
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    th, tw = (1, 1) if undilated else (dh, dw)
    cols = cols.reshape(n, c, kh, kw, oh, ow)
    padded = np.zeros((n, c, h + 2 * ph, w + 2 * pw))
    for i in range(kh):
        for j in range(kw):
            rows = slice(i * th, i * th + sh * (oh - 1) + 1, sh)
            columns = slice(j * tw, j * tw + sw * (ow - 1) + 1, sw)
            if overwrite:
                padded[:, :, rows, columns] = cols[:, :, i, j]
            else:
                padded[:, :, rows, columns] += cols[:, :, i, j]
    return padded[:, :, ph : ph + h, pw : pw + w]


def col2im_mistakes(cols, x_shape, kernel, stride, padding, dilation):
    n, c = x_shape[:2]
    args = (cols, x_shape, kernel, stride, padding, dilation)
    return {
        OVERWRITE: fold_variant(*args, overwrite=True, undilated=False),
        MISTAKES["dilation-ignored-taps"]: fold_variant(*args, overwrite=False, undilated=True),
        MISTAKES["crop-negative-slice"]: np.zeros((n, c, 0, 0)),
    }


def column_gradient(w, dout):
    """Wm^T @ dY: the gradient of every copied pixel, in the layout of unfold."""
    n, c_out = dout.shape[:2]
    return w.reshape(c_out, -1).T @ dout.reshape(n, c_out, -1)


OVERWRITE = MISTAKES["col2im-overwrites"]


# -- forward and col2im --------------------------------------------------------------------------
@pytest.mark.points(1)
def test_forward_matches_torch_conv2d(kata):
    seed, stride, padding, dilation = 11, (2, 1), (1, 2), (1, 2)
    x, w, b, _ = draw(seed, (2, 3, 7, 8), (4, 3, 3, 2))
    out, _ = kata.conv2d_forward(x, w, b, stride, padding, dilation)
    assert_close(
        out,
        torch_forward(x, w, b, stride, padding, dilation),
        what="conv2d_forward output",
        where=describe(seed, x=x, w=w, stride=stride, padding=padding, dilation=dilation),
    )


COL2IM_CASES = [
    # seed, x shape, kernel, stride, padding, dilation
    (21, (2, 3, 6, 7), (3, 3), 1, 1, 1),
    (22, (1, 2, 9, 8), (3, 2), (2, 1), (1, 2), (2, 3)),
    (23, (2, 2, 7, 8), (2, 3), (2, 3), 0, 1),
]


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "seed, x_shape, kernel, stride, padding, dilation",
    COL2IM_CASES,
    ids=["overlapping_3x3_windows", "dilated_and_strided", "stride_equal_to_kernel"],
)
def test_col2im_matches_torch_fold(kata, seed, x_shape, kernel, stride, padding, dilation):
    n, c = x_shape[:2]
    kh, kw = pair(kernel)
    length = F.unfold(
        torch.zeros(x_shape), (kh, kw), dilation=dilation, padding=padding, stride=stride
    ).shape[-1]
    cols = rng(seed).normal(0, 1, (n, c * kh * kw, length))
    before = snapshot(cols=cols)
    image = kata.col2im(cols, x_shape, kernel, stride, padding, dilation)
    assert_close(
        image,
        fold(cols, x_shape, kernel, stride, padding, dilation),
        what="col2im(cols, ...)",
        where=describe(
            seed,
            cols=cols,
            x_shape=x_shape,
            kernel=kernel,
            stride=stride,
            padding=padding,
            dilation=dilation,
        ),
        misconceptions=col2im_mistakes(cols, x_shape, kernel, stride, padding, dilation),
    )
    assert_unchanged(before, cols=cols)


# -- backward ------------------------------------------------------------------------------------
BACKWARD_CASES = {
    # name: seed, x shape, w shape, stride, padding, dilation
    "3x3, no padding": (31, (3, 2, 6, 5), (4, 2, 3, 3), 1, 0, 1),
    "non-square kernel, stride and padding": (32, (2, 3, 7, 8), (2, 3, 3, 2), (2, 1), (1, 2), 1),
    "dilated, uneven stride": (33, (2, 2, 10, 9), (3, 2, 2, 3), (2, 3), (2, 1), (3, 2)),
}


def backward_of(kata, seed, x_shape, w_shape, stride, padding, dilation):
    """The learner's (dx, dw, db) for one case, autograd's, the inputs and the case's text."""
    x, w, b, gen = draw(seed, x_shape, w_shape)
    _, cache = kata.conv2d_forward(x, w, b, stride, padding, dilation)
    dout = gen.normal(0, 1, torch_forward(x, w, b, stride, padding, dilation).shape)
    dx, dw, db = kata.conv2d_backward(dout.copy(), cache)
    expected = autograd(x, w, b, dout, stride, padding, dilation)
    where = describe(seed, x=x, w=w, stride=stride, padding=padding, dilation=dilation)
    return (dx, dw, db), expected, x, w, b, dout, where


def backward_mistakes(name, x, w, b, dout, expected, stride, padding, dilation):
    """What the classic slips give for the gradient ``name`` on this case."""
    if name == "db":
        return {MISTAKES["db-mean-over-batch"]: expected / x.shape[0]}
    if name == "dw":
        return {
            MISTAKES["dw-mean-over-batch"]: expected / x.shape[0],
            MISTAKES["dw-first-image-only"]: autograd(
                x[:1], w, b, dout[:1], stride, padding, dilation
            )[1],
        }
    return col2im_mistakes(
        column_gradient(w, dout), x.shape, w.shape[2:], stride, padding, dilation
    )


GRADIENTS = ("dx", "dw", "db")


# One test per gradient: dx, dw and db are three promises of the statement, so a slip in one
# (db averaged over the batch, say) costs that gradient's points only. Each test runs every case.
@pytest.mark.parametrize(
    "name",
    [
        pytest.param("dx", marks=pytest.mark.points(2)),
        pytest.param("dw", marks=pytest.mark.points(2)),
        pytest.param("db", marks=pytest.mark.points(1)),
    ],
)
def test_backward_matches_autograd(kata, name):
    index = GRADIENTS.index(name)
    for case, (seed, x_shape, w_shape, stride, padding, dilation) in BACKWARD_CASES.items():
        got, expected, x, w, b, dout, where = backward_of(
            kata, seed, x_shape, w_shape, stride, padding, dilation
        )
        assert_close(
            got[index],
            expected[index],
            what=name,
            where=f"{case}: {where}",
            misconceptions=backward_mistakes(
                name, x, w, b, dout, expected[index], stride, padding, dilation
            ),
        )


@pytest.mark.points(1)
@pytest.mark.parametrize("name", GRADIENTS)
def test_backward_matches_a_numerical_gradient(kata, name):
    """Central differences of L = sum(conv2d(x, w, b) * dout) in float64. L is linear in each of
    x, w and b, so the differences are exact up to rounding: the relative error must stay below
    1e-6 of the largest gradient entry."""
    seed, stride, padding, dilation = 41, (1, 2), (1, 1), (2, 1)
    x, w, b, gen = draw(seed, (2, 2, 5, 6), (3, 2, 2, 3))
    dout = gen.normal(0, 1, torch_forward(x, w, b, stride, padding, dilation).shape)

    def loss(x_, w_, b_):
        return float((torch_forward(x_, w_, b_, stride, padding, dilation) * dout).sum())

    def numeric(which):
        args = [x, w, b]
        grad = np.zeros_like(args[which])
        h = 1e-5
        for index in np.ndindex(grad.shape):
            plus, minus = [a.copy() for a in args], [a.copy() for a in args]
            plus[which][index] += h
            minus[which][index] -= h
            grad[index] = (loss(*plus) - loss(*minus)) / (2 * h)
        return grad

    _, cache = kata.conv2d_forward(x, w, b, stride, padding, dilation)
    got = dict(zip(GRADIENTS, kata.conv2d_backward(dout.copy(), cache), strict=True))
    expected = numeric(GRADIENTS.index(name))
    assert_close(
        got[name],
        expected,
        what=f"{name} against the numerical gradient",
        where=describe(seed, x=x, w=w, stride=stride, padding=padding, dilation=dilation),
        rtol=0,
        atol=1e-6 * float(np.abs(expected).max()),
    )


# -- vectorisation, by counting ------------------------------------------------------------------
@probe
def python_lines(module, x, w, b, stride, padding, dilation):
    """How many Python lines of the learner's file run in col2im, in conv2d_forward and in
    conv2d_backward (after a forward pass that is not counted) for this layer; a probe, because
    the learner's code runs in its own process. The gradients are built here from ``x`` alone."""
    import sys

    import numpy as np

    filename = module.__file__
    count = 0

    def local(frame, event, arg):
        nonlocal count
        if event == "line":
            count += 1
        return local

    def on_call(frame, event, arg):
        return local if frame.f_code.co_filename == filename else None

    def counted(function, *args):
        nonlocal count
        count = 0
        previous = sys.gettrace()
        sys.settrace(on_call)
        try:
            result = function(*args)
        finally:
            sys.settrace(previous)
        return count, result

    kernel = w.shape[2:]
    forward_lines, (out, cache) = counted(module.conv2d_forward, x, w, b, stride, padding, dilation)
    dout = np.ones(out.shape, dtype=x.dtype)
    backward_lines, _ = counted(module.conv2d_backward, dout, cache)
    n, c = x.shape[:2]
    cols = np.ones((n, c * kernel[0] * kernel[1], out.shape[2] * out.shape[3]), dtype=x.dtype)
    col2im_lines, _ = counted(module.col2im, cols, x.shape, kernel, stride, padding, dilation)
    return {
        "col2im": col2im_lines,
        "conv2d_forward": forward_lines,
        "conv2d_backward": backward_lines,
    }


SMALL, LARGE = (1, 2, 5, 6), (6, 2, 17, 19)  # same channels and kernel: only N, H, W grow


@pytest.mark.points(1)
def test_python_work_does_not_grow_with_batch_or_image(kata):
    gen = rng(51)
    w, b = gen.normal(0, 1, (3, 2, 3, 2)), gen.normal(0, 1, 3)
    layer = ((2, 1), 1, (1, 2))  # stride, padding, dilation
    small, large = (
        python_lines(kata, gen.normal(0, 1, shape), w, b, *layer) for shape in (SMALL, LARGE)
    )
    for name in ("col2im", "conv2d_forward", "conv2d_backward"):
        if large[name] > small[name] + 10 + small[name] // 10:
            fail(
                f"{name} ran {small[name]} Python lines for an input of shape {SMALL} but "
                f"{large[name]} for {LARGE}, with the same channels and a 3x2 kernel (stride "
                "(2, 1), padding 1, dilation (1, 2)).",
                MISTAKES["python-loop-over-pixels"],
            )


@probe
def im2col_calls_in_backward(module, x, w, b, stride, padding, dilation):
    """How many times conv2d_backward calls the learner's own im2col (the forward pass, run
    first, is not counted): the columns belong in the cache, not rebuilt from x."""
    import inspect

    import numpy as np

    out, cache = module.conv2d_forward(x, w, b, stride, padding, dilation)
    # the names conv2d_backward looks up: its own module's globals (``module`` may be a wrapper)
    names = inspect.unwrap(module.conv2d_backward).__globals__
    own = names["im2col"]
    calls = 0

    def counting(*args, **kwargs):
        nonlocal calls
        calls += 1
        return own(*args, **kwargs)

    names["im2col"] = counting
    try:
        module.conv2d_backward(np.ones(out.shape, dtype=x.dtype), cache)
    finally:
        names["im2col"] = own
    return calls


@pytest.mark.points(1)
def test_backward_reuses_the_cached_columns(kata):
    gen = rng(61)
    x, w, b = gen.normal(0, 1, (2, 2, 6, 5)), gen.normal(0, 1, (3, 2, 3, 3)), gen.normal(0, 1, 3)
    calls = im2col_calls_in_backward(kata, x, w, b, 1, 1, 1)
    if calls:
        fail(
            f"conv2d_backward called im2col {calls} time(s): it rebuilt the columns the forward "
            "pass had already built. Keep them in the cache (dw = dY @ X^T needs exactly them), "
            "so that nothing is recomputed [x (2, 2, 6, 5), w (3, 2, 3, 3), stride 1, padding 1]"
        )
