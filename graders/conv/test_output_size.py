"""Hidden grader for conv/output_size; the oracle is the shape torch itself produces.

Every property test runs torch's own layer (conv2d, max_pool2d, conv_transpose2d) on a small
tensor of zeros and reads the output length, over random configurations that include dilation > 1,
strides that do not divide the size and padding: the cases where the classic wrong formulas stop
agreeing with torch. The receptive field is read off autograd through a stack of convolutions."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from katakit import misconceptions
from katakit.checks import assert_equal, assert_python_ints, fail

MISTAKES = misconceptions.of(__file__)

SETTINGS = dict(
    derandomize=True,
    database=None,
    deadline=None,
    # one falsifying example per failing test, with its message (never "found 2 distinct failures")
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture(autouse=True)
def one_thread():
    """torch's tiny oracle calls run single-threaded: on a busy machine, waking a thread pool for
    each of hundreds of microsecond-sized calls costs a hundred times the work itself."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# -- oracles: torch's layers on tensors of zeros --------------------------------------------------
# Each configuration is one axis, (W, K, S, P, D): the layer runs on a 1-row image of width W with
# a 1 x K kernel, so torch applies that configuration along the width. (Height and width follow
# the same rule independently, and a thin strip keeps torch's dilated CPU kernels fast.)
def strip(W):
    return torch.zeros(1, 1, 1, W)


def torch_conv_len(cfg):
    W, K, S, P, D = cfg
    out = F.conv2d(
        strip(W), torch.zeros(1, 1, 1, K), stride=(1, S), padding=(0, P), dilation=(1, D)
    )
    return out.shape[-1]


def torch_pool_len(cfg, ceil_mode):
    W, K, S, P, D = cfg
    out = F.max_pool2d(
        strip(W), (1, K), stride=(1, S), padding=(0, P), dilation=(1, D), ceil_mode=ceil_mode
    )
    return out.shape[-1]


def torch_transpose_len(cfg):
    W, K, S, P, D, output_padding = cfg
    out = F.conv_transpose2d(
        strip(W),
        torch.zeros(1, 1, 1, K),
        stride=(1, S),
        padding=(0, P),
        output_padding=(0, output_padding),
        dilation=(1, D),
    )
    return out.shape[-1]


def torch_refuses(run, *args):
    """True when torch will not build this layer (the configuration is impossible)."""
    try:
        run(*args)
    except (RuntimeError, ValueError):
        return True
    return False


def torch_receptive_field(layers):
    """Width of the input region that output position 0 depends on, read off autograd.

    A chain of 1-D convolutions with all-ones weights and no padding: the gradient of the first
    output with respect to the input is positive exactly on the receptive field (with holes where
    dilation skips positions), so its first-to-last span is the receptive field.
    """
    # Twice the textbook receptive field: enough room for any answer (the span is measured,
    # and a span that reached the end of the input would be reported as an error below).
    length = 8 + 2 * sum(
        d * (k - 1) * math.prod(s for _, s, _ in layers[:i]) for i, (k, _, d) in enumerate(layers)
    )
    x = torch.zeros(1, 1, length, dtype=torch.float64, requires_grad=True)
    y = x
    for k, s, d in layers:
        y = F.conv1d(y, torch.ones(1, 1, k, dtype=torch.float64), stride=s, dilation=d)
    y[0, 0, 0].backward()
    touched = torch.nonzero(x.grad[0, 0]).flatten()
    assert int(touched.max()) < length - 1, "grader error: the probe input is too short"
    return int(touched.max() - touched.min() + 1)


