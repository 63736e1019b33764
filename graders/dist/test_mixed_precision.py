"""Hidden grader for dist/mixed_precision.

Oracles: float64 sums of the same values and torch.nn.functional.batch_norm of the input in
float32 (cast back to the input's dtype) for part 1; torch.amp.GradScaler, driven on the CPU with
a scripted sequence of finite and overflowing gradients (a closed-form simulation of its documented
rules where this torch has no CPU GradScaler), for part 2.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from katakit import misconceptions
from katakit.checks import (
    as_number,
    assert_close,
    assert_equal,
    assert_python_ints,
    describe,
    fail,
    rng,
)
from katakit.sandbox import probe

MISTAKES = misconceptions.of(__file__)


# -- part 1: statistics and batch norm --------------------------------------------------------
def large_activations(seed, shape, dtype=torch.float16, loc=300.0, spread=30.0):
    """Activations around 300: x**2 and the channel sums overflow float16."""
    gen = rng(seed)
    channels = shape[1]
    per_channel = (1, channels) + (1,) * (len(shape) - 2)
    centre = gen.uniform(0.7, 1.3, channels).reshape(per_channel) * loc
    values = centre + spread * gen.normal(0, 1, shape)
    return torch.tensor(values).to(dtype)


def axes(x):
    return [0, *range(2, x.dim())]


def affine(seed, channels):
    gen = rng(seed + 1000)
    return (
        torch.tensor(gen.uniform(0.5, 1.5, channels), dtype=torch.float32),
        torch.tensor(gen.normal(0, 1, channels), dtype=torch.float32),
    )


def expected_output(x, weight, bias, eps=1e-5):
    return F.batch_norm(x.float(), None, None, weight, bias, True, 0.0, eps).to(x.dtype)


def check_dtype(value, dtype, what, where):
    actual = getattr(value, "dtype", type(value).__name__)
    if actual != dtype:
        message = f"{what}: expected dtype {dtype}, got {actual} [{where}]"
        if dtype in (torch.float16, torch.bfloat16) and actual == torch.float32:
            message += (
                "\n  The statistics belong in float32, but the output goes back to the "
                "input's dtype, as under torch.autocast: finish with .to(x.dtype)"
            )
        fail(message)


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, shape", [(301, (64, 3, 4, 4)), (302, (700, 2))])
def test_stats_of_large_float16_values_are_accumulated_in_float32(kata, seed, shape):
    x = large_activations(seed, shape)
    where = describe(seed, x=x) + ", values around 300"
    result = kata.accumulate_stats(x)
    if not isinstance(result, tuple | list) or len(result) != 3:
        fail(f"accumulate_stats: expected a tuple (count, sum, sum_sq), got {result!r:.200}")
    count, total, total_sq = result
    wide = x.double()
    assert_equal(int(as_number(count, "count")), x.numel() // x.shape[1], what="count", where=where)
    narrow = {MISTAKES["stats-in-float16"]: (x * x).sum(axes(x))}
    assert_close(
        total,
        wide.sum(axes(x)),
        what="sum",
        where=where,
        rtol=1e-5,
        misconceptions={MISTAKES["sum-in-float16"]: x.sum(axes(x))},
    )
    assert_close(
        total_sq,
        (wide * wide).sum(axes(x)),
        what="sum_sq",
        where=where,
        rtol=1e-5,
        misconceptions=narrow,
    )


@pytest.mark.points(1)
def test_accumulate_stats_returns_float32_sums(kata):
    # dtypes only: the values are test_stats_of_large_float16_values_are_accumulated_in_float32's
    for dtype in (torch.float16, torch.float32):
        x = large_activations(303, (16, 3), dtype=dtype, loc=1.0, spread=0.5)
        result = kata.accumulate_stats(x)
        if not isinstance(result, tuple | list) or len(result) != 3:
            fail(f"accumulate_stats: expected a tuple (count, sum, sum_sq), got {result!r:.200}")
        where = f"x (16, 3) {dtype}"
        for name, value in (("sum", result[1]), ("sum_sq", result[2])):
            check_dtype(value, torch.float32, name, where)


@pytest.mark.points(1)
def test_accumulate_stats_count_is_an_int(kata):
    for shape in [(8, 3), (2, 3, 4, 5)]:
        assert_python_ints(
            kata.accumulate_stats(torch.ones(shape, dtype=torch.float16))[0],
            f"accumulate_stats(x of shape {shape}): the count (values per channel)",
            hint="x.numel() // x.shape[1] is an int; true division (/) gives a float and a "
            "tensor's .sum() a tensor",
        )


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, shape", [(311, (64, 3, 4, 4)), (312, (700, 2))])
def test_batchnorm_mixed_of_large_float16_input_matches_float32_batch_norm(kata, seed, shape):
    x = large_activations(seed, shape)
    weight, bias = affine(seed, shape[1])
    where = describe(seed, x=x) + ", values around 300"
    out = kata.batchnorm_mixed(x.clone(), weight, bias)
    expected = expected_output(x, weight, bias)
    # Values only, in whatever dtype they come (test_output_dtype_follows_the_input judges the
    # dtype). float16 keeps about 3 digits: two units in the last place of values up to 4.
    assert_close(out, expected, what="output", where=where, rtol=1e-3, atol=4e-3)


@pytest.mark.points(1)
def test_output_dtype_follows_the_input(kata):
    # dtypes only, on values of ordinary size: the values are the other batchnorm_mixed tests'.
    # (No bfloat16 case: katakit's read-only input check cannot compare bfloat16 tensors yet.)
    seed = 321
    for dtype in (torch.float32, torch.float16):
        x = large_activations(seed, (32, 4, 3, 3), dtype=dtype, loc=1.0, spread=0.5)
        weight, bias = affine(seed, 4)
        out = kata.batchnorm_mixed(x.clone(), weight, bias)
        check_dtype(out, dtype, "output", describe(seed, x=x))


# -- part 2: the loss scaler ------------------------------------------------------------------
class PlainSGD:
    """Just enough of an optimizer for GradScaler.step: param_groups and step()."""

    def __init__(self, params, lr):
        self.param_groups = [{"params": params}]
        self.lr = lr

    def step(self):
        with torch.no_grad():
            for param in self.param_groups[0]["params"]:
                param -= self.lr * param.grad


def torch_scaler(config):
    """torch.amp.GradScaler on the CPU, or None where this torch has none."""
    try:
        from torch.amp import GradScaler

        scaler = GradScaler("cpu", **config)
        scaler.scale(torch.ones(()))
        return scaler
    except (ImportError, TypeError, RuntimeError, ValueError):
        return None


def simulated_scales(
    flags,
    init_scale,
    growth_factor,
    backoff_factor,
    growth_interval,
    reset_on_overflow=True,
    grows=True,
):
    """GradScaler's documented update rules (and two misreadings of them), step by step."""
    scale, good, scales = float(init_scale), 0, []
    for found_inf in flags:
        if found_inf:
            scale *= backoff_factor
            good = 0 if reset_on_overflow else good
        else:
            good += 1
            if good >= growth_interval:
                scale *= growth_factor if grows else 1.0
                good = 0
        scales.append(scale)
    return scales


