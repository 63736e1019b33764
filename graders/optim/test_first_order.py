"""Hidden grader for optim/first_order; the oracle is torch.optim, run step by step.

Every test builds a seeded ill-conditioned quadratic, runs the torch optimiser on it for many steps
and records the gradient it saw at each step (the quadratic's gradient plus noise). The learner's
stepper gets exactly the same gradients, and its parameter is compared with torch's after every
step, so a mistake is reported at the first step where it shows. The classic mistakes are simulated
here in NumPy on the same gradients, to name them when the learner's trajectory matches one.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from katakit import misconceptions
from katakit.checks import as_array, assert_close, assert_unchanged, describe, fail, rng, snapshot

MISTAKES = misconceptions.of(__file__)

STEPS = 50


def gradient_source(seed, shape, scale):
    """A seeded quadratic 0.5 p'Hp - c'p (H with eigenvalues 0.1 .. 10) and noisy gradients."""
    gen = rng(seed)
    size = int(np.prod(shape))
    q, _ = np.linalg.qr(gen.normal(size=(size, size)))
    hessian = q @ np.diag(np.geomspace(0.1, 10.0, size)) @ q.T
    centre = gen.normal(size=size)

    def gradient(p):
        g = hessian @ (p.ravel() - centre) + 0.3 * gen.normal(size=size)
        return scale * g.reshape(shape)

    p0 = gen.normal(size=shape)
    return p0, gradient


def torch_trajectory(make_optimizer, p0, gradient, steps=STEPS):
    """The gradients torch's optimiser saw and the parameter after each of its steps."""
    p = torch.tensor(p0, dtype=torch.float64, requires_grad=True)
    optimizer = make_optimizer([p])
    grads, params = [], []
    for _ in range(steps):
        g = gradient(p.detach().numpy())
        grads.append(g)
        p.grad = torch.tensor(g)
        optimizer.step()
        params.append(p.detach().numpy().copy())
    return grads, params


def simulate(rule, p0, grads):
    """Run a NumPy update ``rule(state, p, g, t) -> p`` (a mistake) on the recorded gradients."""
    state, p, out = {}, p0.copy(), []
    for t, g in enumerate(grads, start=1):
        p = rule(state, p, g, t)
        out.append(p)
    return out


def ema(state, key, decay, value, weight):
    """state[key] = decay * state[key] + weight * value, starting from zero."""
    state[key] = decay * state.get(key, 0.0) + weight * value
    return state[key]


def check_trajectory(kata_opt, p0, grads, expected, *, what, where, mistakes=None, rtol=1e-9):
    """Step the learner's optimiser on ``grads`` and compare with ``expected`` after each step."""
    wrong = {name: simulate(rule, p0, grads) for name, rule in (mistakes or {}).items()}
    p = p0.copy()
    for k, g in enumerate(grads):
        result = kata_opt.step(p.copy(), g.copy())
        assert_close(
            result,
            expected[k],
            what=f"{what}: parameter after step {k + 1} of {len(grads)}",
            where=where,
            rtol=rtol,
            atol=1e-12,
            misconceptions={name: values[k] for name, values in wrong.items()},
        )
        p = as_array(result, what)


