"""Hidden grader for reg/dropout.

Oracles: the statement's closed forms (out = x * mask / (1 - p)), torch autograd for the backward
pass, statistical bounds for the random draws (fixed seeds, six standard errors: a correct
solution fails with probability below 1e-8), and the calls the grader's own f receives for MC
dropout.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from katakit import misconceptions
from katakit.checks import as_array, assert_close, describe, fail, naming, rng

MISTAKES = misconceptions.of(__file__)


def gen(seed):
    return torch.Generator().manual_seed(seed)


def inputs(seed, shape, low=0.5, high=1.5, dtype=torch.float64):
    """Inputs bounded away from 0, so a zero in the output always means a dropped element."""
    return torch.from_numpy(rng(seed).uniform(low, high, shape)).to(dtype)


def as_mask(mask, shape, what="mask"):
    """The learner's mask as a bool tensor, for the checks that use it. Its dtype (torch.bool) is
    a promise of its own, checked in test_output_keeps_the_dtype_of_x_and_the_mask_is_bool: a
    mask of 0/1 numbers is read here as kept/dropped."""
    values = as_array(mask, what)
    if values.shape != tuple(shape):
        fail(f"{what}: expected shape {tuple(shape)}, got {values.shape}")
    if not bool(np.isin(values, (0.0, 1.0)).all()):
        fail(
            f"{what}: expected True (kept) or False (dropped) per element, got values such as "
            f"{np.unique(values)[:6].tolist()}"
        )
    return torch.from_numpy(values != 0)


# ---------------------------------------------------------------- forward, training mode


@pytest.mark.points(2)
def test_forward_scales_the_kept_elements_by_one_over_one_minus_p(kata):
    seed, p = 1, 0.3
    x = inputs(seed, (50, 40))
    out, mask = kata.dropout_forward(x.clone(), p, True, gen(seed))
    mask = as_mask(mask, x.shape)
    assert_close(
        out,
        x * mask / (1 - p),
        what="training output (given the mask you returned)",
        where=describe(seed, x=x, p=p),
        misconceptions={
            MISTAKES["training-without-rescale"]: x * mask,
            MISTAKES["scales-at-test-time"]: x * mask * (1 - p),
        },
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("p", [0.2, 0.7])
def test_each_element_is_kept_with_probability_one_minus_p(kata, p):
    seed, shape = 2, (200, 500)
    x = inputs(seed, shape)
    _, mask = kata.dropout_forward(x, p, True, gen(seed))
    mask = as_mask(mask, shape)
    n = mask.numel()
    kept = mask.double().mean().item()
    bound = 6 * ((p * (1 - p)) / n) ** 0.5
    if abs(kept - (1 - p)) > bound:
        message = (
            f"kept fraction: expected 1 - p = {1 - p:.4f} within {bound:.4f} (six standard "
            f"errors over {n} elements), got {kept:.4f} [{describe(seed, x=x, p=p)}]"
        )
        if abs(kept - p) <= bound:
            message += naming(MISTAKES["keep-probability-confused"])
        fail(message)
    rows, cols = mask.double().mean(dim=1), mask.double().mean(dim=0)
    if bool(((rows == 0) | (rows == 1)).all()) or bool(((cols == 0) | (cols == 1)).all()):
        fail(
            f"the mask drops whole rows or columns; every element must be dropped independently "
            f"[{describe(seed, x=x, p=p)}]"
        )


@pytest.mark.points(1)
@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_expectation_of_the_output_equals_the_input(kata, p):
    # E[out_i] = x_i; Var[out_i] = x_i^2 p / (1 - p); the mean over n elements is within six
    # standard errors of mean(x) for any correct solution (fixed seed: never flaky).
    seed, shape = 3, (400, 500)
    x = inputs(seed, shape)
    out, _ = kata.dropout_forward(x, p, True, gen(seed))
    out = torch.from_numpy(as_array(out, "training output"))
    if tuple(out.shape) != shape:
        fail(f"training output: expected shape {shape}, got {tuple(out.shape)}")
    n = x.numel()
    se = ((x**2).mean().item() * p / (1 - p) / n) ** 0.5
    expected, got = x.mean().item(), out.mean().item()
    if abs(got - expected) > 6 * se:
        message = (
            f"mean of the training output: expected mean(x) = {expected:.5f} within six standard "
            f"errors ({6 * se:.5f}), got {got:.5f}; inverted dropout preserves the expectation "
            f"[{describe(seed, x=x, p=p)}]"
        )
        if abs(got - (1 - p) * expected) <= 6 * se:
            message += naming(MISTAKES["training-without-rescale"])
        elif abs(got - (1 - p) ** 2 * expected) <= 6 * se:
            message += naming(MISTAKES["scales-at-test-time"])
        fail(message)


@pytest.mark.points(1)
def test_the_mask_comes_from_the_given_generator(kata):
    seed, p = 4, 0.5
    x = inputs(seed, (30, 30))
    _, first = kata.dropout_forward(x, p, True, gen(100))
    _, again = kata.dropout_forward(x, p, True, gen(100))
    _, other = kata.dropout_forward(x, p, True, gen(101))
    first, again, other = (as_mask(m, x.shape) for m in (first, again, other))
    if not torch.equal(first, again):
        fail(
            "two calls with generators seeded alike (100) gave different masks: draw every "
            "random number from the generator argument (torch.rand(..., generator=generator))"
        )
    if torch.equal(first, other):
        fail("generators seeded 100 and 101 gave the same mask: the generator is not used")


# ---------------------------------------------------------------- evaluation and edge cases


@pytest.mark.points(1)
@pytest.mark.parametrize("p", [0.5, 0.9, 1.0])
def test_evaluation_is_the_identity(kata, p):
    seed = 5
    x = torch.from_numpy(rng(seed).normal(0, 2, (6, 7, 3)))
    out, mask = kata.dropout_forward(x.clone(), p, False, gen(seed))
    wrong = {MISTAKES["scales-at-test-time"]: x * (1 - p)}
    if p == 1.0:
        # zeros at p = 1 are what every evaluation mistake gives; the p = 1 shortcut is the
        # cause only when evaluation is right for p < 1
        below = as_array(kata.dropout_forward(x.clone(), 0.9, False, gen(seed))[0], "output")
        identity_below = below.shape == tuple(x.shape) and bool((below == x.numpy()).all())
        wrong = {MISTAKES["eval-p-one-drops"]: torch.zeros_like(x)} if identity_below else {}
    assert_close(
        out,
        x,
        what="evaluation output",
        where=describe(seed, x=x, p=p) + ", training=False",
        rtol=0,
        atol=0,
        misconceptions=wrong,
    )
    mask = as_mask(mask, x.shape)
    if not bool(mask.all()):
        fail(f"evaluation mask: expected all True, got {int((~mask).sum())} False entries")


@pytest.mark.points(1)
def test_p_zero_keeps_everything(kata):
    seed = 6
    x = torch.from_numpy(rng(seed).normal(0, 1, (20, 9)))
    out, mask = kata.dropout_forward(x.clone(), 0.0, True, gen(seed))
    assert_close(out, x, what="training output with p = 0", where=describe(seed, x=x), rtol=0)
    mask = as_mask(mask, x.shape)
    if not bool(mask.all()):
        fail(f"mask with p = 0: expected all True, got {int((~mask).sum())} False entries")


@pytest.mark.points(1)
def test_p_one_drops_everything_without_nan(kata):
    seed = 7
    x = inputs(seed, (8, 5))
    out, mask = kata.dropout_forward(x.clone(), 1.0, True, gen(seed))
    assert_close(
        out, torch.zeros_like(x), what="training output with p = 1", where=describe(seed, x=x)
    )
    mask = as_mask(mask, x.shape)
    if bool(mask.any()):
        fail(f"mask with p = 1: expected all False, got {int(mask.sum())} True entries")


@pytest.mark.points(1)
def test_backward_with_p_one_gives_zeros_without_nan(kata):
    # the mask p = 1 gives (all False), made here: this is the backward pass's promise alone
    x = inputs(7, (8, 5))
    mask = torch.zeros(x.shape, dtype=torch.bool)
    dx = kata.dropout_backward(torch.ones_like(x), mask, 1.0)
    assert_close(
        dx,
        torch.zeros_like(x),
        what="dropout_backward with p = 1",
        where="dout = ones (8, 5), mask all False",
    )


@pytest.mark.points(1)
def test_p_outside_zero_one_raises_value_error(kata):
    x = torch.ones(3, 3)
    for p in (-0.1, 1.5):
        try:
            result = kata.dropout_forward(x, p, True, gen(0))
        except ValueError:
            continue
        except Exception as exc:
            fail(f"dropout_forward with p = {p}: expected ValueError, got {type(exc).__name__}")
        fail(f"dropout_forward with p = {p}: expected ValueError, it returned {type(result)}")


@pytest.mark.points(1)
def test_output_keeps_the_dtype_of_x_and_the_mask_is_bool(kata):
    # dtypes and shapes only: the values are the other tests' promises
    seed, p = 8, 0.4
    for dtype, training in [(d, t) for d in (torch.float32, torch.float64) for t in (True, False)]:
        x = inputs(seed, (4, 6, 5), dtype=dtype)
        out, mask = kata.dropout_forward(x.clone(), p, training, gen(seed))
        where = describe(seed, x=x, p=p) + f", training={training}"
        if not isinstance(out, torch.Tensor) or out.dtype != dtype:
            fail(
                f"output: expected a {str(dtype).replace('torch.', '')} tensor like x, got "
                f"{getattr(out, 'dtype', type(out).__name__)} [{where}]"
            )
        if tuple(out.shape) != tuple(x.shape):
            fail(
                f"output: expected the shape of x, {tuple(x.shape)}, got {tuple(out.shape)} "
                f"[{where}]"
            )
        if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
            fail(
                f"mask: expected a torch.bool tensor, got "
                f"{getattr(mask, 'dtype', type(mask).__name__)} of {type(mask).__name__} [{where}]"
            )


# ---------------------------------------------------------------- backward


@pytest.mark.points(1)
@pytest.mark.parametrize("p", [0.25, 0.6])
def test_backward_reuses_the_forward_mask_and_scale(kata, p):
    # a mask made here, as the forward pass would return it: the backward pass is judged on its
    # own, whatever the learner's forward pass does
    seed = 9
    x = inputs(seed, (12, 10))
    dout = torch.from_numpy(rng(seed + 1).normal(0, 1, (12, 10)))
    mask = torch.rand(x.shape, generator=gen(seed), dtype=torch.float64) >= p
    # oracle: autograd through the forward computation with this mask
    xt = x.clone().requires_grad_(True)
    (xt * mask / (1 - p) * dout).sum().backward()
    dx = kata.dropout_backward(dout.clone(), mask.clone(), p)
    where = describe(seed, x=x, dout=dout, p=p) + f", mask with {int((~mask).sum())} dropped"
    assert_close(
        dx,
        xt.grad,
        what="dropout_backward",
        where=where,
        misconceptions={
            MISTAKES["backward-without-mask"]: dout / (1 - p),
            MISTAKES["backward-without-rescale"]: dout * mask,
            MISTAKES["backward-inverted-mask"]: dout * ~mask / (1 - p),
        },
    )
    dropped_in_dx = torch.from_numpy(as_array(dx, "dropout_backward")) == 0
    if not torch.equal(~mask, dropped_in_dx):
        fail(f"the zeros of the gradient are not exactly the dropped units of the mask [{where}]")


# ---------------------------------------------------------------- MC dropout


def scales_of_a_draw(kata, x, p, seed):
    """The factors a dropout draw of x may scale its kept elements by: 1 / (1 - p), and the one
    the learner's own dropout_forward applies (MC dropout is judged on its use of the draws;
    the scale is test_forward_scales_the_kept_elements_by_one_over_one_minus_p's promise)."""
    scales = [1 / (1 - p)]
    try:
        out = as_array(kata.dropout_forward(x.clone(), p, True, gen(seed))[0], "output")
        ratios = out[out != 0] / x.numpy()[out != 0]
        if ratios.size and np.allclose(ratios, ratios[0], rtol=1e-6):
            scales.append(float(ratios[0]))
    except Exception:  # a forward pass that fails is its own tests' concern
        pass
    return scales


