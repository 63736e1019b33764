"""Hidden grader for cnn/densenet.

Probes build the learner's blocks in the learner's process, run them (and backward where the
gradients are the point) and hand back outputs, gradients, the weights as plain tensors and the
number of tensors autograd saved (counted by saved_tensors_hooks over there). The oracle is a
dense block rebuilt here with torch.nn.functional from those weights, differentiated by torch
autograd here; channel counts are checked against that rebuilt block's shapes.
"""

from __future__ import annotations

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
    naming,
    rng,
)
from katakit.sandbox import probe

MISTAKES = misconceptions.of(__file__)


@probe
def run_block(cls, args, seed, x, upstream=None, memory_efficient=False):
    """On the learner side: build a block (BN affine randomised), run it, maybe backward."""
    import torch

    torch.manual_seed(seed)
    block = cls(*args, memory_efficient=memory_efficient)
    with torch.no_grad():
        for module in block.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.5, 0.5)
    state = {k: v.detach().clone() for k, v in block.state_dict().items()}
    x = x.clone().requires_grad_(upstream is not None)
    out = block(x)
    result = {"out": out.detach().clone(), "state": state, "wired": None}
    try:  # the statement's wiring around the learner's own layers (training-mode BN: the
        # batch statistics, so running it again changes nothing that matters)
        with torch.no_grad():
            features = [x.detach()]
            for layer in block.layers:
                features.append(layer(torch.cat(features, 1)))
            result["wired"] = torch.cat(features, 1).clone()
    except Exception:
        pass
    if upstream is not None:
        # the upstream gradient is drawn here in the shape of the output the block gives (a
        # seed, not a tensor), so a wrong shape is the shape checks' concern, not a crash
        upstream = torch.randn(out.shape, generator=torch.Generator().manual_seed(upstream))
        result["upstream"] = upstream.clone()
        (out * upstream).sum().backward()
        result["grad_x"] = None if x.grad is None else x.grad.clone()
        result["grads"] = {
            name: None if p.grad is None else p.grad.clone() for name, p in block.named_parameters()
        }
    return result


@probe
def saved_counts(cls, args, seed, x):
    """On the learner side: tensors saved for backward by the plain and the efficient forward."""
    import torch

    counts = {}
    for efficient in (False, True):
        torch.manual_seed(seed)
        block = cls(*args, memory_efficient=efficient)
        inp = x.clone().requires_grad_(True)
        n = [0]

        def pack(t, n=n):
            n[0] += 1
            return t

        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            out = block(inp)
        out.sum().backward()  # the efficient graph must still be differentiable
        counts[efficient] = n[0]
    return counts


@probe
def run_layer(cls, args, seed, x):
    import torch

    torch.manual_seed(seed)
    layer = cls(*args)
    with torch.no_grad():
        layer.norm.weight.uniform_(0.5, 1.5)
        layer.norm.bias.uniform_(-0.5, 0.5)
    state = {k: v.detach().clone() for k, v in layer.state_dict().items()}
    return {"out": layer(x).detach().clone(), "state": state}


def named(mistake):
    return naming(MISTAKES[mistake])


def layer_oracle(x, s, prefix="", conv_bias=True):
    """conv(relu(norm(x))) with the learner's weights; a conv bias the learner added (which
    the layer test charges) is used here with conv_bias, so the block tests do not charge it
    again."""
    w, b = s[f"{prefix}norm.weight"], s[f"{prefix}norm.bias"]
    return F.conv2d(
        F.relu(F.batch_norm(x, None, None, w, b, training=True)),
        s[f"{prefix}conv.weight"],
        s.get(f"{prefix}conv.bias") if conv_bias else None,
        padding=1,
    )


def block_oracle(x, s, num_layers):
    features = [x]
    for i in range(num_layers):
        features.append(layer_oracle(torch.cat(features, 1), s, f"layers.{i}."))
    return torch.cat(features, 1)


def draw(seed, shape):
    return torch.from_numpy(rng(seed).normal(0, 1, shape)).float()


