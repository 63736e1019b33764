"""Hidden grader for bn/batchnorm_forward; the oracle is torch.nn.functional.batch_norm."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from katakit import misconceptions
from katakit.checks import assert_close, assert_unchanged, describe, fail, rng, snapshot

MISTAKES = misconceptions.of(__file__)


def torch_batchnorm(x, gamma, beta, running_mean, running_var, training, momentum, eps):
    """Oracle: what torch returns, and the running buffers it leaves behind."""
    mean_t, var_t = torch.tensor(running_mean), torch.tensor(running_var)
    out = F.batch_norm(
        torch.tensor(x),
        mean_t,
        var_t,
        torch.tensor(gamma),
        torch.tensor(beta),
        training=training,
        momentum=momentum,
        eps=eps,
    )
    return out.numpy(), mean_t.numpy(), var_t.numpy()


def draw(seed, shape, dtype=np.float64):
    """A batch whose channels have different means and scales, plus affine parameters."""
    gen = rng(seed)
    channels = shape[1]
    per_channel = (1, channels) + (1,) * (len(shape) - 2)
    x = gen.normal(gen.normal(0, 3, channels).reshape(per_channel), 1, shape)
    x = x * gen.uniform(0.5, 2.0, channels).reshape(per_channel)
    gamma, beta = gen.uniform(0.5, 1.5, channels), gen.normal(0, 1, channels)
    running_mean, running_var = gen.normal(0, 1, channels), gen.uniform(0.5, 2, channels)
    return [a.astype(dtype) for a in (x, gamma, beta, running_mean, running_var)]


def channel_shape(x):
    """The shape a (C,) vector takes to broadcast against ``x``: (1, C) or (1, C, 1, 1)."""
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def wrong_outputs(x, gamma, beta, eps):
    """What the classic mistakes produce for this batch, to name them in the message."""
    axes = (0, *range(2, x.ndim))
    per_channel = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    g, b = gamma.reshape(per_channel), beta.reshape(per_channel)
    mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    unbiased = x.var(axis=axes, keepdims=True, ddof=1)
    return {
        MISTAKES["x-plus-mean"]: g * (x + mean) / np.sqrt(var + eps) + b,
        MISTAKES["eps-outside-sqrt"]: g * (x - mean) / (np.sqrt(var) + eps) + b,
        MISTAKES["unbiased-normalisation"]: g * (x - mean) / np.sqrt(unbiased + eps) + b,
        MISTAKES["batch-axis-only"]: g * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps) + b,
        MISTAKES["eps-missing"]: g * (x - mean) / np.sqrt(var) + b,
        MISTAKES["affine-not-applied"]: (x - mean) / np.sqrt(var + eps),
    }


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, shape", [(11, (8, 5)), (12, (3, 7))])
def test_training_output_matches_torch_for_n_c_input(kata, seed, shape):
    x, gamma, beta, rm, rv = draw(seed, shape)
    before = snapshot(x=x, gamma=gamma, beta=beta, running_mean=rm, running_var=rv)
    out, _, _ = kata.batchnorm_forward(x.copy(), gamma, beta, rm, rv, training=True)
    expected, _, _ = torch_batchnorm(x, gamma, beta, rm, rv, True, 0.1, 1e-5)
    # 1e-4: where and whether eps enters (a 1e-5 effect here) is graded by the low-variance
    # test alone.
    assert_close(
        out,
        expected,
        what="training output",
        where=describe(seed, x=x),
        rtol=1e-4,
        atol=1e-4,
        misconceptions=wrong_outputs(x, gamma, beta, 1e-5),
    )
    assert_unchanged(before, x=x, gamma=gamma, beta=beta, running_mean=rm, running_var=rv)


@pytest.mark.points(2)
def test_training_output_uses_n_h_w_statistics_for_images(kata):
    seed = 21
    x, gamma, beta, rm, rv = draw(seed, (4, 3, 5, 6))
    out, _, _ = kata.batchnorm_forward(x.copy(), gamma, beta, rm, rv, training=True)
    expected, _, _ = torch_batchnorm(x, gamma, beta, rm, rv, True, 0.1, 1e-5)
    # 1e-4: where and whether eps enters (a 1e-5 effect here) is graded by the low-variance
    # test alone.
    assert_close(
        out,
        expected,
        what="training output",
        where=describe(seed, x=x),
        rtol=1e-4,
        atol=1e-4,
        misconceptions=wrong_outputs(x, gamma, beta, 1e-5),
    )


@pytest.mark.points(1)
def test_eps_added_inside_sqrt_for_a_low_variance_channel(kata):
    # Only when a channel's variance is near eps does the placement of eps show.
    seed, eps = 31, 1e-3
    x, gamma, beta, rm, rv = draw(seed, (16, 3))
    x[:, 1] = 2.0 + 1e-2 * x[:, 1] / x[:, 1].std()
    out, _, _ = kata.batchnorm_forward(x.copy(), gamma, beta, rm, rv, training=True, eps=eps)
    expected, _, _ = torch_batchnorm(x, gamma, beta, rm, rv, True, 0.1, eps)
    assert_close(
        out,
        expected,
        what="training output",
        where=describe(seed, x=x, eps=eps),
        misconceptions=wrong_outputs(x, gamma, beta, eps),
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("momentum", [0.1, 0.3])
def test_running_stats_follow_torch_over_several_steps(kata, momentum):
    # eps = 1e-12: the running statistics do not depend on eps, and a running_var that tracks
    # var + eps is charged once, by test_running_var_stores_the_variance_without_eps.
    seed, eps = 41, 1e-12
    _, gamma, beta, rm, rv = draw(seed, (6, 4, 3, 3))
    expected_mean, expected_var = rm.copy(), rv.copy()
    for step in range(4):
        x, *_ = draw(seed + step + 1, (6, 4, 3, 3))
        _, rm, rv = kata.batchnorm_forward(
            x, gamma, beta, rm, rv, training=True, momentum=momentum, eps=eps
        )
        biased_var = (1 - momentum) * expected_var + momentum * x.var(axis=(0, 2, 3))
        reversed_mean = momentum * expected_mean + (1 - momentum) * x.mean(axis=(0, 2, 3))
        previous_mean, previous_var = expected_mean, expected_var
        _, expected_mean, expected_var = torch_batchnorm(
            x, gamma, beta, expected_mean, expected_var, True, momentum, eps
        )
        where = describe(seed + step + 1, x=x, momentum=momentum) + f", after step {step + 1}"
        assert_close(
            rm,
            expected_mean,
            what="running_mean",
            where=where,
            misconceptions={
                MISTAKES["momentum-reversed"]: reversed_mean,
                MISTAKES["running-stats-not-updated"]: previous_mean,
            },
        )
        assert_close(
            rv,
            expected_var,
            what="running_var",
            where=where,
            misconceptions={
                MISTAKES["biased-running-var"]: biased_var,
                MISTAKES["running-stats-not-updated"]: previous_var,
            },
        )


@pytest.mark.points(1)
@pytest.mark.parametrize("shape", [(5, 3), (1, 4, 2, 2)])
def test_evaluation_uses_running_statistics(kata, shape):
    seed = 51
    x, gamma, beta, rm, rv = draw(seed, shape)
    out, _, _ = kata.batchnorm_forward(x.copy(), gamma, beta, rm, rv, training=False)
    expected, _, _ = torch_batchnorm(x, gamma, beta, rm, rv, False, 0.1, 1e-5)
    shape = channel_shape(x)
    batch_stats = torch_batchnorm(x, gamma, beta, rm, rv, True, 0.1, 1e-5)[0]
    wrong = {
        MISTAKES["eval-without-affine"]: (x - rm.reshape(shape))
        / np.sqrt(rv.reshape(shape) + 1e-5),
        MISTAKES["eval-uses-batch-stats"]: batch_stats,
    }
    # 1e-4: eps (its 1e-5 effect here) is graded by the low-variance test alone.
    assert_close(
        out,
        expected,
        what="evaluation output",
        where=describe(seed, x=x),
        rtol=1e-4,
        atol=1e-4,
        misconceptions=wrong,
    )


@pytest.mark.points(1)
def test_evaluation_returns_the_running_statistics_unchanged(kata):
    seed = 53
    for shape in [(5, 3), (2, 4, 2, 3)]:
        x, gamma, beta, rm, rv = draw(seed, shape)
        before = snapshot(running_mean=rm, running_var=rv)
        _, new_mean, new_var = kata.batchnorm_forward(x.copy(), gamma, beta, rm, rv, training=False)
        where = describe(seed, x=x) + "; evaluation must leave the running statistics unchanged"
        axes = (0, *range(2, x.ndim))
        m = x.size // x.shape[1]
        updated_mean = 0.9 * rm + 0.1 * x.mean(axis=axes)
        updated_var = 0.9 * rv + 0.1 * x.var(axis=axes) * m / (m - 1)
        updated = MISTAKES["eval-updates-running-stats"]
        assert_close(
            new_mean,
            rm,
            what="running_mean after evaluation",
            where=where,
            misconceptions={updated: updated_mean},
        )
        assert_close(
            new_var,
            rv,
            what="running_var after evaluation",
            where=where,
            misconceptions={updated: updated_var},
        )
        assert_unchanged(before, running_mean=rm, running_var=rv)


@pytest.mark.points(1)
def test_float32_input_gives_float32_output(kata):
    seed = 61
    x, gamma, beta, rm, rv = draw(seed, (8, 3, 2, 2), dtype=np.float32)
    out, _, _ = kata.batchnorm_forward(x.copy(), gamma, beta, rm, rv, training=True)
    dtype = getattr(out, "dtype", type(out))
    if str(dtype).replace("torch.", "") != "float32":
        fail(
            f"output dtype: expected float32 for a float32 input, got {dtype} "
            f"[{describe(seed, x=x)}]; compute in any precision, then cast the output back to "
            "x.dtype"
        )


@pytest.mark.points(1)
def test_running_var_stores_the_variance_without_eps(kata):
    # A large eps and a channel whose variance is far below it: var + eps is then a different
    # number altogether, while the normalisation itself is graded elsewhere.
    seed, eps, momentum = 45, 1e-2, 0.5
    x, gamma, beta, rm, rv = draw(seed, (10, 3))
    x[:, 2] = 1.0 + 1e-2 * (x[:, 2] - x[:, 2].mean()) / x[:, 2].std()
    _, _, new_var = kata.batchnorm_forward(
        x, gamma, beta, rm, rv, training=True, momentum=momentum, eps=eps
    )
    _, _, expected_var = torch_batchnorm(x, gamma, beta, rm, rv, True, momentum, eps)
    m = x.shape[0]
    plus_eps = (1 - momentum) * rv + momentum * (x.var(axis=0) + eps) * m / (m - 1)
    assert_close(
        new_var,
        expected_var,
        what="running_var",
        where=describe(seed, x=x, eps=eps, momentum=momentum) + ", channel 2 has variance 1e-4",
        misconceptions={
            MISTAKES["running-var-plus-eps"]: plus_eps,
            MISTAKES["running-stats-not-updated"]: rv,
        },
    )


@pytest.mark.points(1)
def test_float32_variance_is_accurate_for_a_large_mean_and_a_small_spread(kata):
    # Mean 100, spreads 0.05 to 0.2: E[x^2] is about 1e4, where float32 resolves steps of 1e-3,
    # so E[x^2] - E[x]^2 loses the variance (1e-2 and below). Averaging squared deviations in
    # float32 stays within 3e-4 of the exact output here; we accept 2e-3.
    seed, eps = 81, 1e-8  # an eps too small to matter: its placement is graded elsewhere
    gen = rng(seed)
    x = (100.0 + gen.normal(0, 1, (64, 3)) * np.array([0.1, 0.05, 0.2])).astype(np.float32)
    gamma, beta = np.ones(3, np.float32), np.zeros(3, np.float32)
    rm, rv = np.zeros(3, np.float32), np.ones(3, np.float32)
    out, _, _ = kata.batchnorm_forward(x, gamma, beta, rm, rv, training=True, eps=eps)
    x64 = x.astype(np.float64)
    expected = (x64 - x64.mean(axis=0)) / np.sqrt(x64.var(axis=0) + eps)
    mean32 = x.mean(axis=0)
    with np.errstate(invalid="ignore"):
        one_pass = (x - mean32) / np.sqrt((x * x).mean(axis=0) - mean32**2 + np.float32(eps))
    assert_close(
        out,
        expected,
        what="float32 training output",
        where=describe(seed, x=x) + ", channel means 100, standard deviations 0.1, 0.05, 0.2",
        rtol=0,
        atol=2e-3,
        misconceptions={MISTAKES["one-pass-variance"]: one_pass},
    )


@pytest.mark.points(1)
def test_one_value_per_channel_is_refused_in_training_only(kata):
    # The rule for m == 1, both ways; the values are graded by the other tests.
    seed = 71
    for shape in [(1, 3), (1, 2, 1, 1)]:
        x, gamma, beta, rm, rv = draw(seed, shape)
        where = describe(seed, x=x)
        try:
            result = kata.batchnorm_forward(x, gamma, beta, rm, rv, training=True)
        except ValueError:
            pass
        except Exception as exc:  # the wrong kind of refusal
            fail(
                f"training with one value per channel: expected a ValueError, got "
                f"{type(exc).__name__}: {exc} [{where}]"
            )
        else:
            fail(
                f"training with one value per channel (m = 1): expected a ValueError, but it "
                f"returned {type(result).__name__}; the batch variance is 0 and the unbiased "
                f"running estimate would divide by m - 1 = 0, so torch refuses such a batch "
                f"[{where}]"
            )
        # Evaluation normalises with the running statistics: one value per channel is legal.
        try:
            kata.batchnorm_forward(x, gamma, beta, rm, rv, training=False)
        except ValueError as exc:
            fail(
                f"evaluation with one value per channel raised ValueError ({exc}); only "
                f"training needs batch statistics, evaluation uses running_mean and running_var "
                f"[{where}]"
            )
    # One sample is fine when it has several values per channel: m counts N * H * W.
    x, gamma, beta, rm, rv = draw(seed, (1, 2, 1, 3))
    where = describe(seed, x=x) + "; m = N * H * W = 3"
    try:
        kata.batchnorm_forward(x, gamma, beta, rm, rv, training=True)
    except ValueError as exc:
        fail(
            f"a single sample with 3 values per channel was refused ({exc}); only m = N * H * W "
            f"== 1 must raise [{where}]"
        )
