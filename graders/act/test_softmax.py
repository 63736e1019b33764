"""Hidden grader for act/softmax.

Oracles: torch.softmax / torch.log_softmax (run here, float64) and, for the Jacobian-vector
product, autograd through torch.softmax. Logits of +-1e4 and slices on very different scales
must give finite, exact answers without floating-point warnings; the warnings are recorded by a
probe on the learner's side.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from katakit import misconceptions
from katakit.checks import assert_close, describe, fail, rng
from katakit.sandbox import probe

MISTAKES = misconceptions.of(__file__)


def logits(seed, shape, scale=3.0):
    return rng(seed).normal(0.0, scale, shape)


def torch_softmax(x, axis):
    return torch.softmax(torch.as_tensor(x, dtype=torch.float64), dim=axis).numpy()


def torch_log_softmax(x, axis):
    return torch.log_softmax(torch.as_tensor(x, dtype=torch.float64), dim=axis).numpy()


def quiet(function):
    """A mistake's output, computed without the warnings it would raise."""
    with np.errstate(all="ignore"):
        return function()


def softmax_mistakes(x, axis):
    x = np.asarray(x, dtype=np.float64)

    def global_max():
        e = np.exp(x - x.max())
        return e / e.sum(axis=axis, keepdims=True)

    def no_max():
        e = np.exp(x)
        return e / e.sum(axis=axis, keepdims=True)

    def whole_array():
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        return e / e.sum()

    wrong = {
        MISTAKES["softmax-no-max-subtraction"]: quiet(no_max),
        MISTAKES["softmax-global-max"]: quiet(global_max),
        MISTAKES["softmax-wrong-axis"]: quiet(whole_array),
    }
    if x.ndim > 1:
        other = 0 if axis in (-1, x.ndim - 1) else -1
        wrong[MISTAKES["softmax-wrong-axis"]] = torch_softmax(x, other)
    return wrong


def log_softmax_mistakes(x, axis):
    x = np.asarray(x, dtype=np.float64)
    return {
        MISTAKES["log-of-softmax"]: quiet(lambda: np.log(torch_softmax(x, axis))),
        MISTAKES["log-softmax-no-max-subtraction"]: quiet(
            lambda: x - np.log(np.exp(x).sum(axis=axis, keepdims=True))
        ),
    }


def with_clipped_log(wrong, expected_log, got):
    """``wrong`` plus, when the learner's log-probabilities bottom out at one level log(eps),
    what log(max(softmax, eps)) or log(softmax + eps) gives for that eps."""
    try:
        actual = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return wrong
    deep = expected_log < -1000.0
    if actual.shape != expected_log.shape or not deep.any():
        return wrong
    floor = actual[deep]
    level = floor.max()
    if not np.isfinite(floor).all() or floor.min() < level - 1e-6 or not -800.0 < level < 0.0:
        return wrong
    clipped, added = np.maximum(expected_log, level), np.logaddexp(expected_log, level)
    closest = min((clipped, added), key=lambda value: float(np.abs(value - actual).max()))
    return {**wrong, MISTAKES["log-of-clipped-softmax"]: closest}


def check(got, expected, *, what, where, wrong, rtol=1e-10, atol=1e-12):
    __tracebackhide__ = True
    assert_close(got, expected, what=what, where=where, rtol=rtol, atol=atol, misconceptions=wrong)


CASES = [(11, (5, 7), -1), (12, (3, 4, 6), 1), (13, (6, 4), 0)]
CASE_IDS = ["2d-last-axis", "3d-axis-1", "2d-axis-0"]


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, shape, axis", CASES, ids=CASE_IDS)
def test_softmax_matches_torch(kata, seed, shape, axis):
    x = logits(seed, shape)
    got = kata.softmax(x.copy(), axis=axis)
    check(
        got,
        torch_softmax(x, axis),
        what=f"softmax(x, axis={axis})",
        where=describe(seed, x=x),
        wrong=softmax_mistakes(x, axis),
    )


