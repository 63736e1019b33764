"""Hidden grader for act/relu_interpolation.

The grader evaluates the returned network itself, f(x) = relu(x w1 + b1) @ w2 + b2, and
compares it with np.interp on the sorted knots (np.interp is the piecewise-linear interpolant
with flat extrapolation, exactly the statement's function).
"""

from __future__ import annotations

import numpy as np
import pytest

from katakit import misconceptions
from katakit.checks import as_array, as_number, assert_close, fail, rng
from katakit.sandbox import kind_of

MISTAKES = misconceptions.of(__file__)


def unpack(result, where):
    try:
        w1, b1, w2, b2 = result
    except (TypeError, ValueError):
        fail(
            f"relu_interpolant must return (w1, b1, w2, b2), got {type(result).__name__} [{where}]"
        )
    w1, b1, w2 = (as_array(p, name).reshape(-1) for p, name in ((w1, "w1"), (b1, "b1"), (w2, "w2")))
    b2 = as_number(b2, "b2")
    if not w1.size == b1.size == w2.size:
        fail(
            f"w1, b1, w2 must have the same length H, got {w1.size}, {b1.size}, {w2.size} [{where}]"
        )
    return w1, b1, w2, b2


def evaluate(params, x):
    w1, b1, w2, b2 = params
    return np.maximum(np.outer(x, w1) + b1, 0.0) @ w2 + b2


def knots(seed, n, low=-5.0, high=5.0, y_scale=2.0):
    gen = rng(seed)
    x = np.sort(gen.uniform(low, high, n))
    x += np.arange(n) * 1e-3 * (high - low)  # keep them apart
    return x, gen.normal(0.0, y_scale, n)


def mistakes(kx, ky, x, given_order=None):
    """The functions the classic construction mistakes produce, evaluated at x."""
    xs, ys = kx, ky
    slopes = np.concatenate([[0.0], np.diff(ys) / np.diff(xs), [0.0]])
    changes = np.diff(slopes)
    unit = np.maximum(x[:, None] - xs[None, :], 0.0)
    wrong = {
        MISTAKES["interp-slopes-not-changes"]: unit @ slopes[1:] + ys[0],
        MISTAKES["interp-missing-offset"]: unit @ changes,
        MISTAKES["interp-linear-right"]: unit[:, :-1] @ changes[:-1] + ys[0],
    }
    if len(xs) > 2:
        shifted = np.maximum(x[:, None] - xs[None, 1:], 0.0) @ changes[:-1] + ys[0]
        wrong[MISTAKES["interp-slope-changes-shifted"]] = shifted
    if given_order is not None:
        gx, gy = given_order
        s = np.concatenate([[0.0], np.diff(gy) / np.diff(gx), [0.0]])
        wrong[MISTAKES["interp-unsorted"]] = (
            np.maximum(x[:, None] - gx[None, :], 0.0) @ np.diff(s) + gy[0]
        )
    return wrong


def check_net(kata, kx, ky, x, what, where, given_order=None):
    __tracebackhide__ = True
    order = np.argsort(kx)
    sx, sy = kx[order], ky[order]
    params = unpack(kata.relu_interpolant(kx.copy(), ky.copy()), where)
    scale = (
        1.0
        + np.max(np.abs(sy))
        + np.max(np.abs(sx)) * np.max(np.abs(np.diff(sy) / np.diff(sx)), initial=0.0)
    )
    assert_close(
        evaluate(params, x),
        np.interp(x, sx, sy),
        what=what,
        where=where + f"; f evaluated at x = {np.array2string(x, precision=4, threshold=8)}",
        rtol=1e-9,
        atol=1e-9 * scale,
        misconceptions=mistakes(sx, sy, x, given_order),
    )
    return params


@pytest.mark.points(2)
@pytest.mark.parametrize("seed, n", [(11, 6), (12, 9)])
def test_exact_at_the_knots(kata, seed, n):
    kx, ky = knots(seed, n)
    check_net(kata, kx, ky, kx.copy(), "f at the knots", f"seed {seed}, {n} sorted knots")


@pytest.mark.points(2)
def test_linear_between_knots(kata):
    seed, n = 21, 7
    kx, ky = knots(seed, n)
    x = rng(seed + 1).uniform(kx[0], kx[-1], 300)
    check_net(kata, kx, ky, x, "f between the knots", f"seed {seed}, {n} sorted knots")


@pytest.mark.points(1)
def test_flat_left_of_the_knots(kata):
    seed, n = 31, 5
    kx, ky = knots(seed, n)
    x = kx[0] - np.array([1e-3, 0.5, 3.0, 100.0, 1e4])
    check_net(kata, kx, ky, x, "f left of every knot", f"seed {seed}, {n} sorted knots")


