"""Hidden grader for bn/transfer_stats; the oracle is torch.mean/var of the concatenated inputs."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch import nn

from katakit import misconceptions
from katakit.checks import assert_close, assert_unchanged, describe, fail, rng, snapshot
from katakit.sandbox import probe

MISTAKES = misconceptions.of(__file__)

BN = nn.modules.batchnorm._BatchNorm
TIGHT = dict(rtol=1e-9, atol=1e-12)


@probe
def make_model(architecture, state=None, flags=None, dtype="float64"):
    """A fresh model of the named architecture; with ``state`` and ``flags`` (each module's
    training flag), a copy of a grader's model in ``dtype``. The grader builds its own models with
    ``make_model.function``; called as a probe it builds the learner's copy on the learner's
    side, where recompute_bn_stats reads and changes it."""
    nn = torch.nn

    class RegisteredBackwards(nn.Module):
        """Two BN layers registered head first, although forward calls the stem's BN first."""

        def __init__(self) -> None:
            super().__init__()
            self.head_bn = nn.BatchNorm2d(5)
            self.head_conv = nn.Conv2d(4, 5, 3, stride=2, padding=1, bias=False)
            self.stem_bn = nn.BatchNorm2d(4)
            self.stem_conv = nn.Conv2d(3, 4, 3, padding=1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = torch.relu(self.stem_bn(self.stem_conv(x)))
            return self.head_bn(self.head_conv(x))

    if architecture == "two BN":
        model = nn.Sequential(
            nn.Conv2d(3, 4, 3, padding=1),
            nn.BatchNorm2d(4),
            nn.ReLU(),
            nn.Conv2d(4, 5, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(5),
            nn.ReLU(),
        )
    elif architecture == "BatchNorm1d head":
        model = nn.Sequential(
            nn.Conv2d(2, 3, 3),
            nn.BatchNorm2d(3),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(3, 4),
            nn.BatchNorm1d(4),
        )
    elif architecture == "registered backwards":
        model = RegisteredBackwards()
    else:
        raise ValueError(f"unknown architecture {architecture!r}")
    if state is not None:
        model.to(getattr(torch, dtype)).load_state_dict(state)
        for name, module in model.named_modules():
            module.training = flags[name]
    return model


def learner_copy(model, architecture, dtype="float64"):
    """The learner's own copy of the grader's ``model``: same state, same training flags."""
    state = {key: value.detach().clone() for key, value in model.state_dict().items()}
    flags = {name: module.training for name, module in model.named_modules()}
    return make_model(architecture, state, flags, dtype)


@probe
def layer_stats(model, name):
    """On the learner side: the type name and the running statistics of BN layer ``name``."""
    layer = model.get_submodule(name)
    return type(layer).__name__, layer.running_mean, layer.running_var  # sent as copies


@probe
def parameters_of(model):
    return {name: p.detach().clone() for name, p in model.named_parameters()}


@probe
def flags_of(model):
    return {name: m.training for name, m in model.named_modules()}


@probe
def eval_outputs(model, xs):
    """On the learner side: the model in eval mode, run on each of ``xs`` without autograd."""
    model.eval()
    with torch.no_grad():
        return [model(x) for x in xs]


def data(gen, sizes, shape, shift):
    """Batches of unequal size, each with its own offset and scale, so batch means differ."""
    return [
        torch.from_numpy(gen.normal(gen.normal(shift, 2.0), gen.uniform(0.5, 3.0), (n, *shape)))
        for n in sizes
    ]


def source_trained(seed, architecture, in_shape):
    """A float64 model whose BN layers hold source-domain statistics and random affine params."""
    gen = rng(seed)
    torch.manual_seed(seed)
    model = make_model.function(architecture).double()
    with torch.no_grad():
        for layer in model.modules():
            if isinstance(layer, BN):
                layer.momentum = None  # cumulative average over the source batches
                layer.weight.copy_(torch.from_numpy(gen.uniform(0.5, 2.0, layer.num_features)))
                layer.bias.copy_(torch.from_numpy(gen.normal(0.0, 1.0, layer.num_features)))
        model.train()
        for batch in data(gen, [8, 8, 8], in_shape, shift=0.0):
            model(batch)
        for layer in model.modules():
            if isinstance(layer, BN):
                layer.momentum = 0.1
    return model


def capture(model, layer_name, batches, *, train=False):
    """The inputs the named BN layer receives, batch by batch, from a copy of ``model``."""
    model = copy.deepcopy(model).train(train)
    captured = []
    handle = model.get_submodule(layer_name).register_forward_pre_hook(
        lambda module, inputs: captured.append(inputs[0].detach().clone())
    )
    with torch.no_grad():
        for batch in batches:
            model(batch)
    handle.remove()
    return captured


def exact(xs):
    """Per-channel mean and unbiased variance of the concatenated inputs, by torch."""
    x = torch.cat(xs)
    dims = [0, *range(2, x.ndim)]
    return x.mean(dim=dims), x.var(dim=dims, correction=1)


def oracle(model, batches, call_order):
    """A copy of ``model`` whose BN layers, in call order, get the exact statistics."""
    model = copy.deepcopy(model)
    inputs = {}
    for name in call_order:
        inputs[name] = capture(model, name, batches)
        mean, var = exact(inputs[name])
        layer = model.get_submodule(name)
        layer.running_mean.copy_(mean)
        layer.running_var.copy_(var)
    return model, inputs


def mistakes(xs):
    """What the classic merging mistakes store for the per-batch inputs ``xs``: (means, vars)."""
    per_batch = []
    for x in xs:
        values = x.transpose(0, 1).reshape(x.shape[1], -1)
        per_batch.append((values.shape[1], values.mean(dim=1), values.var(dim=1, correction=0)))
    counts = torch.tensor([float(n) for n, _, _ in per_batch])
    means = torch.stack([m for _, m, _ in per_batch])
    biased = torch.stack([v for _, _, v in per_batch])
    total = counts.sum()
    # sample variances of single-value batches are 0/0, as torch.var says
    unbiased = biased * (counts / (counts - 1))[:, None]
    momentum_mean, momentum_var = torch.zeros_like(means[0]), torch.ones_like(means[0])
    for mean, var in zip(means, unbiased, strict=True):
        momentum_mean = 0.9 * momentum_mean + 0.1 * mean
        momentum_var = 0.9 * momentum_var + 0.1 * var
    x = torch.cat(xs)
    dims = [0, *range(2, x.ndim)]
    momentum = MISTAKES["momentum-running-average"]
    wrong_means = {
        MISTAKES["unweighted-mean-of-batch-means"]: means.mean(dim=0),
        momentum: momentum_mean,
    }
    wrong_vars = {
        MISTAKES["merge-without-between-batch-term"]: (
            (biased * counts[:, None]).sum(dim=0) / (total - 1)
        ),
        MISTAKES["average-of-batch-variances"]: unbiased.mean(dim=0),
        MISTAKES["biased-final-variance"]: x.var(dim=dims, correction=0),
        momentum: momentum_var,
    }
    return wrong_means, wrong_vars


def compare_layer(model, name, inputs, where, extra=None):
    """The learner's running stats of layer ``name`` vs the exact stats of its ``inputs``."""
    kind, running_mean, running_var = layer_stats(model, name)
    mean, var = exact(inputs)
    wrong_means, wrong_vars = mistakes(inputs)
    for label, value in (extra or {}).items():
        wrong_means[label], wrong_vars[label] = exact(value)
    label = f"BN layer '{name}' ({kind})"
    assert_close(
        running_mean,
        mean,
        what=f"running_mean of {label}",
        where=where,
        misconceptions=wrong_means,
        **TIGHT,
    )
    assert_close(
        running_var,
        var,
        what=f"running_var of {label}",
        where=where,
        misconceptions=wrong_vars,
        **TIGHT,
    )


def sizes_text(batches):
    return "batch sizes " + str([len(b) for b in batches])


CASES = {61: [7, 3, 1, 5, 2], 62: [2, 9, 4]}


@pytest.mark.points(1)
@pytest.mark.parametrize("seed", list(CASES))
def test_first_layer_statistics_are_exact_over_uneven_batches(kata, seed):
    model = source_trained(seed, "two BN", (3, 6, 5))
    batches = data(rng(seed + 100), CASES[seed], (3, 6, 5), shift=3.0)
    _, inputs = oracle(model, batches, ["1", "4"])
    mine = learner_copy(model, "two BN")
    kata.recompute_bn_stats(mine, [b.clone() for b in batches])
    compare_layer(mine, "1", inputs["1"], describe(seed) + ", " + sizes_text(batches))


@pytest.mark.points(1)
@pytest.mark.parametrize("seed", list(CASES))
def test_second_layer_statistics_see_the_first_layer_with_its_new_statistics(kata, seed):
    model = source_trained(seed, "two BN", (3, 6, 5))
    batches = data(rng(seed + 100), CASES[seed], (3, 6, 5), shift=3.0)
    _, inputs = oracle(model, batches, ["1", "4"])
    extra = {
        MISTAKES["measured-with-old-statistics"]: capture(model, "4", batches),
        MISTAKES["measured-in-training-mode"]: capture(model, "4", batches, train=True),
    }
    mine = learner_copy(model, "two BN")
    kata.recompute_bn_stats(mine, [b.clone() for b in batches])
    compare_layer(mine, "4", inputs["4"], describe(seed) + ", " + sizes_text(batches), extra)


@pytest.mark.points(1)
def test_batchnorm1d_statistics_include_a_single_sample_batch(kata):
    seed = 71
    model = source_trained(seed, "BatchNorm1d head", (2, 5, 4))
    batches = data(rng(seed + 100), [4, 1, 6], (2, 5, 4), shift=2.0)
    _, inputs = oracle(model, batches, ["1", "6"])
    mine = learner_copy(model, "BatchNorm1d head")
    kata.recompute_bn_stats(mine, [b.clone() for b in batches])
    where = describe(seed) + ", " + sizes_text(batches) + " (BatchNorm1d sees (N, 4) inputs)"
    for name in ["1", "6"]:
        compare_layer(mine, name, inputs[name], where)


@pytest.mark.points(1)
def test_layers_registered_out_of_call_order_are_still_exact(kata):
    seed = 81
    model = source_trained(seed, "registered backwards", (3, 6, 6))
    batches = data(rng(seed + 100), [5, 2, 6], (3, 6, 6), shift=-2.0)
    _, inputs = oracle(model, batches, ["stem_bn", "head_bn"])
    extra = {
        MISTAKES["registration-order"]: capture(model, "head_bn", batches),
    }
    mine = learner_copy(model, "registered backwards")
    kata.recompute_bn_stats(mine, [b.clone() for b in batches])
    where = describe(seed) + ", " + sizes_text(batches)
    for name in ["stem_bn", "head_bn"]:
        compare_layer(mine, name, inputs[name], where, extra)


@pytest.mark.points(1)
def test_eval_outputs_match_the_model_with_the_exact_statistics(kata):
    seed = 91
    model = source_trained(seed, "two BN", (3, 6, 5))
    gen = rng(seed + 100)
    batches = data(gen, [6, 1, 3, 4], (3, 6, 5), shift=3.0)
    fresh = data(gen, [3], (3, 6, 5), shift=3.0)[0]
    expected_model, _ = oracle(model, batches, ["1", "4"])
    mine = learner_copy(model, "two BN")
    kata.recompute_bn_stats(mine, [b.clone() for b in batches])
    expected_model.eval()
    outputs = eval_outputs(mine, [*batches, fresh])
    with torch.no_grad():
        for i, (x, out) in enumerate(zip([*batches, fresh], outputs, strict=True)):
            label = f"batch {i}" if i < len(batches) else "a new batch from the target data"
            assert_close(
                out,
                expected_model(x),
                what=f"eval output on {label}",
                where=describe(seed, x=x),
                **TIGHT,
            )


@pytest.mark.points(1)
def test_inputs_are_left_unchanged(kata):
    # Only the inputs: what recompute_bn_stats and blend_stats compute is graded elsewhere.
    seed = 93
    model = source_trained(seed, "two BN", (3, 6, 5))
    batches = data(rng(seed + 100), [6, 1, 3, 4], (3, 6, 5), shift=3.0)
    params = {name: p.detach().clone() for name, p in model.named_parameters()}
    before = snapshot(**{f"batch {i}": b for i, b in enumerate(batches)})
    mine = learner_copy(model, "two BN")
    kata.recompute_bn_stats(mine, batches)
    assert_unchanged(before, **{f"batch {i}": b for i, b in enumerate(batches)})
    for name, p in parameters_of(mine).items():
        if not torch.equal(p, params[name]):
            fail(
                f"the parameter {name} changed; recomputing statistics must leave every "
                "weight as it is (no optimizer steps, no in-place edits)"
            )
    gen = rng(seed + 200)
    sm, tm = (torch.from_numpy(gen.normal(0, 2, 4)) for _ in range(2))
    sv, tv = (torch.from_numpy(gen.uniform(0.5, 2, 4)) for _ in range(2))
    before = snapshot(source_mean=sm, source_var=sv, target_mean=tm, target_var=tv)
    kata.blend_stats(sm, sv, tm, tv, 0.4)
    assert_unchanged(before, source_mean=sm, source_var=sv, target_mean=tm, target_var=tv)


@pytest.mark.points(1)
def test_every_module_training_flag_is_restored(kata):
    seed = 95
    model = source_trained(seed, "two BN", (3, 6, 5)).train()
    model[1].eval()  # a frozen BN inside a model in training mode
    flags = {name: m.training for name, m in model.named_modules()}
    mine = learner_copy(model, "two BN")
    kata.recompute_bn_stats(mine, data(rng(seed + 100), [3, 2], (3, 6, 5), shift=1.0))
    changed = [
        f"'{name or 'the model'}' {flags[name]} -> {training}"
        for name, training in flags_of(mine).items()
        if training != flags[name]
    ]
    if changed:
        fail(
            "training flags not restored: " + ", ".join(changed) + "; remember each "
            "module's flag (model.train(x) sets every child too) and put each one back"
        )


@probe
def largest_join(kata, model, batches):
    """On the learner side: run recompute_bn_stats while counting the size of every tensor or
    array that torch's and numpy's joining functions (cat, stack, ...) return; the largest."""
    import numpy as np

    largest = [0]
    saved = []

    def counted(join):
        def joined(*args, **kwargs):
            out = join(*args, **kwargs)
            size = out.numel() if isinstance(out, torch.Tensor) else int(np.size(out))
            largest[0] = max(largest[0], size)
            return out

        return joined

    names = ("cat", "concat", "concatenate", "stack", "vstack", "hstack", "row_stack")
    for owner in (torch, np):
        for name in names:
            if hasattr(owner, name):
                saved.append((owner, name, getattr(owner, name)))
                setattr(owner, name, counted(getattr(owner, name)))
    try:
        kata.recompute_bn_stats(model, batches)
    finally:
        for owner, name, join in saved:
            setattr(owner, name, join)
    return largest[0]


@pytest.mark.points(1)
def test_batches_are_not_concatenated(kata):
    # "Work one batch at a time": no joined tensor may be larger than what one batch produces
    # anywhere in the model (its input or any BN layer's input).
    seed = 99
    model = source_trained(seed, "two BN", (3, 6, 5))
    batches = data(rng(seed + 100), [5, 3, 4, 2], (3, 6, 5), shift=3.0)
    _, inputs = oracle(model, batches, ["1", "4"])
    one_batch = max(
        max(batch.numel(), inputs["1"][i].numel(), inputs["4"][i].numel())
        for i, batch in enumerate(batches)
    )
    mine = learner_copy(model, "two BN")
    largest = largest_join(kata, mine, [b.clone() for b in batches])
    if largest > one_batch:
        fail(
            f"recompute_bn_stats joined (torch.cat, torch.stack, np.concatenate...) a tensor of "
            f"{largest} values, more than any single batch produces ({one_batch}) "
            f"[{describe(seed)}, {sizes_text(batches)}]: work one batch at a time, summarising "
            "each batch per channel as (count, mean, M2) and merging the summaries"
        )


@pytest.mark.points(1)
def test_float32_buffers_stay_float32(kata):
    seed = 97
    model = source_trained(seed, "two BN", (3, 6, 5)).float()
    batches = [b.float() for b in data(rng(seed + 100), [4, 2, 5], (3, 6, 5), shift=3.0)]
    mine = learner_copy(model, "two BN", "float32")
    kata.recompute_bn_stats(mine, [b.clone() for b in batches])
    where = describe(seed) + ", " + sizes_text(batches) + ", a float32 model"
    # The dtypes only: the values are graded by the float64 tests.
    for name in ["1", "4"]:
        kind, running_mean, running_var = layer_stats(mine, name)
        for label, value in (("running_mean", running_mean), ("running_var", running_var)):
            if value.dtype != torch.float32:
                fail(
                    f"{label} of BN layer '{name}' ({kind}) is {value.dtype} after recomputing "
                    f"the statistics of a float32 model [{where}]; keep the buffers' dtype: "
                    "copy the new values in (buffer.copy_(value)) rather than assigning a "
                    "tensor of another dtype"
                )


def weighted_pool(source, target, alpha):
    """The mixture's per-channel mean and variance from the pooled samples, weighted by numpy."""
    values = np.concatenate([source, target], axis=0)
    weights = np.concatenate(
        [
            np.full(len(source), (1 - alpha) / len(source)),
            np.full(len(target), alpha / len(target)),
        ]
    )
    mean = np.average(values, axis=0, weights=weights)
    return mean, np.average((values - mean) ** 2, axis=0, weights=weights)


@pytest.mark.points(1)
@pytest.mark.parametrize("alpha", [0.3, 0.85])
def test_blend_stats_is_the_mixture_of_source_and_target(kata, alpha):
    seed = 101
    gen = rng(seed)
    source = gen.normal(gen.normal(0, 2, 4), gen.uniform(0.5, 2, 4), (40, 4))
    target = gen.normal(gen.normal(3, 2, 4), gen.uniform(0.5, 2, 4), (25, 4))
    sm, sv, tm, tv = (
        torch.from_numpy(a) for a in (source.mean(0), source.var(0), target.mean(0), target.var(0))
    )
    mean, var = kata.blend_stats(sm.clone(), sv.clone(), tm.clone(), tv.clone(), alpha)
    expected_mean, expected_var = weighted_pool(source, target, alpha)
    where = describe(seed, source_mean=sm, alpha=alpha)
    assert_close(
        mean,
        expected_mean,
        what="blended mean",
        where=where,
        misconceptions={MISTAKES["blend-alpha-reversed"]: alpha * sm + (1 - alpha) * tm},
    )
    naive = (1 - alpha) * sv + alpha * tv
    assert_close(
        var,
        expected_var,
        what="blended variance",
        where=where,
        misconceptions={
            MISTAKES["blend-ignores-mean-spread"]: naive,
            MISTAKES["blend-alpha-reversed"]: alpha * sv
            + (1 - alpha) * tv
            + alpha * (1 - alpha) * (sm - tm) ** 2,
            MISTAKES["blend-standard-deviations"]: ((1 - alpha) * sv.sqrt() + alpha * tv.sqrt())
            ** 2,
        },
    )


@pytest.mark.points(1)
def test_blend_stats_raises_value_error_only_outside_0_and_1(kata):
    # The rule for alpha alone, both ways, the two ends of the legal range included; the
    # blended values are graded by the test above.
    gen = rng(103)
    sm, tm = (torch.from_numpy(gen.normal(0, 2, 4)) for _ in range(2))
    sv, tv = (torch.from_numpy(gen.uniform(0.5, 2, 4)) for _ in range(2))
    for bad in (-0.1, 1.5):
        try:
            result = kata.blend_stats(sm.clone(), sv.clone(), tm.clone(), tv.clone(), bad)
        except ValueError:
            continue
        except Exception as exc:  # the wrong kind of refusal
            fail(
                f"blend_stats(..., alpha={bad}): expected a ValueError, got "
                f"{type(exc).__name__}: {exc}"
            )
        fail(
            f"blend_stats(..., alpha={bad}) must raise ValueError: alpha is a probability; it "
            f"returned {type(result).__name__}"
        )
    for alpha in (0.0, 1.0):
        try:
            kata.blend_stats(sm.clone(), sv.clone(), tm.clone(), tv.clone(), alpha)
        except ValueError as exc:
            fail(
                f"blend_stats(..., alpha={alpha}) raised ValueError ({exc}); 0 <= alpha <= 1 is "
                "legal, the ends included: 0 keeps the source statistics, 1 gives the target's"
            )
