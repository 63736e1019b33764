"""Hidden grader for bn/norm_family; the oracles are torch's layer, instance and group norm."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

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
# Outputs are of order 1 and eps = 1e-5 moves them by up to about 3e-4 here: outside the eps
# test, compare at 1e-3, so that where eps goes is charged by that test alone. The axis and
# variance mistakes move outputs by percents.
LOOSE = dict(rtol=1e-3, atol=1e-3)


def tensor(a):
    return None if a is None else torch.tensor(a)


def torch_layer_norm(x, gamma=None, beta=None, eps=1e-5):
    return F.layer_norm(tensor(x), x.shape[1:], tensor(gamma), tensor(beta), eps).numpy()


def torch_instance_norm(x, gamma=None, beta=None, eps=1e-5):
    return F.instance_norm(tensor(x), weight=tensor(gamma), bias=tensor(beta), eps=eps).numpy()


def torch_group_norm(x, num_groups, gamma=None, beta=None, eps=1e-5):
    return F.group_norm(tensor(x), num_groups, tensor(gamma), tensor(beta), eps).numpy()


def draw(seed, shape, dtype=np.float64):
    """An input whose channels (axis 1) have very different means and scales.

    Uneven channels are what make a wrong grouping or a wrong reduction axis visible: with
    identically distributed channels, most of them give nearly the right answer.
    """
    gen = rng(seed)
    per_channel = (1, shape[1]) + (1,) * (len(shape) - 2)
    means = gen.normal(0, 4, shape[1]).reshape(per_channel)
    scales = gen.uniform(0.3, 3.0, shape[1]).reshape(per_channel)
    # a different offset per sample, so statistics taken across the batch are visibly wrong
    offsets = gen.normal(0, 2, (shape[0],) + (1,) * (len(shape) - 1))
    x = gen.normal(0, 1, shape) * scales + means + offsets
    return x.astype(dtype), gen


def normalise(x, axes, eps, *, ddof=0, eps_outside=False):
    """(x - mean) / sqrt(var + eps) over ``axes``, or one of the classic mistakes."""
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True, ddof=ddof)
    return (x - mean) / (np.sqrt(var) + eps if eps_outside else np.sqrt(var + eps))


def per_channel(values, ndim):
    return 1.0 if values is None else np.asarray(values).reshape((1, -1) + (1,) * (ndim - 2))


def common_mistakes(axes, eps, scale, shift, x):
    """The variance and eps mistakes, for statistics taken over ``axes`` of ``x``."""
    return {
        MISTAKES["unbiased-normalisation"]: scale * normalise(x, axes, eps, ddof=1) + shift,
        MISTAKES["eps-outside-sqrt"]: scale * normalise(x, axes, eps, eps_outside=True) + shift,
        MISTAKES["eps-missing"]: scale * normalise(x, axes, 0.0) + shift,
    }


def layer_norm_mistakes(x, gamma, beta, eps):
    g = 1.0 if gamma is None else gamma
    b = 0.0 if beta is None else beta
    every_axis = tuple(range(1, x.ndim))
    return {
        MISTAKES["layer-norm-over-batch"]: g * normalise(x, (0,), eps) + b,
        MISTAKES["layer-norm-last-axis"]: g * normalise(x, (x.ndim - 1,), eps) + b,
        MISTAKES["affine-not-applied"]: normalise(x, every_axis, eps),
        **common_mistakes(every_axis, eps, g, b, x),
    }


def instance_norm_mistakes(x, gamma, beta, eps):
    g, b = per_channel(gamma, x.ndim), 0.0 if beta is None else per_channel(beta, x.ndim)
    return {
        MISTAKES["instance-norm-over-n-c"]: g * normalise(x, (0, 1), eps) + b,
        MISTAKES["instance-norm-over-n-h-w"]: g * normalise(x, (0, 2, 3), eps) + b,
        MISTAKES["instance-norm-over-c-h-w"]: g * normalise(x, (1, 2, 3), eps) + b,
        **common_mistakes((2, 3), eps, g, b, x),
    }


def group_norm_mistakes(x, num_groups, gamma, beta, eps):
    n, c, h, w = x.shape
    g, b = per_channel(gamma, x.ndim), 0.0 if beta is None else per_channel(beta, x.ndim)
    contiguous = x.reshape(n, num_groups, c // num_groups, h, w)
    # channel c in group c % G: reshape to (N, C/G, G, H, W) and reduce over axes 1, 3, 4
    interleaved = normalise(x.reshape(n, c // num_groups, num_groups, h, w), (1, 3, 4), eps)
    mistakes = {
        MISTAKES["group-norm-interleaved"]: g * interleaved.reshape(x.shape) + b,
        MISTAKES["group-norm-spatial-only"]: g * normalise(x, (2, 3), eps) + b,
        MISTAKES["group-norm-channels-only"]: (
            g * normalise(contiguous, (2,), eps).reshape(x.shape) + b
        ),
    }
    for name, wrong in common_mistakes((2, 3, 4), eps, 1.0, 0.0, contiguous).items():
        mistakes[name] = g * wrong.reshape(x.shape) + b
    return mistakes


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, shape", [(101, (5, 7)), (102, (3, 4, 2, 3))])
def test_layer_norm_matches_torch(kata, seed, shape):
    x, gen = draw(seed, shape)
    gamma, beta = gen.uniform(0.5, 2.0, shape[1:]), gen.normal(0, 1, shape[1:])
    before = snapshot(x=x, gamma=gamma, beta=beta)
    out = kata.layer_norm(x, gamma, beta)
    assert_close(
        out,
        torch_layer_norm(x, gamma, beta),
        what="layer_norm output",
        where=describe(seed, x=x, gamma=gamma),
        misconceptions=layer_norm_mistakes(x, gamma, beta, 1e-5),
        **LOOSE,
    )
    assert_unchanged(before, x=x, gamma=gamma, beta=beta)


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "seed, shape, affine", [(201, (3, 4, 5, 6), True), (202, (1, 3, 4, 5), False)]
)
def test_instance_norm_matches_torch(kata, seed, shape, affine):
    x, gen = draw(seed, shape)
    gamma = gen.uniform(0.5, 2.0, shape[1]) if affine else None
    beta = gen.normal(0, 1, shape[1]) if affine else None
    before = snapshot(x=x)
    out = kata.instance_norm(x, gamma, beta)
    assert_close(
        out,
        torch_instance_norm(x, gamma, beta),
        what="instance_norm output",
        where=describe(seed, x=x, affine=affine),
        misconceptions=instance_norm_mistakes(x, gamma, beta, 1e-5),
        **LOOSE,
    )
    assert_unchanged(before, x=x)


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "seed, shape, num_groups", [(301, (2, 6, 3, 4), 3), (302, (3, 8, 2, 5), 2)]
)
def test_group_norm_matches_torch(kata, seed, shape, num_groups):
    x, gen = draw(seed, shape)
    gamma, beta = gen.uniform(0.5, 2.0, shape[1]), gen.normal(0, 1, shape[1])
    before = snapshot(x=x, gamma=gamma, beta=beta)
    out = kata.group_norm(x, num_groups, gamma, beta)
    assert_close(
        out,
        torch_group_norm(x, num_groups, gamma, beta),
        what="group_norm output",
        where=describe(seed, x=x, num_groups=num_groups),
        misconceptions=group_norm_mistakes(x, num_groups, gamma, beta, 1e-5),
        **LOOSE,
    )
    assert_unchanged(before, x=x, gamma=gamma, beta=beta)


@pytest.mark.points(1)
def test_group_norm_with_one_group_equals_layer_norm(kata):
    seed = 401
    x, _ = draw(seed, (3, 6, 4, 4))
    out = kata.group_norm(x, 1)
    assert_close(
        out,
        torch_layer_norm(x),
        what="group_norm with num_groups=1 (layer norm over C, H, W)",
        where=describe(seed, x=x, num_groups=1),
        misconceptions=group_norm_mistakes(x, 1, None, None, 1e-5),
        **LOOSE,
    )


@pytest.mark.points(1)
def test_group_norm_with_one_channel_per_group_equals_instance_norm(kata):
    seed = 402
    x, _ = draw(seed, (2, 5, 3, 4))
    out = kata.group_norm(x, 5)
    assert_close(
        out,
        torch_instance_norm(x),
        what="group_norm with num_groups=C (instance norm)",
        where=describe(seed, x=x, num_groups=5),
        misconceptions=group_norm_mistakes(x, 5, None, None, 1e-5),
        **LOOSE,
    )


@pytest.mark.points(1)
def test_eps_goes_inside_the_sqrt_for_nearly_constant_channels(kata):
    # The placement of eps shows only where a variance is near eps: channel 1 is nearly
    # constant in every sample, and in group_norm channels 0 and 1 form one group; for
    # layer_norm, sample 1 is nearly constant as a whole.
    seed, eps = 501, 1e-3
    rows, gen = draw(seed, (3, 8))
    rows[1] = 3.0 + 1e-2 * gen.normal(0, 1, 8)
    assert_close(
        kata.layer_norm(rows, eps=eps),
        torch_layer_norm(rows, eps=eps),
        what="layer_norm output",
        where=describe(seed, x=rows, eps=eps) + ", sample 1 with variance about 1e-4",
        misconceptions=layer_norm_mistakes(rows, None, None, eps),
    )
    x, _ = draw(seed, (2, 4, 3, 3))
    x[:, 1] = 2.0 + 1e-2 * x[:, 1] / x[:, 1].std()
    x[:, 0] = -1.0 + 1e-2 * x[:, 0] / x[:, 0].std()
    where = describe(seed, x=x, eps=eps)
    assert_close(
        kata.instance_norm(x, eps=eps),
        torch_instance_norm(x, eps=eps),
        what="instance_norm output",
        where=where,
        misconceptions=instance_norm_mistakes(x, None, None, eps),
    )
    assert_close(
        kata.group_norm(x, 2, eps=eps),
        torch_group_norm(x, 2, eps=eps),
        what="group_norm output",
        where=where + ", num_groups=2",
        misconceptions=group_norm_mistakes(x, 2, None, None, eps),
    )


def check_affine(got, plain, what, where, *, gamma=None, beta=None):
    """``got``, the output with only ``gamma`` or only ``beta`` given, against the learner's own
    output with neither, scaled or shifted: the affine step alone, whatever the normalisation
    computes."""
    __tracebackhide__ = True
    plain = as_array(plain, what.split(" with ")[0] + " with gamma=None and beta=None")
    expected = plain * gamma if gamma is not None else plain + beta
    step = "times gamma" if gamma is not None else "plus beta"
    assert_close(
        got,
        expected,
        what=what,
        where=f"{where}; expected: your own output with gamma=None and beta=None, {step}",
        rtol=1e-6,
        atol=1e-6,
        misconceptions={MISTAKES["affine-one-given-ignored"]: plain},
    )


@pytest.mark.points(1)
def test_gamma_and_beta_apply_independently(kata):
    # gamma=None means no scale and beta=None no shift, each on its own: one given without the
    # other still applies. Compared with the learner's own output without either, so that only
    # the affine step is graded here (the normalisation is graded by the other tests).
    seed = 502
    x, gen = draw(seed, (3, 4, 2, 3))
    where = describe(seed, x=x)
    gamma, beta = gen.uniform(0.5, 2.0, x.shape[1:]), gen.normal(0, 1, x.shape[1:])
    plain = kata.layer_norm(x)
    what = "layer_norm output with {}"
    got = kata.layer_norm(x, gamma, None)
    check_affine(got, plain, what.format("gamma and beta=None"), where, gamma=gamma)
    got = kata.layer_norm(x, None, beta)
    check_affine(got, plain, what.format("gamma=None and beta"), where, beta=beta)
    gamma, beta = gen.uniform(0.5, 2.0, 4), gen.normal(0, 1, 4)
    scale, shift = per_channel(gamma, x.ndim), per_channel(beta, x.ndim)
    for what, function in (
        ("instance_norm output with {}", kata.instance_norm),
        ("group_norm output with {}, num_groups=2", lambda x_, g, b: kata.group_norm(x_, 2, g, b)),
    ):
        plain = function(x, None, None)
        check_affine(
            function(x, gamma, None), plain, what.format("gamma and beta=None"), where, gamma=scale
        )
        check_affine(
            function(x, None, beta), plain, what.format("gamma=None and beta"), where, beta=shift
        )


@pytest.mark.points(1)
def test_group_norm_rejects_channels_not_divisible_by_groups(kata):
    # C * H * W is divisible by G in both cases, so reshape(N, G, -1) alone would not complain.
    for shape, num_groups in [((2, 6, 2, 3), 4), ((1, 4, 2, 2), 8)]:
        x, _ = draw(503, shape)
        try:
            out = kata.group_norm(x, num_groups)
        except ValueError:
            continue
        except Exception as exc:  # the wrong kind of error still tells the learner what to fix
            fail(
                f"group_norm with C={shape[1]}, num_groups={num_groups}: expected ValueError, got "
                f"{type(exc).__name__} [x {shape}]\n  {type(exc).__name__}: {exc}"
            )
        fail(
            f"group_norm with C={shape[1]}, num_groups={num_groups}: expected ValueError, got "
            f"{type(out).__name__} [x {shape}]\n"
            f"  {shape[1]} channels cannot be split into {num_groups} equal groups, so this must "
            "raise ValueError. Check C % num_groups yourself: reshape(N, G, -1) succeeds whenever "
            "G divides C*H*W and silently mixes channels from different groups."
        )


@pytest.mark.points(1)
def test_float32_input_gives_float32_output(kata):
    # The dtypes only: the values are graded by the float64 tests.
    seed = 601
    x, gen = draw(seed, (4, 6, 3, 3), dtype=np.float32)
    gamma = gen.uniform(0.5, 2.0, 6).astype(np.float32)
    beta = gen.normal(0, 1, 6).astype(np.float32)
    cases = [
        ("layer_norm", kata.layer_norm, (x,)),
        ("instance_norm", kata.instance_norm, (x, gamma, beta)),
        ("group_norm", kata.group_norm, (x, 3, gamma, beta)),
    ]
    for name, function, args in cases:
        out = function(*args)
        dtype = getattr(out, "dtype", type(out))
        if str(dtype).replace("torch.", "") != "float32":
            fail(
                f"{name} output dtype: expected float32 for a float32 input, got {dtype} "
                f"[{describe(seed, x=x)}]; compute in any precision, then cast the result back "
                "to x.dtype"
            )