def oracle_scales(flags, config):
    """The scale after each update, from torch's GradScaler fed matching gradients."""
    scaler = torch_scaler(config)
    if scaler is None:
        return simulated_scales(flags, **config)
    param = torch.zeros(2, requires_grad=True)
    optimizer = PlainSGD([param], 0.0)
    scales = []
    for found_inf in flags:
        scaler.scale(torch.ones(()))
        param.grad = torch.tensor([1.0, math.inf if found_inf else 2.0])
        scaler.step(optimizer)
        scaler.update()
        scales.append(scaler.get_scale())
    return scales


def make_scaler(kata, config):
    try:
        return kata.DynamicLossScaler(**config)
    except TypeError as exc:
        fail(f"DynamicLossScaler({config}) failed: {exc}; keep the constructor's keywords")


def scale_of(scaler, what):
    return as_number(scaler.get_scale(), what)


def scale_mistakes(flags, config):
    return {
        MISTAKES["scale-never-grows"]: simulated_scales(flags, **config, grows=False),
        MISTAKES["good-count-not-reset"]: simulated_scales(
            flags, **config, reset_on_overflow=False
        ),
    }


F_, T_ = False, True
TRAJECTORIES = {
    "interval 3": (
        dict(init_scale=2.0**10, growth_factor=2.0, backoff_factor=0.5, growth_interval=3),
        [F_, F_, F_, F_, F_, T_, F_, T_, F_, F_, T_, F_, F_, F_, T_, T_, F_, F_, F_, F_],
    ),
    "interval 1, other factors": (
        dict(init_scale=16.0, growth_factor=4.0, backoff_factor=0.25, growth_interval=1),
        [F_, F_, T_, F_, T_, T_, F_, F_, F_],
    ),
}


