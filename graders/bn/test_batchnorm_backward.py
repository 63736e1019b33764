"""Hidden grader for bn/batchnorm_backward.

Oracles: torch autograd through torch.nn.functional.batch_norm (training mode, float64), and a
central finite-difference estimate of the gradients on tiny batches.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from katakit import misconceptions
from katakit.checks import assert_close, assert_unchanged, describe, fail, rng, snapshot

EPS = 1e-5
# Gradients here are of order 1 and eps = 1e-5 moves them by about 1e-5: outside the tests made
# for eps, compare at 1e-4, so that where eps goes is charged by those tests alone.
LOOSE = dict(rtol=1e-4, atol=1e-4)
MISTAKES = misconceptions.of(__file__)


def autograd_gradients(dout, x, gamma, eps=EPS):
    """Oracle: (dx, dgamma, dbeta) from torch autograd of training-mode batch norm, in float64."""
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    gt = torch.tensor(gamma, dtype=torch.float64, requires_grad=True)
    bt = torch.zeros(x.shape[1], dtype=torch.float64, requires_grad=True)
    out = F.batch_norm(xt, None, None, gt, bt, training=True, eps=eps)
    dx, dgamma, dbeta = torch.autograd.grad(
        out, (xt, gt, bt), torch.tensor(dout, dtype=torch.float64)
    )
    return dx.numpy(), dgamma.numpy(), dbeta.numpy()


def forward(x, gamma, beta, eps=EPS):
    """Training-mode batch norm in float64, for the finite-difference oracle."""
    axes = (0, *range(2, x.ndim))
    per_channel = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    x_hat = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    return gamma.reshape(per_channel) * x_hat + beta.reshape(per_channel)


def finite_difference_gradients(dout, x, gamma, eps=EPS, h=1e-6):
    """Central differences of L = sum(dout * batchnorm(x)) with respect to x, gamma and beta."""
    beta = np.zeros_like(gamma)

    def loss(x_, gamma_, beta_):
        return float(np.sum(dout * forward(x_, gamma_, beta_, eps)))

    grads = []
    for which in range(3):
        args = [x.copy(), gamma.copy(), beta.copy()]
        grad = np.zeros_like(args[which])
        for index in np.ndindex(grad.shape):
            plus, minus = [a.copy() for a in args], [a.copy() for a in args]
            plus[which][index] += h
            minus[which][index] -= h
            grad[index] = (loss(*plus) - loss(*minus)) / (2 * h)
        grads.append(grad)
    return tuple(grads)


def backprop(d_x_hat, x_hat, inv_std, axes):
    """dx from dL/dx_hat through the normalisation, with statistics reduced over ``axes``."""
    mean_term = d_x_hat.mean(axis=axes, keepdims=True)
    var_term = x_hat * (d_x_hat * x_hat).mean(axis=axes, keepdims=True)
    return inv_std * (d_x_hat - mean_term - var_term)


def wrong_dx(dout, x, gamma, eps=EPS):
    """What the classic mistakes give for dx on this input, to name them in the message."""
    axes = (0, *range(2, x.ndim))
    per_channel = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    d_x_hat = gamma.reshape(per_channel) * dout
    mean = x.mean(axis=axes, keepdims=True)
    inv_std = 1.0 / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    x_hat = (x - mean) * inv_std
    mean_term = d_x_hat.mean(axis=axes, keepdims=True)
    var_term = x_hat * (d_x_hat * x_hat).mean(axis=axes, keepdims=True)
    wrong = {
        MISTAKES["backward-mean-path-dropped"]: inv_std * (d_x_hat - var_term),
        MISTAKES["backward-var-path-dropped"]: inv_std * (d_x_hat - mean_term),
        MISTAKES["backward-no-gamma"]: backprop(dout, x_hat, inv_std, axes),
        MISTAKES["backward-no-inv-std"]: d_x_hat - mean_term - var_term,
        MISTAKES["backward-direct-path-only"]: inv_std * d_x_hat,
    }
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_raw = 1.0 / np.sqrt(x.var(axis=axes, keepdims=True))
        wrong[MISTAKES["backward-eps-missing"]] = backprop(
            d_x_hat, (x - mean) * inv_raw, inv_raw, axes
        )
    if x.ndim == 4:
        inv0 = 1.0 / np.sqrt(x.var(axis=0, keepdims=True) + eps)
        x_hat0 = (x - x.mean(axis=0, keepdims=True)) * inv0
        wrong[MISTAKES["batch-axis-only"]] = backprop(d_x_hat, x_hat0, inv0, 0)
    return wrong


def wrong_dgamma(dout, x, eps=EPS):
    axes = (0, *range(2, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    x_hat = (x - mean) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    wrong = {
        MISTAKES["dgamma-from-x"]: (dout * x).sum(axis=axes),
        MISTAKES["dgamma-not-normalised"]: (dout * (x - mean)).sum(axis=axes),
        MISTAKES["param-grad-averaged"]: (dout * x_hat).mean(axis=axes),
        MISTAKES["param-grad-keepdims"]: (dout * x_hat).sum(axis=axes, keepdims=True),
    }
    with np.errstate(divide="ignore", invalid="ignore"):
        x_hat_raw = (x - mean) / np.sqrt(x.var(axis=axes, keepdims=True))
    wrong[MISTAKES["backward-eps-missing"]] = (dout * x_hat_raw).sum(axis=axes)
    if x.ndim == 4:
        x_hat0 = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps)
        wrong[MISTAKES["batch-axis-only"]] = (dout * x_hat0).sum(axis=axes)
    return wrong


def wrong_dbeta(dout, x):
    axes = (0, *range(2, x.ndim))
    return {
        MISTAKES["param-grad-averaged"]: dout.mean(axis=axes),
        MISTAKES["dbeta-batch-axis-only"]: dout.sum(axis=0),
        MISTAKES["param-grad-keepdims"]: dout.sum(axis=axes, keepdims=True),
    }


def draw(seed, shape, dtype=np.float64):
    """Channels with different means and scales, an upstream gradient and a gamma."""
    gen = rng(seed)
    channels = shape[1]
    per_channel = (1, channels) + (1,) * (len(shape) - 2)
    x = gen.normal(gen.normal(0, 3, channels).reshape(per_channel), 1, shape)
    x = x * gen.uniform(0.5, 2.0, channels).reshape(per_channel)
    dout = gen.normal(0, 1, shape)
    gamma = gen.uniform(0.5, 1.5, channels) * gen.choice([-1.0, 1.0], channels)
    return [a.astype(dtype) for a in (dout, x, gamma)]


def call(kata, dout, x, gamma, **kwargs):
    """The learner's gradients, checking they come back as three values and leave inputs alone."""
    __tracebackhide__ = True
    before = snapshot(dout=dout, x=x, gamma=gamma)
    result = kata.batchnorm_backward(dout, x, gamma, **kwargs)
    assert_unchanged(before, dout=dout, x=x, gamma=gamma)
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        fail(
            "batchnorm_backward must return a tuple (dx, dgamma, dbeta), "
            f"got {type(result).__name__}"
        )
    return result