def check_layer_shapes(state, c0, num_layers, growth, where):
    for i in range(num_layers):
        name = f"layers.{i}.conv.weight"
        if name not in state or f"layers.{i}.norm.weight" not in state:
            fail(
                f"expected self.layers[{i}] with submodules norm and conv [{where}] "
                f"(found: {', '.join(sorted(state))})"
            )
        expected = (growth, c0 + i * growth, 3, 3)
        got = tuple(state[name].shape)
        if got != expected:
            message = f"{name} has shape {got}, expected {expected} [{where}]"
            if got == (growth, c0, 3, 3) and growth == c0:
                message += named("densenet-adds-instead-of-concat")
            fail(message)
        norm = tuple(state[f"layers.{i}.norm.weight"].shape)
        if norm != (c0 + i * growth,):
            message = f"layers.{i}.norm.weight has shape {norm}, expected {(c0 + i * growth,)}"
            if norm == (growth,):
                message += named("densenet-conv-bn-relu-order")
            fail(message + f" [{where}]")


@pytest.mark.points(1)
@pytest.mark.parametrize("c0, num_layers, growth", [(16, 4, 12), (3, 1, 5), (7, 6, 2), (5, 0, 4)])
def test_dense_channels_formula(kata, c0, num_layers, growth):
    assert_equal(
        as_number(kata.dense_channels(c0, num_layers, growth), "dense_channels"),
        c0 + num_layers * growth,
        what="dense_channels",
        where=f"dense_channels({c0}, {num_layers}, {growth})",
        misconceptions={MISTAKES["densenet-channels-forget-input"]: num_layers * growth},
    )


@pytest.mark.points(1)
def test_dense_channels_is_a_python_int(kata):
    assert_python_ints(kata.dense_channels(16, 4, 12), "dense_channels(16, 4, 12)")


@pytest.mark.points(2)
@pytest.mark.parametrize("seed, c_in, growth", [(1, 5, 3), (2, 8, 8)])
def test_dense_layer_is_bn_relu_conv(kata, seed, c_in, growth):
    x = draw(seed, (2, c_in, 5, 6))
    got = run_layer(kata.DenseLayer, (c_in, growth), seed, x)
    where = describe(seed, x=x) + f", DenseLayer({c_in}, {growth})"
    s = got["state"]
    if tuple(s.get("norm.weight", torch.zeros(0)).shape) != (c_in,) or "conv.weight" not in s:
        fail(
            f"expected norm = BatchNorm2d({c_in}) and conv = Conv2d({c_in}, {growth}, 3) "
            f"[{where}] (found: {', '.join(f'{k} {tuple(v.shape)}' for k, v in s.items())})"
        )
    w, b = s["norm.weight"], s["norm.bias"]
    assert_close(
        got["out"],
        layer_oracle(x, s, conv_bias=False),
        what="DenseLayer output",
        where=where,
        rtol=1e-4,
        atol=1e-4,
        misconceptions={
            MISTAKES["densenet-conv-bias"]: layer_oracle(x, s),
            MISTAKES["densenet-conv-bn-relu-order"]: F.conv2d(
                F.batch_norm(F.relu(x), None, None, w, b, training=True),
                s["conv.weight"],
                padding=1,
            ),
        },
    )


BLOCKS = [(11, 4, 3, 5), (12, 6, 1, 6), (13, 3, 4, 3)]  # seed, c0, layers, growth


@pytest.mark.points(3)
@pytest.mark.parametrize("seed, c0, num_layers, growth", BLOCKS)
def test_dense_block_concatenates_every_layer(kata, seed, c0, num_layers, growth):
    x = draw(seed, (2, c0, 5, 4))
    got = run_block(kata.DenseBlock, (c0, num_layers, growth), seed, x)
    where = describe(seed, x=x) + f", DenseBlock({c0}, {num_layers}, {growth})"
    out = got["out"]
    channels = c0 + num_layers * growth
    if tuple(out.shape) != (2, channels, 5, 4):
        message = f"output shape {tuple(out.shape)}, expected {(2, channels, 5, 4)} [{where}]"
        if out.ndim == 4 and out.shape[1] == c0:
            message += named("densenet-adds-instead-of-concat")
        fail(message)
    wired = got["wired"]
    if (
        wired is not None
        and tuple(wired.shape) == tuple(out.shape)
        and torch.allclose(out, wired, rtol=1e-4, atol=1e-4)
        and torch.equal(out[:, :c0], x)
    ):
        return  # the concatenations are right; the layers' own values are the layer test's
    check_layer_shapes(got["state"], c0, num_layers, growth, where)
    assert_close(
        out[:, :c0],
        x,
        what="the first in_channels output channels (the input itself)",
        where=where,
        rtol=0,
        atol=0,
    )
    assert_close(
        out,
        block_oracle(x, got["state"], num_layers),
        what="DenseBlock output",
        where=where,
        rtol=1e-4,
        atol=1e-4,
    )