def far_apart_rows(seed):
    """Rows near +1e4, near 0 and near -1e4: each slice on its own scale."""
    x = logits(seed, (3, 6))
    x[0] += 1e4
    x[2] -= 1e4
    return x


@pytest.mark.points(2)
def test_softmax_large_logits_in_float64(kata):
    seed = 21
    x = logits(seed, (3, 6)) + 1e4
    check(
        kata.softmax(x.copy()),
        torch_softmax(x, -1),
        what="softmax(x) for logits near 1e4",
        where=describe(seed, x=x),
        wrong=softmax_mistakes(x, -1),
    )
    x32 = (logits(seed, (2, 5)) + 1e3).astype(np.float32)
    check(
        kata.softmax(x32.copy()),
        torch_softmax(x32, -1),
        what="softmax(x) for float32 logits near 1e3",
        where=describe(seed, x=x32),
        wrong=softmax_mistakes(x32, -1),
        rtol=1e-5,
        atol=1e-7,
    )


@pytest.mark.points(2)
def test_softmax_each_slice_on_its_own_scale(kata):
    seed = 22
    x = far_apart_rows(seed)
    check(
        kata.softmax(x.copy()),
        torch_softmax(x, -1),
        what="softmax(x) for rows near +1e4, 0 and -1e4",
        where=describe(seed, x=x),
        wrong=softmax_mistakes(x, -1),
    )
    xt = np.ascontiguousarray(far_apart_rows(seed).T)  # columns near +1e4, 0 and -1e4
    check(
        kata.softmax(xt.copy(), axis=0),
        torch_softmax(xt, 0),
        what="softmax(x, axis=0) for columns near +1e4, 0 and -1e4",
        where=describe(seed, x=xt),
        wrong=softmax_mistakes(xt, 0),
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, shape, axis", CASES[:2], ids=CASE_IDS[:2])
def test_log_softmax_matches_torch(kata, seed, shape, axis):
    x = logits(seed + 20, shape)
    check(
        kata.log_softmax(x.copy(), axis=axis),
        torch_log_softmax(x, axis),
        what=f"log_softmax(x, axis={axis})",
        where=describe(seed + 20, x=x),
        wrong=log_softmax_mistakes(x, axis),
    )


@pytest.mark.points(2)
def test_log_softmax_is_exact_where_softmax_underflows(kata):
    x = np.array([[0.0, -1e4, -3.0, -2e4], [5.0, 4.0, -800.0, 1.0]])
    got, expected = kata.log_softmax(x.copy()), torch_log_softmax(x, -1)
    check(
        got,
        expected,
        what="log_softmax(x)",
        where=f"x = {x.tolist()}: softmax underflows to 0 at -1e4, -2e4 and -800",
        wrong=with_clipped_log(log_softmax_mistakes(x, -1), expected, got),
    )
    seed = 31
    x3 = logits(seed, (2, 5, 3))
    x3[:, 1, :] -= 1e4
    got, expected = kata.log_softmax(x3.copy(), axis=1), torch_log_softmax(x3, 1)
    check(
        got,
        expected,
        what="log_softmax(x, axis=1), one entry per column 1e4 below the others",
        where=describe(seed, x=x3),
        wrong=with_clipped_log(log_softmax_mistakes(x3, 1), expected, got),
    )


@pytest.mark.points(2)
def test_log_softmax_large_logits(kata):
    seed = 32
    x = far_apart_rows(seed)
    check(
        kata.log_softmax(x.copy()),
        torch_log_softmax(x, -1),
        what="log_softmax(x) for rows near +1e4, 0 and -1e4",
        where=describe(seed, x=x),
        wrong=log_softmax_mistakes(x, -1),
    )
    x32 = (logits(seed, (2, 5)) + 1e3).astype(np.float32)
    check(
        kata.log_softmax(x32.copy()),
        torch_log_softmax(x32, -1),
        what="log_softmax(x) for float32 logits near 1e3",
        where=describe(seed, x=x32),
        wrong=log_softmax_mistakes(x32, -1),
        rtol=1e-5,
        atol=1e-4,
    )


@probe
def floating_point_warnings(kata, name, inputs):
    """On the learner's side: the floating-point warnings raised by the calls, with NumPy's
    overflow, invalid-value and divide-by-zero reporting on (underflow to 0 is fine)."""
    import warnings

    found = []
    for x, axis in inputs:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with np.errstate(over="warn", invalid="warn", divide="warn", under="ignore"):
                getattr(kata, name)(x, axis=axis)
        found += [f"{w.category.__name__}: {w.message}" for w in caught]
    return sorted(set(found))


@pytest.mark.points(1)
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_extreme_logits_raise_no_warning(kata, name):
    x = far_apart_rows(41)
    inputs = [(x, -1), (np.ascontiguousarray(x.T), 0), (x.astype(np.float32) / 10, -1)]
    found = floating_point_warnings(kata, name, inputs)
    if found:
        fail(
            f"{name} raised floating-point warnings for rows near +1e4, 0 and -1e4 "
            f"(float64, along either axis, and float32 at a tenth of that): {'; '.join(found)}"
            f"\n  Subtract each slice's own maximum along the axis before exp, and never take "
            f"the log of a probability that may be 0."
        )


def torch_jvp(x, v, axis):
    """J v by autograd through torch.softmax at x (reverse mode: J is symmetric, J^T v = J v)."""
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(
        torch.softmax(t, dim=axis), t, grad_outputs=torch.as_tensor(v, dtype=torch.float64)
    )
    return grad.numpy()


JVP_CASES = [(51, (7,), -1), (52, (4, 6), -1), (53, (3, 5, 4), 1)]


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, shape, axis", JVP_CASES, ids=["1d", "2d-last-axis", "3d-axis-1"])
def test_softmax_jvp_matches_autograd(kata, seed, shape, axis):
    gen = rng(seed)
    x, v = gen.normal(0, 2, shape), gen.normal(0, 1, shape)
    s = torch_softmax(x, axis)
    got = kata.softmax_jvp(s.copy(), v.copy(), axis=axis)
    weighted = (s * v).sum(axis=axis, keepdims=True)
    wrong = {
        MISTAKES["softmax-jvp-diagonal-only"]: s * (1 - s) * v,
        MISTAKES["softmax-jvp-sign"]: s * (v + weighted),
        MISTAKES["softmax-jvp-mean-not-weighted"]: s * (v - v.mean(axis=axis, keepdims=True)),
        MISTAKES["softmax-wrong-axis"]: s * (v - (s * v).sum()),
    }
    check(
        got,
        torch_jvp(x, v, axis),
        what=f"softmax_jvp(s, v, axis={axis}) with s = softmax(x)",
        where=describe(seed, x=x, v=v) + " (autograd through torch.softmax)",
        wrong=wrong,
    )


@pytest.mark.points(1)
def test_float32_in_float32_out(kata):
    seed = 61
    x = logits(seed, (3, 4)).astype(np.float32)
    v = logits(seed + 1, (3, 4)).astype(np.float32)
    s = torch_softmax(x, -1).astype(np.float32)
    for what, got in [
        ("softmax(x)", kata.softmax(x.copy())),
        ("log_softmax(x)", kata.log_softmax(x.copy())),
        ("softmax_jvp(s, v)", kata.softmax_jvp(s.copy(), v.copy())),
    ]:
        dtype = str(getattr(got, "dtype", type(got).__name__)).replace("torch.", "")
        shape = tuple(getattr(got, "shape", ()))
        if dtype != "float32" or shape != x.shape:
            fail(
                f"{what} returned {dtype} of shape {shape} for float32 inputs of shape "
                f"{x.shape}; the result has the dtype and shape of the input "
                f"[{describe(seed, x=x)}]"
            )
