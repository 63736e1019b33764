"""Hidden grader for bn/fold_into_conv; the oracle is conv -> BN run by torch in eval mode."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from katakit import misconceptions
from katakit.checks import assert_close, describe, fail, rng
from katakit.sandbox import kind_of, probe

MISTAKES = misconceptions.of(__file__)
# Outputs are of order 1 to 10, and bn.eps = 1e-5 moves them by about 1e-5 at most: outside the
# eps test (compared at 1e-9), compare at 1e-4, so that where eps goes is charged by that test
# alone. Every folding mistake moves outputs by far more.
LOOSE = dict(rtol=1e-4, atol=1e-4)

DTYPES = {"float64": torch.float64, "float32": torch.float32}
GEOMETRY = (
    "in_channels",
    "out_channels",
    "kernel_size",
    "stride",
    "padding",
    "dilation",
    "groups",
    "padding_mode",
)


def spec(module):
    """``module`` as plain data (type, constructor arguments, state, mode, dtype), from which
    :func:`build_there` makes the same module on the learner's side."""
    if isinstance(module, nn.Sequential):
        args = [spec(child) for child in module]
    elif isinstance(module, nn.Conv2d):
        args = {name: getattr(module, name) for name in GEOMETRY}
        args["bias"] = module.bias is not None
    elif isinstance(module, nn.BatchNorm2d):
        names = ("num_features", "eps", "momentum", "affine", "track_running_stats")
        args = {name: getattr(module, name) for name in names}
    elif isinstance(module, nn.MaxPool2d):
        names = ("kernel_size", "stride", "padding", "dilation", "ceil_mode")
        args = {name: getattr(module, name) for name in names}
    else:
        args = {}
    own = {**module._parameters, **module._buffers}
    state = {name: value.detach().clone() for name, value in own.items() if value is not None}
    floats = [value.dtype for value in state.values() if value.is_floating_point()]
    return type(module).__name__, args, state, module.training, floats[0] if floats else None


@probe
def build_there(spec):
    """On the learner side: the module ``spec`` describes, with the same state and mode (the
    learner's functions read attributes of what they are given, so it must live there)."""

    def build(spec):
        kind, args, state, training, dtype = spec
        if kind == "Sequential":
            module = torch.nn.Sequential(*(build(child) for child in args))
        else:
            module = getattr(torch.nn, kind)(**args)
            if dtype is not None:
                module.to(dtype)
            module.load_state_dict(state)
        module.training = training  # this module only, as spec recorded it
        return module

    return build(spec)


@probe
def facts_of(module, geometry):
    """On the learner side: what a learner's function returned, as plain data."""
    nn = torch.nn
    facts = {
        "kind": type(module).__name__,
        "text": str(module),
        "is_sequential": isinstance(module, nn.Sequential),
        "is_conv": isinstance(module, nn.Conv2d),
    }
    if isinstance(module, nn.Sequential):
        facts["children"] = [type(child).__name__ for child in module]
        facts["batch_norms"] = [
            type(m).__name__
            for m in module.modules()
            if isinstance(m, nn.modules.batchnorm._BatchNorm)
        ]
    if isinstance(module, nn.Conv2d):
        for name in geometry:
            facts[name] = getattr(module, name)
        facts["weight"] = module.weight.detach().clone()
        facts["bias"] = None if module.bias is None else module.bias.detach().clone()
    if isinstance(module, nn.BatchNorm2d):
        facts["num_features"] = module.num_features
    return facts


def inspect_there(module):
    """What the learner side knows of ``module`` (see facts_of)."""
    return facts_of(module, GEOMETRY)


@probe
def same_conv(folded, conv):
    """On the learner side: is ``folded`` the given conv, or does it share its weight?"""
    return folded is conv or getattr(folded, "weight", None) is conv.weight


@probe
def state_and_modes(module):
    """On the learner side: the module's state_dict and the training flag of each submodule."""
    state = {key: value.detach().clone() for key, value in module.state_dict().items()}
    return state, [m.training for m in module.modules()]


@probe
def forward(module, x):
    """On the learner side: module(x) without autograd."""
    with torch.no_grad():
        return module(x)


def type_name(value):
    return kind_of(value).rsplit(".", 1)[-1]