@pytest.mark.points(2)
def test_mc_dropout_averages_f_over_dropout_draws(kata):
    seed, p, samples = 10, 0.4, 60
    x = inputs(seed, (3, 5))
    weight = torch.from_numpy(rng(seed + 1).normal(0, 1, (5, 2)))
    seen = []

    def f(t):
        t = torch.as_tensor(t).to(torch.float64)
        seen.append(t.clone())
        return torch.tanh(t @ weight)

    got = kata.mc_dropout_predict(f, x.clone(), p, samples, gen(seed))
    where = describe(seed, x=x, p=p, samples=samples)
    if len(seen) != samples:
        fail(f"f was called {len(seen)} times; expected once per sample, {samples} times [{where}]")
    for t in seen:
        if tuple(t.shape) != tuple(x.shape):
            fail(
                f"f received a tensor of shape {tuple(t.shape)}; expected {tuple(x.shape)} "
                f"[{where}]"
            )
    if all(bool((t != 0).all()) for t in seen):
        message = f"none of the {samples} inputs f received had a dropped element [{where}]"
        if all(torch.allclose(t, x) for t in seen):
            message += naming(MISTAKES["mc-dropout-off"])
        fail(message)
    scales = scales_of_a_draw(kata, x, p, seed)
    for t in seen:
        kept = t != 0
        if not any(torch.allclose(t[kept], (x * scale)[kept], rtol=1e-6) for scale in scales):
            fail(
                f"f received {t.tolist()}, which is not a dropout draw of x: its kept elements "
                f"are not x / (1 - p) [{where}]"
            )
    expected = torch.stack([torch.tanh(t @ weight) for t in seen]).mean(dim=0)
    assert_close(got, expected, what="mc_dropout_predict (mean of f over the draws)", where=where)