@pytest.mark.points(2)
@pytest.mark.parametrize("name", list(TRAJECTORIES))
def test_update_scale_trajectory_matches_grad_scaler(kata, name):
    config, flags = TRAJECTORIES[name]
    scaler = make_scaler(kata, config)
    initial = scale_of(scaler, "get_scale() before any step")
    if initial != config["init_scale"]:
        fail(
            f"get_scale() before any step: expected init_scale {config['init_scale']}, got "
            f"{initial}"
        )
    scales = []
    for found_inf in flags:
        scaler.update(found_inf)
        scales.append(scale_of(scaler, "get_scale()"))
    marks = "".join("x" if f else "." for f in flags)
    expected = oracle_scales(flags, config)
    first = next((i for i, (a, e) in enumerate(zip(scales, expected, strict=True)) if a != e), None)
    differs = f"; first wrong after update {first + 1}" if first is not None else ""
    assert_equal(
        scales,
        expected,
        what="scale after each update",
        misconceptions=scale_mistakes(flags, config),
        where=f"{config}; steps {marks} (x = inf/NaN gradient, . = finite){differs}",
    )


@pytest.mark.points(1)
def test_scale_multiplies_the_loss(kata):
    scaler = make_scaler(kata, dict(init_scale=512.0))
    loss = torch.tensor(0.37, requires_grad=True)
    scaled = scaler.scale(loss)
    assert_close(
        scaled, loss.detach() * 512.0, what="scale(loss)", where="init_scale 512", rtol=1e-7
    )
    if not getattr(scaled, "requires_grad", False):
        fail(
            "scale(loss) lost the autograd graph: return loss * scale, not a detached copy, so "
            "that backward runs through it"
        )


def small_gradients(seed):
    gen = rng(seed)
    return [
        torch.tensor(gen.normal(0, 1e-3, shape), dtype=torch.float32) for shape in [(3,), (2, 4)]
    ]


@pytest.mark.points(1)
def test_unscale_divides_in_place(kata):
    seed = 331
    scaler = make_scaler(kata, dict(init_scale=2.0**8))
    true = small_gradients(seed)
    grads = [g * 2.0**8 for g in true]
    scaler.unscale_(grads)
    for i, (grad, g) in enumerate(zip(grads, true, strict=True)):
        assert_close(
            grad,
            g,
            what=f"gradient {i} after unscale_ (in place)",
            where=describe(seed, grad=grad) + ", scale 256",
            rtol=1e-6,
            misconceptions={MISTAKES["unscale-not-in-place"]: g * 2.0**8},
        )


@pytest.mark.points(1)
def test_unscale_reports_inf_and_nan(kata):
    seed = 332
    scaler = make_scaler(kata, dict(init_scale=2.0**8))
    true = small_gradients(seed)
    found = scaler.unscale_([g * 2.0**8 for g in true])
    if found is not False and found != 0:
        fail(f"unscale_ of finite gradients returned {found!r}; expected False (no overflow)")
    for bad in (math.inf, -math.inf, math.nan):
        grads = [g * 2.0**8 for g in true]
        grads[1][1, 2] = bad
        found = scaler.unscale_(grads)
        if found is not True and found != 1:
            fail(
                f"unscale_ with a {bad} in the second gradient returned {found!r}; expected "
                "True (found_inf), so that the step is skipped"
            )