def tensor(gen, *shape, loc=0.0, scale=1.0, dtype=torch.float64):
    return torch.from_numpy(gen.normal(loc, scale, shape)).to(dtype)


def calibrated_pair(
    seed,
    in_ch,
    out_ch,
    kernel,
    *,
    stride=1,
    padding=0,
    dilation=1,
    groups=1,
    bias=True,
    affine=True,
    padding_mode="zeros",
    dtype=torch.float64,
):
    """A conv and the BN after it, with random affine parameters and non-trivial running stats.

    The running statistics come from a few training batches whose inputs are off-centre, so
    running_mean is far from 0 and running_var far from 1; then both modules go to eval mode.
    """
    gen = rng(seed)
    torch.manual_seed(seed)
    conv = nn.Conv2d(
        in_ch,
        out_ch,
        kernel,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        bias=bias,
        padding_mode=padding_mode,
    ).to(dtype)
    bn = nn.BatchNorm2d(out_ch, affine=affine, momentum=None).to(dtype)
    with torch.no_grad():
        if bias:
            conv.bias.copy_(tensor(gen, out_ch, scale=2.0, dtype=dtype))
        if affine:
            signs = torch.from_numpy(gen.choice([-1.0, 1.0], out_ch)).to(dtype)
            bn.weight.copy_(signs * torch.from_numpy(gen.uniform(0.5, 2.0, out_ch)).to(dtype))
            bn.bias.copy_(tensor(gen, out_ch, dtype=dtype))
        for _ in range(3):
            bn(conv(tensor(gen, 4, in_ch, 9, 8, loc=1.5, scale=2.0, dtype=dtype)))
    return conv.eval(), bn.eval()


def per_channel(y):
    """(N, C, H, W) -> (C, N*H*W): one row per output channel, so messages stay readable."""
    return y.detach().transpose(0, 1).reshape(y.shape[1], -1)


def wrong_outputs(conv, bn, x):
    """What the classic folding mistakes compute for ``x`` (per channel), to name them."""
    with torch.no_grad():
        y0 = conv._conv_forward(x, conv.weight, None)  # honours padding_mode, unlike F.conv2d
        b = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
        gamma = bn.weight if bn.weight is not None else torch.ones_like(bn.running_mean)
        beta = bn.bias if bn.bias is not None else torch.zeros_like(bn.running_mean)
        mean, var, eps = bn.running_mean, bn.running_var, bn.eps

        def ch(v):
            return v.reshape(1, -1, 1, 1)

        scale = gamma / torch.sqrt(var + eps)
        wrong = {
            MISTAKES["fold-drops-conv-bias"]: ch(scale) * (y0 - ch(mean)) + ch(beta),
            MISTAKES["eps-outside-sqrt"]: (
                ch(gamma / (torch.sqrt(var) + eps)) * (y0 + ch(b) - ch(mean)) + ch(beta)
            ),
            MISTAKES["fold-bias-scaled-by-gamma-only"]: (
                ch(scale) * y0 + ch(gamma * (b - mean) + beta)
            ),
            MISTAKES["fold-bias-without-mean"]: ch(scale) * (y0 + ch(b)) + ch(beta),
            MISTAKES["fold-conv-bias-not-scaled"]: ch(scale) * (y0 - ch(mean)) + ch(b) + ch(beta),
            MISTAKES["eps-missing"]: (
                ch(gamma / torch.sqrt(var)) * (y0 + ch(b) - ch(mean)) + ch(beta)
            ),
            MISTAKES["fold-divides-by-var"]: (
                ch(gamma / (var + eps)) * (y0 + ch(b) - ch(mean)) + ch(beta)
            ),
        }
        return {name: per_channel(value) for name, value in wrong.items()}