def check_parameter_gradients(result, expected, dout, x, where, eps=EPS, **tolerance):
    __tracebackhide__ = True
    _, dgamma, dbeta = result
    assert_close(
        dbeta,
        expected[2],
        what="dbeta",
        where=where,
        misconceptions=wrong_dbeta(dout, x),
        **tolerance,
    )
    assert_close(
        dgamma,
        expected[1],
        what="dgamma",
        where=where,
        misconceptions=wrong_dgamma(dout, x, eps),
        **tolerance,
    )


def check_input_gradient(result, expected, dout, x, gamma, where, eps=EPS, **tolerance):
    __tracebackhide__ = True
    assert_close(
        result[0],
        expected[0],
        what="dx",
        where=where,
        misconceptions=wrong_dx(dout, x, gamma, eps),
        **tolerance,
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, shape", [(11, (8, 5)), (12, (4, 3, 5, 6))])
def test_parameter_gradients_match_autograd(kata, seed, shape):
    dout, x, gamma = draw(seed, shape)
    expected = autograd_gradients(dout, x, gamma)
    result = call(kata, dout, x, gamma)
    check_parameter_gradients(result, expected, dout, x, describe(seed, x=x), **LOOSE)


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, shape", [(21, (8, 5)), (22, (3, 7))])
def test_input_gradient_matches_autograd_for_n_c_input(kata, seed, shape):
    dout, x, gamma = draw(seed, shape)
    expected = autograd_gradients(dout, x, gamma)
    result = call(kata, dout, x, gamma)
    check_input_gradient(result, expected, dout, x, gamma, describe(seed, x=x), **LOOSE)


@pytest.mark.points(2)
def test_input_gradient_reduces_over_n_h_w_for_images(kata):
    for seed, shape in [(31, (4, 3, 5, 6)), (32, (2, 4, 3, 1))]:
        dout, x, gamma = draw(seed, shape)
        expected = autograd_gradients(dout, x, gamma)
        result = call(kata, dout, x, gamma)
        # dx only: dgamma and dbeta of images are graded by test_parameter_gradients_match_autograd
        check_input_gradient(result, expected, dout, x, gamma, describe(seed, x=x), **LOOSE)


@pytest.mark.points(1)
def test_gradients_match_finite_differences_on_tiny_batches(kata):
    # Central differences with h = 1e-6 in float64 agree with the exact gradients to better
    # than 1e-8 here; we accept 1e-4 (relative and absolute), as elsewhere outside the eps tests.
    for seed, shape in [(41, (3, 2)), (42, (2, 2, 2, 1))]:
        dout, x, gamma = draw(seed, shape)
        expected = finite_difference_gradients(dout, x, gamma)
        result = call(kata, dout, x, gamma)
        where = describe(seed, x=x) + ", oracle: central finite differences"
        check_input_gradient(result, expected, dout, x, gamma, where, **LOOSE)
        check_parameter_gradients(result, expected, dout, x, where, **LOOSE)


@pytest.mark.points(1)
def test_batch_of_two_gives_an_input_gradient_of_order_eps(kata):
    # Two values per channel always normalise to about -1 and +1, whatever they are: the output
    # barely depends on x, so dx is of the order of eps / var. Only the terms through the mean
    # and the variance cancel the direct term. eps = 1e-12 keeps dx below atol whether or not
    # a backward includes eps (graded by the next test).
    seed, eps = 51, 1e-12
    dout, x, gamma = draw(seed, (2, 3))
    expected = autograd_gradients(dout, x, gamma, eps)
    result = call(kata, dout, x, gamma, eps=eps)
    where = describe(seed, x=x, eps=eps)
    check_input_gradient(result, expected, dout, x, gamma, where, eps=eps, atol=1e-10)


@pytest.mark.points(1)
def test_constant_and_near_eps_channels_give_finite_gradients(kata):
    # Channel 0 equals its mean everywhere (var = 0, x_hat = 0): a backward that divides by the
    # standard deviation without eps, or by x - mean, returns 0/0. Channel 1 has a variance
    # below eps, where the placement of eps changes the gradient.
    seed, eps = 61, 1e-4
    dout, x, gamma = draw(seed, (6, 3))
    x[:, 0] = 1.5
    x[:, 1] = -2.0 + 3e-3 * (x[:, 1] - x[:, 1].mean()) / x[:, 1].std()
    expected = autograd_gradients(dout, x, gamma, eps)
    result = call(kata, dout, x, gamma, eps=eps)
    where = describe(seed, x=x, eps=eps) + ", channel 0 constant, channel 1 with variance 9e-6"
    check_input_gradient(result, expected, dout, x, gamma, where, eps=eps)
    check_parameter_gradients(result, expected, dout, x, where, eps=eps)


@pytest.mark.points(1)
def test_float32_input_gives_float32_gradients(kata):
    seed = 71
    dout, x, gamma = draw(seed, (8, 3, 2, 2), dtype=np.float32)
    result = call(kata, dout, x, gamma)
    # The dtypes only: the values are graded by the float64 tests.
    for name, value in zip(("dx", "dgamma", "dbeta"), result, strict=True):
        dtype = str(getattr(value, "dtype", type(value).__name__)).replace("torch.", "")
        if dtype != "float32":
            fail(
                f"{name} dtype: expected float32 for a float32 input, got {dtype} "
                f"[{describe(seed, x=x)}]; compute in any precision, then cast the gradients "
                "back to x.dtype"
            )