@pytest.mark.points(1)
def test_flat_right_of_the_knots(kata):
    seed, n = 32, 5
    kx, ky = knots(seed, n)
    x = kx[-1] + np.array([1e-3, 0.5, 3.0, 100.0, 1e4])
    check_net(kata, kx, ky, x, "f right of every knot", f"seed {seed}, {n} sorted knots")


@pytest.mark.points(1)
def test_unsorted_knots(kata):
    seed, n = 41, 7
    kx, ky = knots(seed, n)
    perm = rng(seed + 1).permutation(n)
    gx, gy = kx[perm], ky[perm]
    x = np.concatenate([kx, rng(seed + 2).uniform(kx[0], kx[-1], 50)])
    check_net(
        kata,
        gx,
        gy,
        x,
        "f for knots given in random order",
        f"seed {seed}, knots_x = {np.round(gx, 4).tolist()}",
        given_order=(gx, gy),
    )


@pytest.mark.points(1)
def test_uneven_large_scale_knots(kata):
    kx = np.array([-1000.0, -999.5, -3.0, 0.0, 0.001, 250.0, 999.0])
    ky = np.array([5e3, -2e3, 0.0, 7.0, -7.0, 1e3, 1e3])
    x = np.concatenate([kx, [-999.75, -1.5, 0.0005, 500.0]])
    check_net(kata, kx, ky, x, "f for uneven knots from -1000 to 999", f"knots_x = {kx.tolist()}")


@pytest.mark.points(1)
def test_one_knot_is_a_constant(kata):
    params = unpack(kata.relu_interpolant(np.array([2.0]), np.array([-3.5])), "one knot (2, -3.5)")
    x = np.array([-100.0, 0.0, 2.0, 5.0, 1e4])
    assert_close(
        evaluate(params, x),
        np.full(x.shape, -3.5),
        what="f for the single knot (2, -3.5)",
        where=f"x = {x.tolist()}",
        rtol=1e-12,
        atol=1e-12,
    )


@pytest.mark.points(1)
def test_at_most_one_hidden_unit_per_knot(kata):
    for seed, n in [(51, 2), (52, 8)]:
        kx, ky = knots(seed, n)
        w1, _, _, _ = unpack(kata.relu_interpolant(kx, ky), f"seed {seed}, {n} knots")
        if w1.size > n:
            fail(
                f"{w1.size} hidden units for {n} knots; one unit per knot is enough (H <= n) "
                f"[seed {seed}]"
            )


@pytest.mark.points(1)
def test_parameters_are_float_arrays_of_shape_h_and_a_float(kata):
    # the types and shapes the statement promises, whatever the values
    kx, ky = knots(17, 5)
    result = kata.relu_interpolant(kx.copy(), ky.copy())
    if not isinstance(result, tuple) or len(result) != 4:
        fail(f"relu_interpolant must return a tuple (w1, b1, w2, b2), got {kind_of(result)}")
    w1, b1, w2, b2 = result
    for name, part in (("w1", w1), ("b1", b1), ("w2", w2)):
        dtype = getattr(part, "dtype", None)
        if (
            kind_of(part) != "numpy.ndarray"
            or getattr(dtype, "kind", "") != "f"
            or part.ndim != 1
            or part.shape != w1.shape
        ):
            fail(
                f"relu_interpolant: {name} must be a float NumPy array of shape (H,) like w1, got "
                f"{kind_of(part)} of dtype {dtype} and shape {getattr(part, 'shape', None)}"
            )
    if not isinstance(b2, float):
        fail(
            f"relu_interpolant: b2 must be a float, got {kind_of(b2)} {b2!r} (float(y[k]) is "
            "one; y[k:k+1] or a 0-d array is not)"
        )


@pytest.mark.points(1)
def test_invalid_knots_raise_value_error(kata):
    cases = [
        ("a repeated x", np.array([0.0, 1.0, 1.0, 2.0]), np.array([0.0, 1.0, 2.0, 3.0])),
        ("no knot", np.array([]), np.array([])),
        ("lengths 3 and 2", np.array([0.0, 1.0, 2.0]), np.array([0.0, 1.0])),
    ]
    for what, kx, ky in cases:
        try:
            result = kata.relu_interpolant(kx, ky)
        except ValueError:
            continue
        except Exception as exc:
            fail(
                f"relu_interpolant with {what}: expected ValueError, "
                f"got {type(exc).__name__}: {exc}"
            )
        fail(f"relu_interpolant with {what}: expected ValueError, got a {type(result).__name__}")