def check_folded(kata, conv, bn, x, where, *, rtol=1e-4, atol=1e-4, linear_only=False):
    """Fold, then compare the folded bias and the folded output with torch's unfolded pair in
    eval mode (whatever mode the given pair is in). With ``linear_only``, compare only the part
    of the output that is not the bias, output - bias per channel, and not the bias itself."""
    zeros = torch.zeros(1, conv.in_channels, 8, 8, dtype=x.dtype)
    reference_conv, reference_bn = copy.deepcopy(conv).eval(), copy.deepcopy(bn).eval()
    with torch.no_grad():
        expected = reference_bn(reference_conv(x))
        # An all-zero input makes the conv output its bias everywhere (zero padding), so
        # bn(conv(0)) at any position is exactly the bias the folded conv must have.
        expected_bias = reference_bn(reference_conv(zeros))[0, :, 0, 0]
    folded = kata.fold_bn_into_conv(build_there(spec(conv)), build_there(spec(bn)))
    facts = inspect_there(folded)
    if not facts["is_conv"]:
        fail(f"fold_bn_into_conv must return an nn.Conv2d, got {facts['kind']} [{where}]")
    if facts["weight"].dtype != conv.weight.dtype:
        fail(
            f"folded weight dtype: expected {conv.weight.dtype} like the conv, got "
            f"{facts['weight'].dtype} [{where}]"
        )
    changed = [
        f"{k} {getattr(conv, k)} -> {facts[k]}" for k in GEOMETRY if facts[k] != getattr(conv, k)
    ]
    if changed:
        fail(
            f"the folded conv must keep the conv's geometry; changed: {', '.join(changed)} "
            f"[{where}]"
        )
    wrong_at_zero = wrong_outputs(reference_conv, reference_bn, zeros)
    wrong = wrong_outputs(reference_conv, reference_bn, x)
    got = per_channel(forward(folded, x))
    if linear_only:
        bias = facts["bias"] if facts["bias"] is not None else torch.zeros_like(expected_bias)
        assert_close(
            got - bias.reshape(-1, 1),
            per_channel(expected) - expected_bias.reshape(-1, 1),
            what="folded conv output minus its bias vs bn(conv(x)) - bn(conv(0)) in eval mode, "
            "one row per output channel",
            where=where + "; the bias is graded by the other tests",
            rtol=rtol,
            atol=atol,
            misconceptions={
                name: value - wrong_at_zero[name][:, :1] for name, value in wrong.items()
            },
        )
        return
    if facts["bias"] is None:
        fail(
            f"the folded conv has no bias; BN's shift (beta - scale * running_mean) must go "
            f"into a bias even when the conv had none [{where}]"
        )
    assert_close(
        facts["bias"],
        expected_bias,
        what="folded bias (= bn(conv(0)) per channel)",
        where=where,
        rtol=rtol,
        atol=atol,
        misconceptions={name: value[:, 0] for name, value in wrong_at_zero.items()},
    )
    assert_close(
        got,
        per_channel(expected),
        what="folded conv output vs bn(conv(x)) in eval mode, one row per output channel",
        where=where,
        rtol=rtol,
        atol=atol,
        misconceptions=wrong,
    )


def structure(block, expected_types, what):
    facts = inspect_there(block)
    if not facts["is_sequential"]:
        fail(f"{what} must return an nn.Sequential, got {facts['kind']}")
    got = facts["children"]
    want = [t.__name__ for t in expected_types]
    if got != want:
        fail(f"{what}: expected the modules {want} in this order, got {got}")