# -- the classic wrong formulas, to name them in messages ----------------------------------------
def conv_mistakes(W, K, S, P, D):
    span = D * (K - 1) + 1
    mistakes = {
        MISTAKES["no-floor-fraction"]: ((W + 2 * P - span) / S + 1),
        MISTAKES["dilated-span-k-times-d"]: (W + 2 * P - K * D) // S + 1,
        MISTAKES["dilation-ignored-span"]: ((W + 2 * P - K) // S + 1),
    }
    # Wherever rounding to the nearest integer gives a wrong length it rounds up, so the two
    # mistakes are told apart only where rounding up and to the nearest differ.
    up, nearest = -(-(W + 2 * P - span) // S) + 1, round((W + 2 * P - span) / S) + 1
    if up == nearest:
        mistakes[MISTAKES["rounded-up-or-to-nearest"]] = up
    else:
        mistakes[MISTAKES["conv-rounds-up"]] = up
    return mistakes


def call(function, *args):
    """The learner's answer, with any exception turned into a verdict."""
    __tracebackhide__ = True
    try:
        return function(*args)
    except ValueError as exc:
        fail(f"{function.__name__}{args} raised ValueError ({exc}) but torch accepts it")


def expect_value_error(function, args, reason):
    __tracebackhide__ = True
    try:
        result = function(*args)
    except ValueError:
        return
    except Exception as exc:  # any other exception is the wrong kind of refusal
        fail(
            f"{function.__name__}{args}: expected ValueError ({reason}), got "
            f"{type(exc).__name__}: {exc}"
        )
    fail(f"{function.__name__}{args}: expected ValueError ({reason}), but it returned {result!r}")


def a_wrong_length_fits(cfg, *, transposed=False, pool=False):
    """True for a layer torch refuses only because its output would be empty, where one of the
    classic wrong length formulas (K * D or K for the span, rounding up, (W - 1) * S read as
    W * S) still gives a length of 1 or more. A learner with that mistake computes a length and
    does not raise; the mistake is the length's, charged by the value tests, so the raise tests
    leave such layers out and check the refusals on which every formula agrees."""
    W, K, S, P, D, *rest = cfg
    op = rest[0] if rest else 0
    if min(W, K, S, D) < 1 or min(P, op) < 0 or (pool and P > K // 2):
        return False  # refused for its parameters, whatever the length
    if transposed:
        if op >= max(S, D):
            return False
        length = (W - 1) * S - 2 * P + D * (K - 1) + 1 + op
        return max(length + D - 1, length + S, (W - 1) * S - 2 * P + K + op) >= 1
    # the shortest span any of them uses is K (dilation ignored); rounding up gains up to S - 1
    return W + 2 * P - K > -S


# -- strategies ----------------------------------------------------------------------------------
@st.composite
def conv_axis(draw, *, easy=False, pool=False):
    """(W, K, S, P, D) that torch accepts. ``easy``: no dilation, strides that divide."""
    K = draw(st.integers(1, 7))
    D = 1 if easy else draw(st.integers(1, 4))
    P = draw(st.integers(0, K // 2 if pool else 4))
    span = D * (K - 1) + 1
    low = max(1, span - 2 * P)
    if easy:
        S = draw(st.integers(1, 3))
        # W + 2P - span a multiple of S: every window fits exactly
        W = low + S * draw(st.integers(0, 8))
        W += (-(W + 2 * P - span)) % S
        return W, K, S, P, D
    S = draw(st.integers(1, 5))
    W = draw(st.integers(low, low + 30))
    return W, K, S, P, D


@st.composite
def transpose_axis(draw):
    """(W, K, S, P, D, output_padding) that torch accepts."""
    W, K, S, D = (
        draw(st.integers(1, 12)),
        draw(st.integers(1, 6)),
        draw(st.integers(1, 4)),
        draw(st.integers(1, 3)),
    )
    output_padding = draw(st.integers(0, max(S, D) - 1))
    longest = (W - 1) * S + D * (K - 1) + output_padding  # output length before padding
    P = draw(st.integers(0, min(5, longest // 2)))
    return W, K, S, P, D, output_padding


any_axis = st.tuples(
    st.integers(-1, 12),  # W
    st.integers(0, 6),  # K
    st.integers(0, 4),  # S
    st.integers(-1, 4),  # P
    st.integers(0, 3),  # D
)

layer = st.tuples(st.integers(1, 5), st.integers(1, 3), st.integers(1, 3))


# -- conv ----------------------------------------------------------------------------------------
def check_conv(kata, cfg):
    __tracebackhide__ = True
    assert_equal(
        call(kata.conv_output_size, *cfg),
        torch_conv_len(cfg),
        what=f"conv_output_size{cfg}",
        where="torch conv2d's output length for (W, K, S, P, D) = " + str(cfg),
        misconceptions=conv_mistakes(*cfg),
    )


@pytest.mark.points(1)
@settings(**SETTINGS, max_examples=40)
@given(cfg=conv_axis(easy=True))
def test_conv_output_size_matches_torch_when_the_stride_divides(kata, cfg):
    check_conv(kata, cfg)


@pytest.mark.points(3)
@settings(**SETTINGS, max_examples=250)
@given(cfg=conv_axis())
# (W + 2P - span) / S = 4/3, where rounding up and to the nearest differ, then 2/3, where they agree
@example(cfg=(5, 1, 3, 0, 1))
@example(cfg=(3, 1, 3, 0, 1))
@example(cfg=(9, 3, 2, 1, 2))  # dilation 2: span 5, not K * D = 6 nor K = 3
def test_conv_output_size_matches_torch_with_dilation_stride_and_padding(kata, cfg):
    check_conv(kata, cfg)


@pytest.mark.points(1)
@settings(**SETTINGS, max_examples=150)
@given(cfg=any_axis)
def test_conv_output_size_raises_value_error_where_torch_refuses(kata, cfg):
    # Only the refused layers: a wrong length that falls below 1 on a layer torch accepts is a
    # mistake in the length, which the value tests charge (their call() fails on a ValueError).
    if torch_refuses(torch_conv_len, cfg) and not a_wrong_length_fits(cfg):
        expect_value_error(kata.conv_output_size, cfg, "torch's conv2d refuses this layer")


# -- pooling -------------------------------------------------------------------------------------
@pytest.mark.points(1)
@pytest.mark.parametrize("ceil_mode", [False, True])
@settings(**SETTINGS, max_examples=150)
@given(cfg=conv_axis(pool=True), default_stride=st.booleans())
def test_pool_output_size_matches_torch_max_pool(kata, ceil_mode, cfg, default_stride):
    W, K, S, P, D = cfg
    if default_stride:  # S=None means S=K, as in torch
        S = K
    args = (W, K, None if default_stride else S, P, D, ceil_mode)
    span = D * (K - 1) + 1
    floor, ceil = (W + 2 * P - span) // S + 1, -(-(W + 2 * P - span) // S) + 1
    if ceil_mode:
        misconceptions = {
            MISTAKES["ceil-mode-window-in-right-padding"]: ceil,
            MISTAKES["ceil-mode-ignored"]: floor,
        }
    else:
        misconceptions = {MISTAKES["rounds-up-without-ceil-mode"]: ceil}
    assert_equal(
        call(kata.pool_output_size, *args),
        torch_pool_len((W, K, S, P, D), ceil_mode),
        what=f"pool_output_size{args}",
        where="torch max_pool2d's output length",
        misconceptions=misconceptions,
    )


@pytest.mark.points(1)
@settings(**SETTINGS, max_examples=150)
@given(cfg=any_axis, ceil_mode=st.booleans())
def test_pool_output_size_raises_value_error_where_torch_refuses(kata, cfg, ceil_mode):
    if torch_refuses(torch_pool_len, cfg, ceil_mode) and not a_wrong_length_fits(cfg, pool=True):
        expect_value_error(
            kata.pool_output_size,
            (*cfg, ceil_mode),
            "torch's max_pool2d refuses this layer (padding above K // 2 included)",
        )


# -- transposed conv -----------------------------------------------------------------------------
@pytest.mark.points(2)
@settings(**SETTINGS, max_examples=200)
@given(cfg=transpose_axis())
@example(cfg=(3, 3, 2, 1, 1, 1))  # output_padding 1, no dilation
@example(cfg=(3, 3, 2, 1, 2, 1))  # and with dilation 2
def test_conv_transpose_output_size_matches_torch(kata, cfg):
    W, K, S, P, D, op = cfg
    misconceptions = {
        MISTAKES["output-padding-left-out"]: ((W - 1) * S - 2 * P + D * (K - 1) + 1),
        MISTAKES["dilated-span-k-times-d"]: ((W - 1) * S - 2 * P + K * D + op),
        MISTAKES["dilation-ignored-span"]: ((W - 1) * S - 2 * P + K + op),
        MISTAKES["transpose-w-times-s"]: W * S - 2 * P + D * (K - 1) + 1 + op,
    }
    assert_equal(
        call(kata.conv_transpose_output_size, *cfg),
        torch_transpose_len(cfg),
        what=f"conv_transpose_output_size{cfg}",
        where="torch conv_transpose2d's output length for (W, K, S, P, D, output_padding)",
        misconceptions=misconceptions,
    )


@pytest.mark.points(1)
@settings(**SETTINGS, max_examples=150)
@given(cfg=any_axis, output_padding=st.integers(-1, 3))
def test_conv_transpose_output_size_raises_value_error_where_torch_refuses(
    kata, cfg, output_padding
):
    cfg = (*cfg, output_padding)
    if torch_refuses(torch_transpose_len, cfg) and not a_wrong_length_fits(cfg, transposed=True):
        expect_value_error(
            kata.conv_transpose_output_size,
            cfg,
            "torch's conv_transpose2d refuses this layer (output_padding must be below max(S, D))",
        )


# -- receptive field -----------------------------------------------------------------------------
@pytest.mark.points(2)
@settings(**SETTINGS, max_examples=60)
@given(
    layers=st.lists(layer, min_size=1, max_size=5),
    short_form=st.lists(st.booleans(), min_size=5, max_size=5),
)
def test_receptive_field_matches_the_gradient_support(kata, layers, short_form):
    # Layers without dilation are passed as (K, S) some of the time.
    given_layers = [
        (k, s) if d == 1 and short else (k, s, d)
        for (k, s, d), short in zip(layers, short_form, strict=False)
    ]
    # the mistake of applying each layer's stride to its own taps (jump updated too early)
    too_early, jump = 1, 1
    for k, s, d in layers:
        jump *= s
        too_early += d * (k - 1) * jump
    no_dilation = 1 + sum(
        (k - 1) * math.prod(s for _, s, _ in layers[:i]) for i, (k, _, _) in enumerate(layers)
    )
    assert_equal(
        call(kata.receptive_field, given_layers),
        torch_receptive_field(layers),
        what=f"receptive_field({given_layers})",
        where="the span of input positions that output 0 of this stack depends on (autograd)",
        misconceptions={
            MISTAKES["receptive-field-stride-too-early"]: too_early,
            MISTAKES["dilation-ignored-span"]: no_dilation,
        },
    )


@pytest.mark.points(1)
def test_receptive_field_of_an_empty_stack_is_one_position(kata):
    assert_equal(call(kata.receptive_field, []), 1, what="receptive_field([])")


@pytest.mark.points(1)
def test_receptive_field_raises_value_error_for_an_impossible_layer(kata):
    # K = 1 contributes nothing, so an unchecked K = 0 (or S = 0, D = 0) silently gives a number
    for layers in ([(3, 1), (0, 1)], [(3, 0), (3, 1)], [(3, 1, 0)], [(2, 2), (3, -1, 2)]):
        expect_value_error(kata.receptive_field, (layers,), "a layer with K, S or D below 1")


@pytest.mark.points(1)
def test_every_function_returns_a_python_int(kata):
    # An np.floor / np.ceil or a true division along the way returns a float or a NumPy scalar
    # even where the value is right; shapes are built from Python ints.
    calls = [
        ("conv_output_size", (7, 3, 2, 1)),
        ("conv_output_size", (10, 3, 3, 2, 2)),
        ("pool_output_size", (9, 3)),
        ("pool_output_size", (5, 2, 2, 0, 1, True)),
        ("conv_transpose_output_size", (4, 3, 2, 1, 1, 1)),
        ("receptive_field", ([(3, 1), (3, 2, 2)],)),
    ]
    for name, args in calls:
        assert_python_ints(
            call(getattr(kata, name), *args),
            f"{name}{args}",
            hint="use integer arithmetic, // for the floor, or int(...) around a NumPy result",
        )
