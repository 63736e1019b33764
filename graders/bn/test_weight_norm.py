"""Hidden grader for bn/weight_norm; the oracle is torch._weight_norm (what torch's weight_norm
parametrization computes) and its autograd in float64, and the closed form of mean-only BN."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from katakit import misconceptions
from katakit.checks import assert_close, assert_unchanged, describe, rng, snapshot

MISTAKES = misconceptions.of(__file__)


def g_shape(shape, dim):
    """Shape of torch's weight_g: 1 on every axis except ``dim``; 0-d for dim=None."""
    if dim is None:
        return ()
    return tuple(size if axis == dim else 1 for axis, size in enumerate(shape))


def draw(seed, shape, dim):
    """A direction ``v`` whose slices have very different norms, and lengths ``g``."""
    gen = rng(seed)
    v = gen.normal(0, 1, shape)
    if dim is not None:
        # slices along dim scaled differently, so a norm over the wrong axes is visibly wrong
        v = v * gen.uniform(0.2, 5.0, g_shape(shape, dim))
    g = gen.uniform(0.5, 2.5, g_shape(shape, dim))
    return v, g, gen


def torch_weight_norm(v, g, dim, dw=None):
    """Oracle: w, and with ``dw`` also (dv, dg) by autograd of torch._weight_norm in float64."""
    v_t = torch.tensor(v, dtype=torch.float64, requires_grad=True)
    g_t = torch.tensor(g, dtype=torch.float64, requires_grad=True)
    w = torch._weight_norm(v_t, g_t, -1 if dim is None else dim)
    if dw is None:
        return w.detach().numpy()
    w.backward(torch.tensor(dw, dtype=torch.float64))
    return v_t.grad.numpy(), g_t.grad.numpy()


def other_axes(v, dim):
    return tuple(axis for axis in range(v.ndim) if axis != dim)


def forward_mistakes(v, g, dim):
    norm = np.sqrt((v * v).sum(axis=other_axes(v, dim), keepdims=True))
    mistakes = {
        MISTAKES["weight-norm-forgets-g"]: v / norm,
        MISTAKES["weight-norm-whole-tensor"]: g * v / np.linalg.norm(v),
    }
    if dim is not None:
        mistakes[MISTAKES["weight-norm-along-dim"]] = (
            g * v / np.sqrt((v * v).sum(axis=dim, keepdims=True))
        )
    return mistakes


def backward_mistakes(v, g, dw, dim):
    axes = other_axes(v, dim)
    norm = np.sqrt((v * v).sum(axis=axes, keepdims=True))
    return {
        "dv": {
            MISTAKES["weight-norm-norm-constant"]: g / norm * dw,
        },
        "dg": {
            MISTAKES["weight-norm-dg-squeezed"]: (dw * v / norm).sum(axis=axes).reshape(-1)
            if dim is not None
            else (dw * v / norm).sum().reshape(1),
            MISTAKES["weight-norm-dg-unnormalised"]: (dw * v)
            .sum(axis=axes, keepdims=True)
            .reshape(np.shape(g)),
        },
    }


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "seed, shape, dim",
    [(11, (5, 3), 0), (12, (4, 3, 3, 2), 0), (13, (3, 4, 2, 2), 1)],
    ids=["linear-dim0", "conv-dim0", "conv_transpose-dim1"],
)
def test_weight_norm_matches_torch_one_norm_per_slice(kata, seed, shape, dim):
    v, g, _ = draw(seed, shape, dim)
    before = snapshot(v=v, g=g)
    w = kata.weight_norm(v, g, dim)
    assert_close(
        w,
        torch_weight_norm(v, g, dim),
        what="w",
        where=describe(seed, v=v, g=g, dim=dim),
        misconceptions=forward_mistakes(v, g, dim),
    )
    assert_unchanged(before, v=v, g=g)


@pytest.mark.points(1)
def test_weight_norm_with_dim_none_uses_one_norm_for_the_whole_tensor(kata):
    seed = 21
    v, g, _ = draw(seed, (4, 3, 2, 2), None)
    w = kata.weight_norm(v, g, None)
    assert_close(
        w,
        torch_weight_norm(v, g, None),
        what="w with dim=None",
        where=describe(seed, v=v, g=g, dim=None),
        misconceptions=forward_mistakes(v, g, None),
    )


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "seed, shape, dim",
    [(31, (4, 3, 3, 2), 0), (32, (3, 6), 1), (33, (4, 3, 2), None)],
    ids=["conv-dim0", "linear-dim1", "whole-tensor-dim-None"],
)
def test_weight_norm_backward_matches_torch_autograd(kata, seed, shape, dim):
    v, g, gen = draw(seed, shape, dim)
    dw = gen.normal(0, 1, shape)
    before = snapshot(v=v, g=g, dw=dw)
    dv, dg = kata.weight_norm_backward(v, g, dw, dim)
    expected_dv, expected_dg = torch_weight_norm(v, g, dim, dw)
    where = describe(seed, v=v, g=g, dw=dw, dim=dim)
    mistakes = backward_mistakes(v, g, dw, dim)
    assert_close(
        dg,
        expected_dg,
        what="dg",
        where=where,
        rtol=1e-7,
        atol=1e-10,
        misconceptions=mistakes["dg"],
    )
    assert_close(
        dv,
        expected_dv,
        what="dv",
        where=where,
        rtol=1e-7,
        atol=1e-10,
        misconceptions=mistakes["dv"],
    )
    assert_unchanged(before, v=v, g=g, dw=dw)


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, shape", [(41, (6, 4)), (42, (3, 5, 2, 3))])
def test_mean_only_batchnorm_subtracts_the_batch_mean_per_channel(kata, seed, shape):
    gen = rng(seed)
    per_channel = (1, shape[1]) + (1,) * (len(shape) - 2)
    # channels with different means and spreads: a rescaled or mis-centred output shows
    x = gen.normal(gen.normal(0, 3, shape[1]).reshape(per_channel), 1, shape)
    x = x * gen.uniform(0.3, 4.0, per_channel)
    beta = gen.normal(0, 1, shape[1])
    before = snapshot(x=x, beta=beta)
    out = kata.mean_only_batchnorm(x, beta)

    x_t = torch.tensor(x)
    axes = [0, *range(2, x.ndim)]
    centred = x_t - x_t.mean(dim=axes, keepdim=True)
    shift = torch.tensor(beta).reshape(per_channel)
    expected = (centred + shift).numpy()
    std = x_t.var(dim=axes, unbiased=False, keepdim=True).sqrt()
    assert_close(
        out,
        expected,
        what="mean-only batch norm output",
        where=describe(seed, x=x),
        misconceptions={
            MISTAKES["mean-only-divides-by-std"]: centred / std + shift,
            MISTAKES["mean-only-batch-axis-only"]: x_t - x_t.mean(dim=0, keepdim=True) + shift,
            MISTAKES["mean-only-no-beta"]: centred,
        },
    )
    assert_unchanged(before, x=x, beta=beta)