def same_as_reference_conv(conv, facts, in_ch, out_ch, k, *, bias, what):
    """The learner's conv must compute what Conv2d(in_ch, out_ch, k, padding=k // 2) computes.

    Checked by behaviour, not by attributes, so padding="same" (equal to k // 2 for odd k) is as
    good as padding=k // 2: the learner's weights are copied into a reference conv and both run
    on the same input.
    """
    shape = (out_ch, in_ch, k, k)
    if tuple(facts["weight"].shape) != shape:
        fail(
            f"{what}: expected Conv2d({in_ch}, {out_ch}, kernel_size={k}) with a weight of shape "
            f"{shape}, got {facts['text']} with weight {tuple(facts['weight'].shape)}"
        )
    reference = nn.Conv2d(in_ch, out_ch, k, padding=k // 2, bias=bias)
    x = torch.from_numpy(rng(k).normal(size=(2, in_ch, 7, 6))).float()
    with torch.no_grad():
        reference.weight.copy_(facts["weight"].float())
        if bias:
            reference.bias.copy_(facts["bias"].float())
        expected = reference(x)
    got = forward(conv.float(), x)
    wanted = f"Conv2d({in_ch}, {out_ch}, kernel_size={k}, padding={k // 2})"
    if tuple(got.shape) != tuple(expected.shape):
        fail(
            f"{what}: the conv must keep the spatial size like {wanted}; for an input "
            f"(2, {in_ch}, 7, 6) it gave {tuple(got.shape)}, expected {tuple(expected.shape)} "
            f"({facts['text']})"
        )
    if not torch.allclose(got, expected, atol=1e-5):
        fail(
            f"{what}: with the same weights, the conv computes something other than {wanted} "
            f"(stride 1, dilation 1, zero padding): {facts['text']}"
        )


@pytest.mark.points(1)
def test_conv_bn_relu_block_is_conv_then_bn_then_relu_without_conv_bias(kata):
    for in_ch, out_ch, k in [(3, 8, 3), (5, 2, 5)]:
        what = f"conv_bn_relu({in_ch}, {out_ch}, {k})"
        block = kata.conv_bn_relu(in_ch, out_ch, k)
        structure(block, [nn.Conv2d, nn.BatchNorm2d, nn.ReLU], what)
        conv, bn = inspect_there(block[0]), inspect_there(block[1])
        if conv["bias"] is not None:
            fail(
                f"{what}: the conv has a bias; the BN right after it subtracts the channel mean "
                "and cancels it, so build the conv with bias=False"
            )
        same_as_reference_conv(block[0], conv, in_ch, out_ch, k, bias=False, what=what)
        if bn["num_features"] != out_ch:
            fail(
                f"{what}: the BN must normalise the conv's {out_ch} output channels, got "
                f"{bn['text']}"
            )
        out = forward(block, torch.randn(2, in_ch, 7, 6))
        if tuple(out.shape) != (2, out_ch, 7, 6) or bool((out < 0).any()):
            fail(
                f"{what}: expected a non-negative output of shape (2, {out_ch}, 7, 6) for an "
                f"input (2, {in_ch}, 7, 6), got shape {tuple(out.shape)}"
            )


@pytest.mark.points(1)
def test_bn_relu_conv_block_is_the_pre_activation_order(kata):
    for in_ch, out_ch, k in [(4, 6, 3), (2, 3, 1)]:
        what = f"bn_relu_conv({in_ch}, {out_ch}, {k})"
        block = kata.bn_relu_conv(in_ch, out_ch, k)
        structure(block, [nn.BatchNorm2d, nn.ReLU, nn.Conv2d], what)
        bn, conv = inspect_there(block[0]), inspect_there(block[2])
        if bn["num_features"] != in_ch:
            fail(
                f"{what}: the BN comes first, so it normalises the {in_ch} input channels; got "
                f"{bn['text']}"
            )
        if conv["bias"] is None:
            fail(f"{what}: the conv must keep its bias here (bias=True), got {conv['text']}")
        same_as_reference_conv(block[2], conv, in_ch, out_ch, k, bias=True, what=what)


FOLD_CASES = {
    "3x3 conv with bias": dict(seed=11, in_ch=3, out_ch=4, kernel=3, padding=1),
    "non-square kernel, stride (2, 1), no conv bias": dict(
        seed=12, in_ch=4, out_ch=6, kernel=(3, 2), stride=(2, 1), padding=(1, 0), bias=False
    ),
    "groups 2, dilation 2, padding (2, 1), with bias": dict(
        seed=13, in_ch=4, out_ch=6, kernel=3, groups=2, dilation=2, padding=(2, 1)
    ),
    "padding_mode reflect, padding 1, with bias": dict(
        seed=15, in_ch=3, out_ch=5, kernel=3, padding=1, padding_mode="reflect"
    ),
    "depthwise conv, BN without affine parameters, float32": dict(
        seed=14,
        in_ch=5,
        out_ch=5,
        kernel=3,
        groups=5,
        padding=1,
        affine=False,
        dtype="float32",
    ),
    # the fold reads the running statistics whatever mode bn is in
    "conv and BN in training mode, stride 2, with bias": dict(
        seed=16, in_ch=3, out_ch=5, kernel=3, stride=2, padding=1, train=True
    ),
}


@pytest.mark.points(1)
@pytest.mark.parametrize("case", list(FOLD_CASES))
def test_folded_conv_equals_conv_then_bn_in_eval_mode(kata, case):
    params = dict(FOLD_CASES[case])
    seed, dtype = params.pop("seed"), DTYPES[params.pop("dtype", "float64")]
    train = params.pop("train", False)
    conv, bn = calibrated_pair(seed, dtype=dtype, **params)
    conv.train(train)
    bn.train(train)
    x = tensor(rng(seed + 100), 3, params["in_ch"], 11, 10, loc=1.0, scale=2.0, dtype=dtype)
    check_folded(kata, conv, bn, x, f"{case}; " + describe(seed, x=x), **LOOSE)


@pytest.mark.points(1)
def test_fold_puts_eps_inside_the_square_root_for_a_low_variance_channel(kata):
    # eps only shows when a channel's running variance is near it.
    seed = 21
    conv, bn = calibrated_pair(seed, 3, 4, 3, padding=1)
    bn.eps = 1e-3
    with torch.no_grad():
        bn.running_var[0] = 1e-4
    x = tensor(rng(seed + 100), 2, 3, 6, 7, dtype=torch.float64)
    where = describe(seed, x=x, eps=bn.eps) + ", running_var[0] = 1e-4"
    # eps enters the scale of each filter: only the output's linear part is graded here.
    check_folded(kata, conv, bn, x, where, rtol=1e-9, atol=1e-10, linear_only=True)


@pytest.mark.points(1)
def test_folding_leaves_its_inputs_unchanged(kata):
    # Only the inputs: what the fold computes is graded by the tests of its output.
    seed = 31
    conv, bn = calibrated_pair(seed, 3, 5, 3, stride=2, padding=1)
    conv.train()
    bn.train()  # the fold must read the running statistics without touching bn's mode
    before = copy.deepcopy((conv.state_dict(), bn.state_dict()))
    given_conv, given_bn = build_there(spec(conv)), build_there(spec(bn))
    folded = kata.fold_bn_into_conv(given_conv, given_bn)
    modes = []
    for name, module, original in [("conv", given_conv, before[0]), ("bn", given_bn, before[1])]:
        state, training = state_and_modes(module)
        modes += training
        for key, value in state.items():
            if not torch.equal(value, original[key]):
                fail(
                    f"fold_bn_into_conv modified the input {name}: its {key} changed; build a "
                    "new conv instead of writing into the given modules"
                )
    if not all(modes):
        fail(
            "fold_bn_into_conv changed the training mode of its inputs; leave them as they "
            "are and read bn.running_mean / bn.running_var directly"
        )
    if same_conv(folded, given_conv):
        fail("fold_bn_into_conv must return a new conv, not the given one or its weight")
    block = calibrated_block(41)
    before = copy.deepcopy(block.state_dict())
    given = build_there(spec(block))
    kata.fold_sequential(given)
    state, training = state_and_modes(given)
    for key, value in state.items():
        if not torch.equal(value, before[key]):
            fail(f"fold_sequential modified the given block: {key} changed")
    if any(training):
        fail("fold_sequential changed the training mode of the given block's modules")


def calibrated_block(seed):
    """Conv-BN-ReLU, a pool, a nested Conv-BN-ReLU block, and a final Conv-BN pair."""
    gen = rng(seed)
    torch.manual_seed(seed)
    block = nn.Sequential(
        nn.Conv2d(3, 6, 3, padding=1, bias=False),
        nn.BatchNorm2d(6),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Sequential(nn.Conv2d(6, 8, 3, stride=2, padding=1), nn.BatchNorm2d(8), nn.ReLU()),
        nn.Conv2d(8, 4, 1),
        nn.BatchNorm2d(4),
    ).double()
    with torch.no_grad():
        for module in block.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.momentum = None
                module.weight.copy_(torch.from_numpy(gen.uniform(0.5, 2.0, module.num_features)))
                module.bias.copy_(tensor(gen, module.num_features))
        for _ in range(3):
            block(tensor(gen, 4, 3, 12, 10, loc=1.0, scale=2.0))
    return block.eval()


def folded_by_your_fold(kata, block):
    """``block`` with each Conv2d -> BatchNorm2d pair replaced by a conv holding what the
    learner's own fold_bn_into_conv gives for that pair (None when it gives no usable conv)."""
    children, result = list(block), []
    index = 0
    while index < len(children):
        child = children[index]
        following = children[index + 1] if index + 1 < len(children) else None
        if isinstance(child, nn.Sequential):
            inner = folded_by_your_fold(kata, child)
            if inner is None:
                return None
            result.append(inner)
        elif isinstance(child, nn.Conv2d) and isinstance(following, nn.BatchNorm2d):
            facts = inspect_there(
                kata.fold_bn_into_conv(build_there(spec(child)), build_there(spec(following)))
            )
            if not facts["is_conv"] or facts["bias"] is None:
                return None
            conv = copy.deepcopy(child)
            if facts["weight"].shape != conv.weight.shape:
                return None
            conv.weight = nn.Parameter(facts["weight"].to(conv.weight.dtype))
            conv.bias = nn.Parameter(facts["bias"].to(conv.weight.dtype))
            result.append(conv)
            index += 1
        else:
            result.append(copy.deepcopy(child))
        index += 1
    return nn.Sequential(*result)


@pytest.mark.points(1)
def test_fold_sequential_folds_every_conv_bn_pair_including_nested_blocks(kata):
    # The folded block must compute the block in eval mode, or, should your fold_bn_into_conv
    # be wrong (graded by its own tests), what the block gives with each pair replaced by what
    # your fold_bn_into_conv returns for it: only the folding of the block is graded here.
    seed = 41
    block = calibrated_block(seed)
    x = tensor(rng(seed + 100), 2, 3, 12, 10, loc=1.0, scale=2.0)
    with torch.no_grad():
        expected = block(x)
    folded = kata.fold_sequential(build_there(spec(block)))
    facts = inspect_there(folded)
    if not facts["is_sequential"]:
        fail(f"fold_sequential must return an nn.Sequential, got {facts['kind']}")
    left = facts["batch_norms"]
    if left:
        fail(
            f"after folding, {len(left)} BatchNorm2d layer(s) are still in the block; every "
            "one of them directly follows a Conv2d (one inside a nested Sequential, one last)"
        )
    got = forward(folded, x)
    if torch.allclose(got, expected, **LOOSE):
        return
    yours = folded_by_your_fold(kata, block)
    if yours is not None:
        with torch.no_grad():
            if torch.allclose(got, yours.eval()(x), **LOOSE):
                return
    assert_close(
        got,
        expected,
        what="folded block output vs the block in eval mode",
        where=describe(seed, x=x)
        + "; nor does it match the block with each pair replaced by your fold_bn_into_conv's conv",
        **LOOSE,
    )


@pytest.mark.points(1)
def test_fold_refuses_a_bn_that_does_not_directly_follow_a_conv(kata):
    # the modules are built on the learner's side, where its functions read them
    def there(module):
        return build_there(spec(module))

    cases = {
        "BN -> ReLU -> Conv (the pre-activation order: nothing before the BN)": lambda: (
            kata.fold_sequential(
                there(nn.Sequential(nn.BatchNorm2d(3), nn.ReLU(), nn.Conv2d(3, 4, 3)))
            )
        ),
        "Conv -> ReLU -> BN (a nonlinearity between them)": lambda: kata.fold_sequential(
            there(nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.BatchNorm2d(4)))
        ),
        "Conv -> BN inside a nested block, then a second BN": lambda: kata.fold_sequential(
            there(
                nn.Sequential(
                    nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.BatchNorm2d(4))
                )
            )
        ),
        "fold_bn_into_conv(Conv2d(3, 4), BatchNorm2d(5)): channel counts differ": lambda: (
            kata.fold_bn_into_conv(there(nn.Conv2d(3, 4, 3)), there(nn.BatchNorm2d(5).eval()))
        ),
    }
    for name, call in cases.items():
        try:
            result = call()
        except ValueError:
            continue
        except Exception as exc:  # the wrong kind of refusal
            fail(f"{name}: expected a ValueError, got {type(exc).__name__}: {exc}")
        fail(
            f"{name}: expected a ValueError, but it returned {type_name(result)}; a BN "
            "can only be folded into a conv whose output it directly normalises"
        )