# -- SGD, momentum, Nesterov -----------------------------------------------------------------------


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "seed, shape, lr, weight_decay", [(11, (5,), 0.1, 0.0), (12, (3, 4), 0.05, 0.1)]
)
def test_sgd_matches_torch(kata, seed, shape, lr, weight_decay):
    p0, gradient = gradient_source(seed, shape, 1.0)
    grads, expected = torch_trajectory(
        lambda ps: torch.optim.SGD(ps, lr=lr, weight_decay=weight_decay), p0, gradient
    )
    check_trajectory(
        kata.SGD(lr=lr, weight_decay=weight_decay),
        p0,
        grads,
        expected,
        what="SGD",
        where=describe(seed, param=p0, lr=lr, weight_decay=weight_decay),
        mistakes={
            MISTAKES["weight-decay-ignored"]: (lambda s, p, g, t: p - lr * g),
        },
    )


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "seed, shape, lr, momentum, weight_decay",
    [(21, (6,), 0.05, 0.9, 0.0), (22, (2, 3), 0.02, 0.8, 0.05)],
)
def test_momentum_matches_torch(kata, seed, shape, lr, momentum, weight_decay):
    p0, gradient = gradient_source(seed, shape, 1.0)
    grads, expected = torch_trajectory(
        lambda ps: torch.optim.SGD(ps, lr=lr, momentum=momentum, weight_decay=weight_decay),
        p0,
        gradient,
    )

    def averaged(s, p, g, t):
        return p - lr * ema(s, "v", momentum, g + weight_decay * p, 1 - momentum)

    def no_decay_in_velocity(s, p, g, t):
        return p - lr * ema(s, "v", momentum, g, 1.0) - lr * weight_decay * p

    check_trajectory(
        kata.SGD(lr=lr, momentum=momentum, weight_decay=weight_decay),
        p0,
        grads,
        expected,
        what="SGD with momentum",
        where=describe(seed, param=p0, lr=lr, momentum=momentum, weight_decay=weight_decay),
        mistakes={
            MISTAKES["sgd-velocity-averaged"]: averaged,
            MISTAKES["decay-outside-velocity"]: no_decay_in_velocity,
        },
    )


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "seed, shape, lr, momentum, weight_decay",
    [(31, (5,), 0.05, 0.9, 0.0), (32, (4, 2), 0.03, 0.7, 0.02)],
)
def test_nesterov_matches_torch(kata, seed, shape, lr, momentum, weight_decay):
    p0, gradient = gradient_source(seed, shape, 1.0)
    grads, expected = torch_trajectory(
        lambda ps: torch.optim.SGD(
            ps, lr=lr, momentum=momentum, nesterov=True, weight_decay=weight_decay
        ),
        p0,
        gradient,
    )

    def plain(s, p, g, t):
        return p - lr * ema(s, "v", momentum, g + weight_decay * p, 1.0)

    check_trajectory(
        kata.SGD(lr=lr, momentum=momentum, nesterov=True, weight_decay=weight_decay),
        p0,
        grads,
        expected,
        what="SGD with Nesterov momentum",
        where=describe(seed, param=p0, lr=lr, momentum=momentum, weight_decay=weight_decay),
        mistakes={
            # (A look-ahead with the previous velocity, g + momentum * v_old, is this same
            # plain-momentum step: m * v_old + g is the new velocity.)
            MISTAKES["nesterov-is-plain-momentum"]: plain,
        },
    )


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "seed, shape, lr, beta, weight_decay",
    [(41, (5,), 0.1, 0.9, 0.0), (42, (3, 3), 0.2, 0.5, 0.05)],
)
def test_ema_momentum_is_torch_momentum_with_lr_times_one_minus_beta(
    kata, seed, shape, lr, beta, weight_decay
):
    # m = beta*m + (1 - beta)*g is (1 - beta) times torch's v = beta*v + g, so the question bank's
    # form with learning rate lr walks exactly torch's momentum path with lr * (1 - beta).
    p0, gradient = gradient_source(seed, shape, 1.0)
    grads, expected = torch_trajectory(
        lambda ps: torch.optim.SGD(
            ps, lr=lr * (1 - beta), momentum=beta, weight_decay=weight_decay
        ),
        p0,
        gradient,
    )

    def summed(s, p, g, t):
        return p - lr * ema(s, "v", beta, g + weight_decay * p, 1.0)

    def weights_swapped(s, p, g, t):
        return p - lr * ema(s, "v", 1 - beta, g + weight_decay * p, beta)

    check_trajectory(
        kata.EMAMomentum(lr=lr, beta=beta, weight_decay=weight_decay),
        p0,
        grads,
        expected,
        what="EMAMomentum",
        where=describe(seed, param=p0, lr=lr, beta=beta, weight_decay=weight_decay),
        mistakes={
            MISTAKES["ema-momentum-summed"]: summed,
            MISTAKES["ema-weights-swapped"]: weights_swapped,
        },
    )