@pytest.mark.points(2)
def test_step_skips_overflowing_steps_and_updates_the_others(kata):
    # The parameters are compared with plain SGD on the true gradients (the scale is a power of 2,
    # so scaling and unscaling are exact), and the scale with a second scaler of the learner's fed
    # update(found_inf) alone: this test judges step -- unscale_, skip or update the parameters,
    # then one update with the right flag -- and not update's rules, which
    # test_update_scale_trajectory_matches_grad_scaler compares with GradScaler.
    seed = 341
    gen = rng(seed)
    config = dict(init_scale=2.0**6, growth_factor=2.0, backoff_factor=0.5, growth_interval=2)
    flags = [F_, F_, T_, F_, T_, F_, F_, F_, T_, F_]
    lr = 0.1
    start = [torch.tensor(gen.normal(0, 1, s), dtype=torch.float32) for s in [(3,), (2, 2)]]
    true_grads = [
        [torch.tensor(gen.normal(0, 1, p.shape), dtype=torch.float32) for p in start] for _ in flags
    ]
    learner, shadow = make_scaler(kata, config), make_scaler(kata, config)
    learner_params = [p.clone() for p in start]
    expected_params = [p.clone() for p in start]
    for step, (found_inf, grads) in enumerate(zip(flags, true_grads, strict=True)):
        where = f"{config}, lr {lr}, step {step + 1} of {len(flags)}, seed {seed}"
        scale = scale_of(learner, "get_scale()")
        scaled = [g * scale for g in grads]
        if found_inf:
            scaled[step % 2].view(-1)[0] = math.inf if step % 3 else math.nan
        taken = learner.step(learner_params, [g.clone() for g in scaled], lr)
        if bool(taken) != (not found_inf):
            fail(
                f"step returned {taken!r}: expected {not found_inf} ("
                + (
                    "a gradient was inf/NaN, so the step is skipped"
                    if found_inf
                    else "all gradients were finite, so the parameters are updated"
                )
                + f") [{where}]"
            )
        if not found_inf:
            expected_params = [p - lr * g for p, g in zip(expected_params, grads, strict=True)]
        for i, (actual, expected) in enumerate(zip(learner_params, expected_params, strict=True)):
            assert_close(
                actual,
                expected,
                what=f"parameter {i} after the step",
                where=where + "; expected param - lr * (the unscaled gradient), or no change "
                "when a gradient overflowed",
                rtol=1e-6,
                atol=1e-7,
            )
        shadow.update(found_inf)
        after, alone = scale_of(learner, "get_scale()"), scale_of(shadow, "get_scale()")
        if after != alone:
            fail(
                f"scale after step {step + 1}: {after}, but another DynamicLossScaler with the "
                f"same settings, given only update(found_inf) with the same {step + 1} flags, has "
                f"{alone}: step must call update(found_inf) once, with found_inf from unscale_ "
                f"[{where}]"
            )


# -- on a GPU: under torch.autocast -----------------------------------------------------------
@probe
def batchnorm_mixed_under_autocast(kata, x, weight, bias, device):
    """The learner's batchnorm_mixed with autocast on, on the learner's side (an autocast
    context of the grader's process does not reach the learner's code)."""
    with torch.autocast(device, dtype=torch.float16):
        return kata.batchnorm_mixed(x, weight, bias)


@pytest.mark.gpu
@pytest.mark.points(1)
def test_batchnorm_mixed_under_cuda_autocast(kata):
    seed = 351
    gen = torch.Generator().manual_seed(seed)
    inputs = 300.0 + 30.0 * torch.randn(128, 8, generator=gen)
    mixing = torch.eye(8) + 0.01 * torch.randn(8, 8, generator=gen)
    weight, bias = affine(seed, 8)
    with torch.autocast("cuda", dtype=torch.float16):
        hidden = inputs.cuda() @ mixing.cuda()  # float16 under autocast, values around 300
    out = batchnorm_mixed_under_autocast(kata, hidden, weight.cuda(), bias.cuda(), "cuda")
    where = f"seed {seed}, hidden (128, 8) float16 on cuda under torch.autocast"
    check_dtype(hidden, torch.float16, "the grader's float16 activations", where)
    check_dtype(out, torch.float16, "output", where)
    expected = F.batch_norm(
        hidden.float(), None, None, weight.cuda(), bias.cuda(), True, 0.0, 1e-5
    ).half()
    assert_close(out, expected, what="output under autocast", where=where, rtol=1e-3, atol=4e-3)


@pytest.mark.gpu
@pytest.mark.points(1)
def test_scaler_steps_cuda_gradients_like_the_cuda_grad_scaler(kata):
    from torch.amp import GradScaler

    config = dict(init_scale=2.0**8, growth_factor=2.0, backoff_factor=0.5, growth_interval=2)
    flags = [F_, F_, T_, F_, F_, F_, T_]
    gen = torch.Generator().manual_seed(361)
    start = torch.randn(5, generator=gen).cuda()
    learner, reference = make_scaler(kata, config), GradScaler("cuda", **config)
    mine, theirs = start.clone(), start.clone().requires_grad_(True)
    optimizer = PlainSGD([theirs], 0.05)
    for step, found_inf in enumerate(flags):
        reference.scale(torch.ones((), device="cuda"))
        grad = torch.randn(5, generator=gen).cuda() * reference.get_scale()
        if found_inf:
            grad[2] = math.inf
        learner.step([mine], [grad.clone()], 0.05)
        theirs.grad = grad.clone()
        reference.step(optimizer)
        reference.update()
        where = f"{config}, step {step + 1}, cuda"
        if scale_of(learner, "get_scale()") != reference.get_scale():
            fail(
                f"scale after step {step + 1}: expected {reference.get_scale()}, got "
                f"{scale_of(learner, 'get_scale()')} [{where}]"
            )
        assert_close(mine, theirs.detach(), what="parameter", where=where, rtol=1e-6, atol=1e-7)