def oracle_gradients(x, state, num_layers, upstream):
    leaves = {
        k: v.clone().requires_grad_(True)
        for k, v in state.items()
        if k.endswith(("weight", "bias"))
    }
    s = {**state, **leaves}
    x = x.clone().requires_grad_(True)
    (block_oracle(x, s, num_layers) * upstream).sum().backward()
    return x.grad, {k: v.grad for k, v in leaves.items()}


def same_run(got, plain):
    """Whether two runs agree on the output and every gradient (rtol 1e-4, atol 1e-4)."""

    def close(a, b):
        return (
            a is not None
            and b is not None
            and tuple(a.shape) == tuple(b.shape)
            and bool(torch.allclose(a, b, rtol=1e-4, atol=1e-4))
        )

    grads, expected = got.get("grads") or {}, plain.get("grads") or {}
    return (
        close(got["out"], plain["out"])
        and close(got.get("grad_x"), plain.get("grad_x"))
        and sorted(grads) == sorted(expected)
        and all(close(grads[name], expected[name]) for name in expected)
    )


@pytest.mark.points(2)
# growth equal to in_channels: a block that adds instead of concatenating still runs, and its
# memory-efficient path is judged against its plain one (the concatenation is the tests' above)
@pytest.mark.parametrize("seed, c0, num_layers, growth", [(12, 6, 1, 6), (14, 5, 3, 5)])
def test_memory_efficient_block_gives_identical_outputs_and_gradients(
    kata, seed, c0, num_layers, growth
):
    x = draw(seed, (2, c0, 5, 4))
    upstream = seed + 100  # the seed of sum(out * upstream)'s upstream, drawn in the probe
    args = (c0, num_layers, growth)
    got = run_block(kata.DenseBlock, args, seed, x, upstream, memory_efficient=True)
    where = (
        describe(seed, x=x) + f", DenseBlock({c0}, {num_layers}, {growth}, "
        "memory_efficient=True), loss = sum(out * upstream)"
    )
    # the promise is "the very same function as the plain block": the learner's own plain
    # block, built alike, is the reference too (its values are the other block tests')
    try:
        plain = run_block(kata.DenseBlock, args, seed, x, upstream)
    except Exception:
        plain = None
    if plain is not None and same_run(got, plain):
        return
    shape = (2, c0 + num_layers * growth, 5, 4)
    if tuple(got["out"].shape) != shape:
        fail(f"output shape {tuple(got['out'].shape)}, expected {shape} [{where}]")
    check_layer_shapes(got["state"], c0, num_layers, growth, where)
    assert_close(
        got["out"],
        block_oracle(x, got["state"], num_layers),
        what="memory-efficient output",
        where=where,
        rtol=1e-4,
        atol=1e-4,
    )
    grad_x, grads = oracle_gradients(x, got["state"], num_layers, got["upstream"])
    if got["grad_x"] is None:
        fail(f"no gradient reached the input x [{where}]")
    assert_close(
        got["grad_x"], grad_x, what="gradient of the input", where=where, rtol=1e-4, atol=1e-4
    )
    for name, expected in grads.items():
        actual = got["grads"].get(name)
        if actual is None:
            fail(f"{name}.grad is None after backward [{where}]")
        assert_close(
            actual, expected, what=f"gradient of {name}", where=where, rtol=1e-4, atol=1e-4
        )


@pytest.mark.points(2)
def test_memory_efficient_block_saves_at_most_half_the_tensors(kata):
    # growth equal to in_channels: a block that adds instead of concatenating still runs, so
    # only the saving is judged here
    seed, args = 31, (4, 4, 4)
    x = draw(seed, (2, 4, 5, 5))
    counts = saved_counts(kata.DenseBlock, args, seed, x)
    plain, efficient = counts[False], counts[True]
    where = describe(seed, x=x) + f", DenseBlock{args}, training mode, x.requires_grad"
    if plain == 0:
        fail(f"the plain forward saved no tensor for backward: is it differentiable? [{where}]")
    if 2 * efficient > plain:
        message = (
            f"tensors saved for backward: plain forward {plain}, memory-efficient forward "
            f"{efficient}; expected at most {plain // 2} [{where}]"
        )
        if efficient == plain:
            message += named("densenet-nothing-recomputed")
        fail(message)