# -- AdaGrad, RMSProp ----------------------------------------------------------------------------


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "seed, shape, lr, weight_decay, scale",
    [(51, (5,), 0.1, 0.0, 1.0), (52, (3, 2), 0.05, 0.01, 1.0), (53, (4,), 0.01, 0.0, 1e-5)],
)
def test_adagrad_matches_torch(kata, seed, shape, lr, weight_decay, scale):
    # scale 1e-5: gradients so small that sqrt(sum) is comparable with eps = 1e-10 under the root
    p0, gradient = gradient_source(seed, shape, scale)
    grads, expected = torch_trajectory(
        lambda ps: torch.optim.Adagrad(ps, lr=lr, weight_decay=weight_decay), p0, gradient
    )

    def eps_inside(s, p, g, t):
        d = g + weight_decay * p
        return p - lr * d / np.sqrt(ema(s, "s", 1.0, d * d, 1.0) + 1e-10)

    def mean_of_squares(s, p, g, t):
        d = g + weight_decay * p
        return p - lr * d / (np.sqrt(ema(s, "s", 1.0, d * d, 1.0) / t) + 1e-10)

    check_trajectory(
        kata.AdaGrad(lr=lr, weight_decay=weight_decay),
        p0,
        grads,
        expected,
        what="AdaGrad",
        where=describe(seed, param=p0, lr=lr, weight_decay=weight_decay, gradient_scale=scale),
        mistakes={
            MISTAKES["eps-inside-sqrt"]: (eps_inside),
            MISTAKES["adagrad-mean-of-squares"]: mean_of_squares,
        },
    )


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "seed, shape, lr, alpha, weight_decay, scale",
    [
        (61, (5,), 0.01, 0.99, 0.0, 1.0),
        (62, (2, 4), 0.02, 0.9, 0.02, 1.0),
        (63, (4,), 0.001, 0.99, 0.0, 1e-4),
    ],
)
def test_rmsprop_matches_torch(kata, seed, shape, lr, alpha, weight_decay, scale):
    # scale 1e-4: gradients with g**2 near eps = 1e-8, where the placement of eps shows
    p0, gradient = gradient_source(seed, shape, scale)
    grads, expected = torch_trajectory(
        lambda ps: torch.optim.RMSprop(ps, lr=lr, alpha=alpha, weight_decay=weight_decay),
        p0,
        gradient,
    )

    def eps_inside(s, p, g, t):
        d = g + weight_decay * p
        return p - lr * d / np.sqrt(ema(s, "s", alpha, d * d, 1 - alpha) + 1e-8)

    def weights_swapped(s, p, g, t):
        d = g + weight_decay * p
        return p - lr * d / (np.sqrt(ema(s, "s", 1 - alpha, d * d, alpha)) + 1e-8)

    check_trajectory(
        kata.RMSProp(lr=lr, alpha=alpha, weight_decay=weight_decay),
        p0,
        grads,
        expected,
        what="RMSProp",
        where=describe(
            seed, param=p0, lr=lr, alpha=alpha, weight_decay=weight_decay, gradient_scale=scale
        ),
        mistakes={
            MISTAKES["eps-inside-sqrt"]: (eps_inside),
            MISTAKES["rmsprop-weights-swapped"]: weights_swapped,
        },
    )


# -- Adam, AdamW ---------------------------------------------------------------------------------


def adam_rule(lr, betas, eps, *, l2=0.0, decoupled=0.0, bias_correction=True, decay_after=False):
    """A NumPy Adam variant, to simulate the mistakes."""
    beta1, beta2 = betas

    def rule(s, p, g, t):
        shrink = 1 - lr * decoupled
        p = p if decay_after else p * shrink
        d = g + l2 * p
        m = ema(s, "m", beta1, d, 1 - beta1)
        v = ema(s, "v", beta2, d * d, 1 - beta2)
        if bias_correction:
            m, v = m / (1 - beta1**t), v / (1 - beta2**t)
        p = p - lr * m / (np.sqrt(v) + eps)
        return p * shrink if decay_after else p

    return rule


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "seed, shape, lr, betas, weight_decay",
    [
        (71, (5,), 0.01, (0.9, 0.999), 0.0),
        (72, (3, 4), 0.05, (0.8, 0.99), 0.0),
        (73, (6,), 0.02, (0.9, 0.999), 0.1),
    ],
)
def test_adam_matches_torch(kata, seed, shape, lr, betas, weight_decay):
    p0, gradient = gradient_source(seed, shape, 1.0)
    grads, expected = torch_trajectory(
        lambda ps: torch.optim.Adam(ps, lr=lr, betas=betas, weight_decay=weight_decay),
        p0,
        gradient,
    )
    check_trajectory(
        kata.Adam(lr=lr, betas=betas, weight_decay=weight_decay),
        p0,
        grads,
        expected,
        what="Adam",
        where=describe(seed, param=p0, lr=lr, betas=betas, weight_decay=weight_decay),
        mistakes={
            MISTAKES["no-bias-correction"]: adam_rule(
                lr, betas, 1e-8, l2=weight_decay, bias_correction=False
            ),
            MISTAKES["adam-decoupled-decay"]: (adam_rule(lr, betas, 1e-8, decoupled=weight_decay)),
            MISTAKES["weight-decay-ignored"]: (adam_rule(lr, betas, 1e-8)),
        },
    )


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "seed, shape, lr, betas, weight_decay",
    [(81, (5,), 0.01, (0.9, 0.999), 0.01), (82, (2, 5), 0.05, (0.9, 0.99), 0.5)],
)
def test_adamw_matches_torch(kata, seed, shape, lr, betas, weight_decay):
    p0, gradient = gradient_source(seed, shape, 1.0)
    grads, expected = torch_trajectory(
        lambda ps: torch.optim.AdamW(ps, lr=lr, betas=betas, weight_decay=weight_decay),
        p0,
        gradient,
    )
    check_trajectory(
        kata.AdamW(lr=lr, betas=betas, weight_decay=weight_decay),
        p0,
        grads,
        expected,
        what="AdamW",
        where=describe(seed, param=p0, lr=lr, betas=betas, weight_decay=weight_decay),
        mistakes={
            MISTAKES["adamw-decay-through-gradient"]: adam_rule(lr, betas, 1e-8, l2=weight_decay),
            MISTAKES["adamw-decay-after-step"]: (
                adam_rule(lr, betas, 1e-8, decoupled=weight_decay, decay_after=True)
            ),
            MISTAKES["adamw-decay-without-lr"]: adam_rule(
                lr, betas, 1e-8, decoupled=weight_decay / lr
            ),
            MISTAKES["no-bias-correction"]: adam_rule(
                lr, betas, 1e-8, decoupled=weight_decay, bias_correction=False
            ),
        },
    )


def learner_trajectory(optimizer, p0, grads):
    """The parameters after each step of the learner's optimiser, fed the recorded gradients."""
    p, out = p0.copy(), []
    for g in grads:
        p = as_array(optimizer.step(p.copy(), g.copy()), "step")
        out.append(p)
    return out


@pytest.mark.points(1)
def test_adamw_default_weight_decay_is_one_hundredth(kata):
    # The learner's own AdamW with weight_decay=0.01 written out is the oracle: this test checks
    # the default alone, whatever the update rule (test_adamw_matches_torch judges that).
    seed, shape = 83, (4,)
    p0, gradient = gradient_source(seed, shape, 1.0)
    grads, _ = torch_trajectory(lambda ps: torch.optim.AdamW(ps, lr=0.01), p0, gradient, 10)
    default = learner_trajectory(kata.AdamW(lr=0.01), p0, grads)
    explicit = learner_trajectory(kata.AdamW(lr=0.01, weight_decay=0.01), p0, grads)
    without = learner_trajectory(kata.AdamW(lr=0.01, weight_decay=0.0), p0, grads)
    for k, (got, expected) in enumerate(zip(default, explicit, strict=True)):
        assert_close(
            got,
            expected,
            what=f"AdamW(lr=0.01) after step {k + 1}",
            where=describe(seed, param=p0)
            + "; expected the same parameters as your AdamW(lr=0.01, weight_decay=0.01)",
            rtol=1e-12,
            atol=1e-15,
            misconceptions={MISTAKES["adamw-default-decay-zero"]: without[k]},
        )


# -- state and inputs ------------------------------------------------------------------------------


@pytest.mark.points(1)
def test_each_instance_keeps_its_own_state(kata):
    # Two optimisers of one class, stepped alternately, must walk the same paths as two fresh
    # instances stepped one after the other: state shared between instances (a class attribute,
    # a module-level dict) mixes their moments. The learner's own solo runs are the oracle, so
    # only the separation of state is judged here, not the Adam update itself.
    seed, steps = 91, 10
    runs = []
    for offset in (0, 1):
        p0, gradient = gradient_source(seed + offset, (4,), 1.0)
        grads, _ = torch_trajectory(lambda ps: torch.optim.Adam(ps, lr=0.05), p0, gradient, steps)
        runs.append((p0, grads, learner_trajectory(kata.Adam(lr=0.05), p0, grads)))
    optimizers = [kata.Adam(lr=0.05), kata.Adam(lr=0.05)]
    params = [p0.copy() for p0, _, _ in runs]
    for k in range(steps):
        for i, (_, grads, alone) in enumerate(runs):
            result = optimizers[i].step(params[i].copy(), grads[k].copy())
            assert_close(
                result,
                alone[k],
                what=f"Adam instance {i + 1} of 2, stepped alternately, after step {k + 1}",
                where=describe(seed + i)
                + "; expected what a fresh Adam(lr=0.05) gave when stepped alone: each instance "
                "must keep its own m, v and t",
                atol=1e-15,
                rtol=1e-12,
            )
            params[i] = as_array(result, "Adam.step")


@pytest.mark.points(1)
def test_step_leaves_param_and_grad_unchanged(kata):
    gen = rng(101)
    settings = {
        "SGD": {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.1},
        "EMAMomentum": {"lr": 0.1, "weight_decay": 0.1},
        "AdaGrad": {"weight_decay": 0.1},
        "RMSProp": {"weight_decay": 0.1},
        "Adam": {"weight_decay": 0.1},
        "AdamW": {"weight_decay": 0.1},
    }
    for name, kwargs in settings.items():
        optimizer = getattr(kata, name)(**kwargs)
        for k in range(3):
            param, grad = gen.normal(size=(3, 2)), gen.normal(size=(3, 2))
            before = snapshot(param=param, grad=grad)
            result = optimizer.step(param, grad)
            try:
                assert_unchanged(before, param=param, grad=grad)
            except AssertionError as exc:
                fail(f"{name}.step, step {k + 1}: {exc}")
            if result is param or result is grad:
                fail(f"{name}.step returned one of its inputs at step {k + 1}; return a new array")
