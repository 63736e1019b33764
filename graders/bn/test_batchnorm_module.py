"""Hidden grader for bn/batchnorm_module; the oracle is torch.nn.BatchNorm2d, run side by side.

Every test builds the learner's module and torch's with the same flags and the same affine
parameters, feeds both the same seeded batches, and compares outputs, buffers and gradients. The
mistakes the messages name are computed here from the batch and the oracle's previous state.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from katakit import misconceptions
from katakit.checks import as_number, assert_close, assert_unchanged, describe, fail, rng
from katakit.sandbox import is_remote, probe

MISTAKES = misconceptions.of(__file__)

C = 3
EPS = 1e-4  # not the default, so that a constructor ignoring eps shows
# Several steps of different shapes, including one sample with H * W > 1 and H = W = 1.
STEPS = [(4, C, 2, 3), (2, C, 3, 1), (1, C, 2, 2), (6, C, 1, 1)]
FLAGS = [
    {"affine": affine, "track_running_stats": track, "momentum": momentum}
    for affine in (True, False)
    for track in (True, False)
    for momentum in (0.1, None)
]
TRACKING = [flags for flags in FLAGS if flags["track_running_stats"]]
# The output does not depend on momentum: the output tests leave momentum=None (and a training
# pass that fails on its counter) to the tests of the running statistics.
OUTPUT_FLAGS = [flags for flags in FLAGS if flags["momentum"] is not None]
BUFFERS = ("running_mean", "running_var")


def settings(flags: dict) -> str:
    return ", ".join(f"{key}={value}" for key, value in flags.items())


def draw(seed: int, shape: tuple[int, ...], *, tiny: bool = True) -> torch.Tensor:
    """A float64 batch; with ``tiny``, channel 2 varies far less than eps, where the placement
    of eps shows (too little spread for float32 to resolve: use ``tiny=False`` there)."""
    gen = rng(seed)
    means = gen.normal(0, 2, C).reshape(1, C, 1, 1)
    third = 1e-3 if tiny else gen.uniform(0.5, 2.0)
    scales = np.array([gen.uniform(0.5, 2.0), gen.uniform(2.0, 4.0), third]).reshape(1, C, 1, 1)
    return torch.tensor(means + scales * gen.normal(0, 1, shape))


@probe
def class_facts(cls):
    """On the learner side: is ``cls`` a class, an nn.Module subclass, a torch batch norm one?"""
    from torch.nn.modules.batchnorm import _BatchNorm

    is_class = isinstance(cls, type)
    return (
        is_class,
        is_class and issubclass(cls, torch.nn.Module),
        is_class and issubclass(cls, _BatchNorm),
    )


@probe
def copy_into(module, name, value):
    """On the learner side: copy ``value`` into the module's tensor ``name`` in place (a
    parameter or a buffer) when it is a tensor of that shape; return what ``name`` was."""
    target = getattr(module, name, None)
    if not isinstance(target, torch.Tensor):
        return type(target).__name__
    if tuple(target.shape) == tuple(value.shape):
        with torch.no_grad():
            target.copy_(value)
    return tuple(target.shape)


@probe
def dtypes_of(module, names):
    """On the learner side: the dtype of each tensor attribute in ``names`` (None otherwise)."""
    found = {}
    for name in names:
        value = getattr(module, name, None)
        found[name] = value.dtype if isinstance(value, torch.Tensor) else None
    return found


@probe
def layout_of(module):
    """On the learner side: {state_dict key: (shape, dtype or type name)} and the names of the
    learnable parameters."""
    layout = {}
    for key, value in module.state_dict().items():
        shape = tuple(getattr(value, "shape", ()))
        layout[key] = (shape, getattr(value, "dtype", type(value).__name__))
    return layout, sorted(name for name, _ in module.named_parameters())


@probe
def state_of(module):
    """On the learner side: the module's state_dict as a plain dict of tensors."""
    return {key: value.detach().clone() for key, value in module.state_dict().items()}


@probe
def gradients_both_ways(module, x, upstream, h):
    """On the learner side: the gradients of loss = sum(module(x) * upstream) with respect to x,
    weight and bias by autograd (None when the output does not require grad), and by central
    differences of the same forward pass, its buffers put back before every pass."""
    buffers = {name: b.detach().clone() for name, b in module.named_buffers() if b is not None}

    def restore():
        with torch.no_grad():
            for name, b in module.named_buffers():
                if name in buffers:
                    b.copy_(buffers[name])

    x = x.clone().requires_grad_(True)
    out = module(x)
    if not isinstance(out, torch.Tensor) or not out.requires_grad:
        return None
    (out * upstream).sum().backward()
    autograd = {"x": x.grad}
    numeric = {}
    targets = {"x": x.detach().clone()}
    for name in ("weight", "bias"):
        value = getattr(module, name, None)
        if isinstance(value, torch.Tensor):
            autograd[name] = value.grad
            targets[name] = value
    with torch.no_grad():
        for name, tensor in targets.items():
            flat = tensor.view(-1)
            grad = torch.zeros_like(flat)
            for i in range(flat.numel()):
                old = flat[i].item()
                losses = []
                for shifted in (old + h, old - h):
                    flat[i] = shifted
                    restore()
                    losses.append(float((module(targets["x"]) * upstream).sum()))
                flat[i] = old
                grad[i] = (losses[0] - losses[1]) / (2 * h)
            numeric[name] = grad.reshape(tensor.shape)
    restore()
    return autograd, numeric


def attr(module: torch.nn.Module, name: str) -> torch.Tensor:
    """The module's tensor ``name``, or a failure that says it is missing."""
    value = getattr(module, name, None)
    if not isinstance(value, torch.Tensor):
        fail(
            f"the module has no tensor attribute '{name}' (found {type(value).__name__}); "
            "torch.nn.BatchNorm2d has one with these flags"
        )
    return value


def assign(module: torch.nn.Module, name: str, value: torch.Tensor) -> None:
    """Copy ``value`` into the module's tensor ``name`` in place (a parameter or a buffer)."""
    if is_remote(module):  # the learner's module: its tensors are written where it lives
        found = copy_into(module, name, value)
        if type(found) is not tuple:
            attr(module, name)  # fails: not a tensor
        if found != tuple(value.shape):
            fail(f"{name}: expected shape {tuple(value.shape)}, got {found}")
        return
    target = attr(module, name)
    if tuple(target.shape) != tuple(value.shape):
        fail(f"{name}: expected shape {tuple(value.shape)}, got {tuple(target.shape)}")
    with torch.no_grad():
        target.copy_(value)


def build(kata, seed: int | None = None, *, double: bool = True, **flags):
    """The learner's module and torch's, with the same flags and (when affine) random weights."""
    is_class, is_module, is_torch_batch_norm = class_facts(kata.BatchNorm2d)
    if not (is_class and is_module):
        fail("BatchNorm2d must be a class that derives from torch.nn.Module")
    if is_torch_batch_norm:
        fail(
            "BatchNorm2d derives from torch's own batch norm classes; this kata asks you to "
            "write it yourself on top of torch.nn.Module"
        )
    mine = kata.BatchNorm2d(C, **flags)
    theirs = torch.nn.BatchNorm2d(C, **flags)
    if flags.get("affine", True) and seed is not None:
        gen = rng(seed)
        weight = torch.tensor(gen.uniform(0.5, 1.5, C), dtype=torch.float32)
        bias = torch.tensor(gen.normal(0, 1, C), dtype=torch.float32)
        for module in (mine, theirs):
            assign(module, "weight", weight)
            assign(module, "bias", bias)
    if double:
        mine.double()
        theirs.double()
        for name, dtype in dtypes_of(mine, ("weight", "bias", *BUFFERS)).items():
            if dtype is not None and dtype != torch.float64:
                fail(
                    f"after module.double(), {name} is still {dtype}: create it as an "
                    "nn.Parameter (weight, bias) or with self.register_buffer (running "
                    "statistics) so that .double(), .to(device) and state_dict() include it"
                )
    mine.train()
    theirs.train()
    return mine, theirs


def run(module: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """A forward pass of the learner's module; a ZeroDivisionError in it gets a named cause."""
    __tracebackhide__ = True
    try:
        return module(x)
    except ZeroDivisionError as exc:
        counter = getattr(module, "num_batches_tracked", None)
        if (
            module.training
            and getattr(module, "momentum", 0.1) is None
            and isinstance(counter, torch.Tensor)
            and counter.numel() == 1
            and int(counter) == 0
        ):
            fail(
                f"a training pass with momentum=None divided by zero ({exc}): "
                "num_batches_tracked was still 0 when the factor 1 / num_batches_tracked was "
                "computed; add 1 to num_batches_tracked on every training pass first, then use "
                "it (the first batch gets factor 1)"
            )
        fail(f"the forward pass raised ZeroDivisionError: {exc}")


def per_channel(values: torch.Tensor) -> torch.Tensor:
    return values.reshape(1, -1, 1, 1)


def batch_stats(x: torch.Tensor):
    """Per-channel mean, biased and unbiased variance, values per channel m, and batch size N."""
    dims = (0, 2, 3)
    return (
        x.mean(dim=dims),
        x.var(dim=dims, correction=0),
        x.var(dim=dims, correction=1),
        x.numel() // x.shape[1],
        x.shape[0],
    )


def affine_of(theirs: torch.nn.Module):
    if theirs.affine:
        return theirs.weight.detach(), theirs.bias.detach()
    return None, None


def wrong_training_outputs(x: torch.Tensor, theirs: torch.nn.Module) -> dict:
    """What classic mistakes produce for this batch in training mode."""
    weight, bias = affine_of(theirs)
    mean, var, unbiased, _, _ = batch_stats(x)
    scale = per_channel(weight) if weight is not None else 1.0
    shift = per_channel(bias) if bias is not None else 0.0
    centred = x - per_channel(mean)
    wrong = {
        MISTAKES["constructor-eps-ignored"]: F.batch_norm(
            x, None, None, weight, bias, training=True, eps=1e-5
        ),
        MISTAKES["eps-outside-sqrt"]: scale * centred / (per_channel(var).sqrt() + theirs.eps)
        + shift,
        MISTAKES["unbiased-normalisation"]: scale
        * centred
        / (per_channel(unbiased) + theirs.eps).sqrt()
        + shift,
    }
    wrong[MISTAKES["eps-missing"]] = scale * centred / per_channel(var).sqrt() + shift
    if weight is not None:
        wrong[MISTAKES["affine-not-applied"]] = F.batch_norm(
            x, None, None, None, None, training=True, eps=theirs.eps
        )
    return wrong


def one_update(previous: torch.Tensor, batch: torch.Tensor, factor: float) -> torch.Tensor:
    return (1 - factor) * previous + factor * batch


def wrong_running_stats(x, previous_mean, previous_var, count, momentum, eps=EPS):
    """(wrong running_mean, wrong running_var) for classic mistakes, from the previous state."""
    mean, var, unbiased, m, n = batch_stats(x)
    factor = momentum if momentum is not None else 1.0 / count
    wrong_mean, wrong_var = {}, {}
    if momentum is None:
        name = MISTAKES["momentum-none-as-default"]
        wrong_mean[name] = one_update(previous_mean, mean, 0.1)
        wrong_var[name] = one_update(previous_var, unbiased, 0.1)
        name = MISTAKES["cumulative-factor-off-by-one"]
        wrong_mean[name] = one_update(previous_mean, mean, 1.0 / (count + 1))
        wrong_var[name] = one_update(previous_var, unbiased, 1.0 / (count + 1))
        if count > 1:  # the factor taken before the increment: 1 / (count - 1)
            name = MISTAKES["cumulative-count-not-incremented"]
            wrong_mean[name] = one_update(previous_mean, mean, 1.0 / (count - 1))
            wrong_var[name] = one_update(previous_var, unbiased, 1.0 / (count - 1))
    else:
        name = MISTAKES["momentum-reversed"]
        wrong_mean[name] = one_update(mean, previous_mean, factor)
        wrong_var[name] = one_update(unbiased, previous_var, factor)
    wrong_var[MISTAKES["biased-running-var"]] = one_update(previous_var, var, factor)
    wrong_var[MISTAKES["running-var-plus-eps"]] = one_update(
        previous_var, (var + eps) * m / (m - 1), factor
    )
    wrong_mean[MISTAKES["running-stats-not-updated"]] = previous_mean
    wrong_var[MISTAKES["running-stats-not-updated"]] = previous_var
    if n > 1 and n != m:
        wrong_var[MISTAKES["unbiased-correction-uses-batch-size"]] = one_update(
            previous_var, var * n / (n - 1), factor
        )
    return wrong_mean, wrong_var


@pytest.mark.points(2)
def test_training_output_matches_torch_for_every_flag_combination(kata):
    for case, flags in enumerate(OUTPUT_FLAGS):
        seed = 100 + 10 * case
        mine, theirs = build(kata, seed, eps=EPS, **flags)
        for step, shape in enumerate(STEPS, start=1):
            x = draw(seed + step, shape)
            given = x.clone()
            out = run(mine, given)
            expected = theirs(x.clone())
            assert_close(
                out,
                expected.detach(),
                what="training output",
                where=f"{settings(flags)}, eps={EPS}, step {step}, " + describe(seed + step, x=x),
                misconceptions=wrong_training_outputs(x, theirs),
            )
            assert_unchanged({"x": x}, x=given)


@pytest.mark.points(2)
def test_running_statistics_follow_torch_over_several_steps(kata):
    for case, flags in enumerate(TRACKING):
        seed = 200 + 10 * case
        mine, theirs = build(kata, seed, eps=EPS, **flags)
        for step, shape in enumerate(STEPS + STEPS[:2], start=1):
            x = draw(seed + step, shape)
            previous_mean, previous_var = theirs.running_mean.clone(), theirs.running_var.clone()
            run(mine, x.clone())
            theirs(x.clone())
            wrong_mean, wrong_var = wrong_running_stats(
                x, previous_mean, previous_var, step, flags["momentum"]
            )
            where = f"{settings(flags)}, after training step {step}, " + describe(seed + step, x=x)
            for name, expected, wrong in (
                ("running_mean", theirs.running_mean, wrong_mean),
                ("running_var", theirs.running_var, wrong_var),
            ):
                assert_close(
                    attr(mine, name), expected, what=name, where=where, misconceptions=wrong
                )


@probe
def buffers_requiring_grad(module, x):
    """On the learner side: a training pass on an ``x`` that requires grad (so that the batch
    statistics do too); which running statistics then require grad."""
    module(x.clone().requires_grad_(True))
    return [
        name
        for name in ("running_mean", "running_var")
        if getattr(getattr(module, name, None), "requires_grad", False)
    ]


@pytest.mark.points(1)
def test_running_statistics_never_require_grad(kata):
    # Only where the running statistics end up, not their values (graded above); momentum=None
    # and its counter are graded there too.
    for flags in (flags for flags in TRACKING if flags["momentum"] is not None):
        mine, _ = build(kata, 1500, eps=EPS, **flags)
        for step, shape in enumerate(STEPS[:2], start=1):
            x = draw(1500 + step, shape)
            found = buffers_requiring_grad(mine, x)
            if found:
                fail(
                    f"{' and '.join(found)} require grad after a training step on an x that "
                    f"requires grad [{settings(flags)}, step {step}, "
                    f"{describe(1500 + step, x=x)}]: update the running statistics under "
                    "torch.no_grad() (or from detached batch statistics); they are estimates, "
                    "not part of the graph"
                )


@pytest.mark.points(1)
def test_momentum_none_gives_the_equal_weight_average_of_all_batches(kata):
    # Closed form: with momentum=None, after k batches the running statistics are the plain
    # averages of the k batch means and of the k unbiased batch variances.
    seed = 300
    shapes = [(2, C, 1, 1), (5, C, 2, 1), (3, C, 2, 2), (1, C, 3, 1), (8, C, 1, 2)]
    # eps = 1e-12: a running_var that tracks var + eps is charged by the test above alone
    mine, _ = build(kata, affine=False, momentum=None, eps=1e-12)
    means, variances, counts = [], [], []
    ema_mean, ema_var = torch.zeros(C, dtype=torch.float64), torch.ones(C, dtype=torch.float64)
    for step, shape in enumerate(shapes, start=1):
        x = draw(seed + step, shape)
        run(mine, x.clone())
        mean, _, unbiased, m, _ = batch_stats(x)
        means.append(mean)
        variances.append(unbiased)
        counts.append(m)
        ema_mean, ema_var = one_update(ema_mean, mean, 0.1), one_update(ema_var, unbiased, 0.1)
    weights = torch.tensor(counts, dtype=torch.float64).reshape(-1, 1) / sum(counts)
    where = describe(seed, batches=[s[0] for s in shapes]) + f", {len(shapes)} batches"
    as_ema = MISTAKES["momentum-none-as-default"]
    assert_close(
        attr(mine, "running_mean"),
        torch.stack(means).mean(dim=0),
        what="running_mean with momentum=None",
        where=where,
        misconceptions={
            as_ema: ema_mean,
            MISTAKES["cumulative-weighted-by-values"]: (torch.stack(means) * weights).sum(dim=0),
        },
    )
    assert_close(
        attr(mine, "running_var"),
        torch.stack(variances).mean(dim=0),
        what="running_var with momentum=None (the average of the unbiased batch variances)",
        where=where,
        misconceptions={as_ema: ema_var},
    )


@pytest.mark.points(1)
def test_num_batches_tracked_counts_every_training_step(kata):
    # Training passes only: that evaluation counts nothing is graded with the other buffers, by
    # test_evaluation_leaves_the_buffers_unchanged.
    seed = 400
    mine, theirs = build(kata, seed, momentum=0.1)
    counter = getattr(mine, "num_batches_tracked", None)
    if not isinstance(counter, torch.Tensor) or counter.dtype != torch.long or counter.dim():
        fail(
            "num_batches_tracked must be a 0-d torch.long tensor buffer, as torch's is; got "
            f"{counter!r}"
        )
    for step in range(1, 5):
        x = draw(seed + step, STEPS[step % len(STEPS)])
        run(mine, x.clone())
        theirs(x.clone())
        expected = int(theirs.num_batches_tracked)
        got = as_number(attr(mine, "num_batches_tracked"), "num_batches_tracked")
        if got != expected:
            fail(
                f"num_batches_tracked after {step} training passes: expected {expected}, got "
                f"{got:g}; add 1 on every training forward pass when tracking running statistics"
            )


@pytest.mark.points(1)
def test_evaluation_output_matches_torch_for_every_flag_combination(kata):
    for case, flags in enumerate(FLAGS):
        seed = 500 + 10 * case
        mine, theirs = build(kata, seed, eps=EPS, **flags)
        if flags["track_running_stats"]:
            # Running statistics of our choosing, so this test does not depend on the updates.
            gen = rng(seed + 1)
            mean = torch.tensor(gen.normal(0, 2, C))
            var = torch.tensor(gen.uniform(0.5, 3.0, C))
            for module in (mine, theirs):
                assign(module, "running_mean", mean)
                assign(module, "running_var", var)
        mine.eval()
        theirs.eval()
        for step, shape in enumerate(STEPS[:3], start=1):
            x = draw(seed + 1 + step, shape)
            weight, bias = affine_of(theirs)
            batch = F.batch_norm(x, None, None, weight, bias, training=True, eps=EPS)
            if flags["track_running_stats"]:
                no_affine = F.batch_norm(
                    x, theirs.running_mean, theirs.running_var, training=False, eps=EPS
                )
                wrong = {MISTAKES["eval-uses-batch-stats"]: batch}
                if weight is not None:
                    wrong[MISTAKES["eval-without-affine"]] = no_affine
                if step == 1:  # num_batches_tracked is 0: what updating it first would give
                    mean, _, unbiased, _, _ = batch_stats(x)
                    factor = flags["momentum"] or 1.0
                    refreshed = F.batch_norm(
                        x,
                        one_update(theirs.running_mean, mean, factor),
                        one_update(theirs.running_var, unbiased, factor),
                        weight,
                        bias,
                        training=False,
                        eps=EPS,
                    )
                    wrong[MISTAKES["eval-updates-running-stats"]] = refreshed
                source = "running statistics"
            else:
                initial = F.batch_norm(
                    x,
                    torch.zeros(C, dtype=x.dtype),
                    torch.ones(C, dtype=x.dtype),
                    weight,
                    bias,
                    training=False,
                    eps=EPS,
                )
                wrong = {MISTAKES["eval-initial-stats"]: initial}
                source = "batch statistics: there are no running statistics"
            assert_close(
                run(mine, x.clone()),
                theirs(x.clone()).detach(),
                what=f"evaluation output (uses the {source})",
                where=f"{settings(flags)}, eps={EPS}, " + describe(seed + 1 + step, x=x),
                misconceptions=wrong,
            )


@pytest.mark.points(1)
def test_evaluation_leaves_the_buffers_unchanged(kata):
    for case, flags in enumerate(TRACKING):
        seed = 600 + 10 * case
        mine, _ = build(kata, seed, eps=EPS, **flags)
        # A state of our choosing, as after 2 training steps, so that this test does not depend
        # on the training updates (graded by the tests above).
        gen = rng(seed + 1)
        before = {
            "running_mean": torch.tensor(gen.normal(0, 2, C)),
            "running_var": torch.tensor(gen.uniform(0.5, 3.0, C)),
        }
        for name, value in before.items():
            assign(mine, name, value)
        count = 2
        assign(mine, "num_batches_tracked", torch.tensor(count))
        mine.eval()
        x = draw(seed + 3, STEPS[0])
        run(mine, x.clone())
        mean, _, unbiased, _, _ = batch_stats(x)
        factor = flags["momentum"] if flags["momentum"] is not None else 1.0 / (count + 1)
        where = f"{settings(flags)}, one evaluation pass, num_batches_tracked 2, " + describe(
            seed + 3, x=x
        )
        for name, batch in (("running_mean", mean), ("running_var", unbiased)):
            assert_close(
                attr(mine, name),
                before[name],
                what=f"{name} after an evaluation pass (must be unchanged)",
                where=where,
                misconceptions={
                    MISTAKES["eval-updates-running-stats"]: one_update(before[name], batch, factor)
                },
            )
        got = as_number(attr(mine, "num_batches_tracked"), "num_batches_tracked")
        if got != count:
            fail(
                f"num_batches_tracked after an evaluation pass: expected {count} (unchanged), got "
                f"{got:g} [{where}]; evaluation passes must not count"
            )


@pytest.mark.points(1)
def test_gradients_reach_input_and_affine_parameters(kata):
    # Autograd through the learner's own module against central differences of that same
    # forward pass (h = 1e-6, float64, the buffers put back before every pass): whatever the
    # forward computes (its values are graded by the output tests), its graph must carry the
    # whole gradient, through the batch statistics too, to x, weight and bias.
    for case, (affine, mode) in enumerate(
        [(True, "train"), (False, "train"), (True, "eval"), (False, "eval")]
    ):
        seed = 700 + 10 * case
        mine, theirs = build(kata, seed, eps=EPS, affine=affine)
        if mode == "eval":
            gen = rng(seed + 1)
            mean, var = torch.tensor(gen.normal(0, 1, C)), torch.tensor(gen.uniform(0.5, 2, C))
            assign(mine, "running_mean", mean)
            assign(mine, "running_var", var)
            mine.eval()
        x = draw(seed + 2, (3, C, 2, 2), tiny=False)
        upstream = torch.tensor(rng(seed + 3).normal(0, 1, x.shape))
        found = gradients_both_ways(mine, x, upstream, 1e-6)  # where the module lives
        if found is None:
            fail(
                "the output does not require grad for an input that does: build it from x with "
                "differentiable tensor operations (no torch.no_grad(), .detach() or .numpy())"
            )
        autograd, numeric = found
        where = (
            f"affine={affine}, {mode} mode, loss = sum(out * g), " + describe(seed + 2, x=x) + "; "
            "expected: central differences of your own forward pass"
        )
        wrong = {}
        if mode == "train":
            _, var, _, _, _ = batch_stats(x)
            scale = per_channel(theirs.weight.detach()) if affine else 1.0
            wrong[MISTAKES["detached-batch-stats"]] = (
                scale * upstream / (per_channel(var) + EPS).sqrt()
            )
        tolerance = {"rtol": 1e-5, "atol": 1e-6}
        assert_close(
            autograd["x"],
            numeric["x"],
            what="gradient of x",
            where=where,
            misconceptions=wrong,
            **tolerance,
        )
        if affine:
            for name in ("weight", "bias"):
                attr(mine, name)
                grad = autograd.get(name)
                if grad is None:
                    if bool((numeric[name].abs() <= tolerance["atol"]).all()):
                        continue  # the output does not depend on it: no path, no gradient
                    fail(
                        f"{name}.grad is None after backward [{where}]: {name} must be an "
                        "nn.Parameter used in the forward computation"
                    )
                assert_close(
                    grad, numeric[name], what=f"gradient of {name}", where=where, **tolerance
                )


@pytest.mark.points(1)
def test_state_dict_keys_shapes_and_initial_values_match_torch(kata):
    for affine in (True, False):
        for track in (True, False):
            flags = {"affine": affine, "track_running_stats": track}
            mine, theirs = build(kata, double=False, **flags)
            layout = {k: (tuple(v.shape), v.dtype) for k, v in theirs.state_dict().items()}
            got, params = layout_of(mine)
            if got != layout:
                fail(
                    f"state_dict for {settings(flags)}: expected the entries {layout}, got {got}"
                    " -- weight and bias are nn.Parameters, the running statistics buffers "
                    "(self.register_buffer), num_batches_tracked a 0-d torch.long tensor, and "
                    "what a flag turns off is not there at all"
                )
            expected_params = sorted(name for name, _ in theirs.named_parameters())
            if params != expected_params:
                fail(
                    f"learnable parameters for {settings(flags)}: expected {expected_params}, got "
                    f"{params}; the running statistics are buffers, never trained"
                )
            state = state_of(mine)
            for key, value in theirs.state_dict().items():
                assert_close(
                    state[key],
                    value,
                    what=f"initial {key}",
                    where=f"{settings(flags)}, a freshly built module",
                )


@pytest.mark.points(1)
def test_state_dict_loads_from_torch_and_back(kata):
    # float32, as people use it. The loaded state is compared with the state saved, and a
    # module of yours loaded with your state with the module it came from: the state_dict alone
    # is graded here, not the values it holds (graded by the tests of the running statistics
    # and the outputs), and with momentum=0.1, as momentum=None and its count are graded there.
    seed = 900
    theirs = torch.nn.BatchNorm2d(C, momentum=None)
    for step in range(1, 4):
        theirs(draw(seed + step, STEPS[step], tiny=False).float())
    with torch.no_grad():
        theirs.weight.mul_(1.5)  # trained weights, not the initial ones
    mine, _ = build(kata, double=False)
    try:
        mine.load_state_dict(dict(theirs.state_dict()))
    except RuntimeError as exc:
        fail(f"load_state_dict (torch -> yours) failed: {exc}")
    loaded = state_of(mine)
    for key, value in theirs.state_dict().items():
        assert_close(
            loaded[key],
            value,
            what=f"{key} of your module after loading torch's state_dict",
            where="float32, the state of torch's module after 3 training steps",
            rtol=0,
            atol=0,
        )

    trained, _ = build(kata, seed, double=False)
    for step in range(1, 4):
        run(trained, draw(seed + step, STEPS[step], tiny=False).float())
    assign(trained, "weight", attr(trained, "weight").detach() * 1.5)
    state = state_of(trained)
    try:
        torch.nn.BatchNorm2d(C).load_state_dict(state)
    except RuntimeError as exc:
        fail(f"load_state_dict (yours -> torch) failed: {exc}")
    loaded_copy, _ = build(kata, double=False)
    try:
        loaded_copy.load_state_dict(state)
    except RuntimeError as exc:
        fail(f"load_state_dict (yours -> yours) failed: {exc}")
    where = (
        "float32, a fresh module of yours loaded with the state_dict of one of "
        "yours after 3 training steps, vs that module; both must behave the same: keep every "
        "piece of state (the count included) in registered buffers and parameters"
    )
    x = draw(seed + 10, (2, C, 2, 2), tiny=False).float()
    for mode in ("eval", "train"):
        loaded_copy.train(mode == "train")
        trained.train(mode == "train")
        assert_close(
            run(loaded_copy, x.clone()),
            run(trained, x.clone()),
            what=f"{mode} output of the loaded module",
            where=where + ", " + describe(seed + 10, x=x),
            rtol=1e-6,
            atol=1e-7,
        )
    for name in (*BUFFERS, "num_batches_tracked"):
        assert_close(
            attr(loaded_copy, name),
            attr(trained, name),
            what=f"{name} of the loaded module after one more training step",
            where=where,
            rtol=1e-6,
            atol=1e-7,
        )


@pytest.mark.points(1)
def test_reset_running_stats_restores_the_initial_buffers(kata):
    # momentum=0.1: momentum=None and its count are graded by the tests of the running
    # statistics; the count's reset is compared here directly.
    seed = 1000
    mine, theirs = build(kata, seed)
    for step in range(1, 4):
        for module in (mine, theirs):
            module(draw(seed + step, STEPS[step]))
    weight = mine.weight.detach().clone()
    mine.reset_running_stats()
    theirs.reset_running_stats()
    for name in (*BUFFERS, "num_batches_tracked"):
        assert_close(
            attr(mine, name),
            getattr(theirs, name),
            what=f"{name} after reset_running_stats()",
            where="3 training steps, then the reset",
        )
    assert_close(
        mine.weight,
        weight,
        what="weight after reset_running_stats()",
        where="the reset touches only the running statistics",
    )
    # After the reset the module starts over: its next step is a fresh module's first (compared
    # with a fresh module of yours, so that only the reset is graded here).
    fresh, _ = build(kata, seed)
    x = draw(seed + 5, STEPS[0])
    run(mine, x.clone())
    run(fresh, x.clone())
    for name in (*BUFFERS, "num_batches_tracked"):
        assert_close(
            attr(mine, name),
            attr(fresh, name),
            what=f"{name} of the first step after the reset",
            where="expected: what a fresh module of yours holds after the same step, "
            + describe(seed + 5, x=x),
        )
    untracked, _ = build(kata, track_running_stats=False)
    untracked.reset_running_stats()  # must simply do nothing


@probe
def float32_steps(module, xs):
    """On the learner side: training passes of a float32 module; the dtypes it then holds."""
    outputs = [module(x) for x in xs]
    dtypes = {"output": [out.dtype for out in outputs]}
    for name in ("running_mean", "running_var"):
        value = getattr(module, name, None)
        dtypes[name] = value.dtype if isinstance(value, torch.Tensor) else None
    return dtypes


@pytest.mark.points(1)
def test_float32_module_keeps_float32_output_and_buffers(kata):
    seed = 1200
    mine, _ = build(kata, seed, double=False)
    xs = [draw(seed + step, STEPS[step], tiny=False).float() for step in range(3)]
    found = float32_steps(mine, xs)
    if any(dtype != torch.float32 for dtype in found["output"]):
        fail(
            f"a float32 module on float32 inputs returned outputs of dtype {found['output']}; "
            "the output keeps the input's dtype"
        )
    for name in BUFFERS:
        if found[name] != torch.float32:
            fail(
                f"after 3 training steps of a float32 module, {name} is {found[name]}; a buffer "
                "keeps the module's dtype: update it in place (mul_, add_, copy_) or assign a "
                "value of its own dtype"
            )


@pytest.mark.points(1)
def test_float32_statistics_stay_accurate_for_a_large_mean_and_a_small_spread(kata):
    # Means near 100, spreads 0.05 to 0.2: E[x^2] is about 1e4, where float32 resolves steps of
    # 1e-3, so E[x^2] - E[x]^2 loses the variance (1e-2 and below). A two-pass float32 variance
    # stays within 3e-4 of the exact output here; we accept 2e-3. eps = 1e-8 is too small to
    # matter: its placement is graded elsewhere.
    seed, eps = 1300, 1e-8
    mine, theirs = build(kata, seed, double=False, eps=eps)
    gen = rng(seed)
    spread = torch.tensor([0.1, 0.05, 0.2]).reshape(1, C, 1, 1)
    x = (100.0 + spread * torch.from_numpy(gen.normal(0, 1, (16, C, 2, 2))).float()).float()
    out = run(mine, x.clone())
    weight, bias = theirs.weight.detach().double(), theirs.bias.detach().double()
    expected = F.batch_norm(x.double(), None, None, weight, bias, training=True, eps=eps)
    dims = (0, 2, 3)
    mean32 = x.mean(dim=dims)
    one_pass = (x * x).mean(dim=dims) - mean32**2
    one_pass_out = (x - per_channel(mean32)) / (per_channel(one_pass) + eps).sqrt()
    one_pass_out = one_pass_out * per_channel(theirs.weight.detach()) + per_channel(
        theirs.bias.detach()
    )
    assert_close(
        out,
        expected,
        what="float32 training output",
        where=describe(seed, x=x) + ", channel means 100, standard deviations 0.1, 0.05, 0.2",
        rtol=0,
        atol=2e-3,
        misconceptions={MISTAKES["one-pass-variance"]: one_pass_out},
    )


@pytest.mark.points(1)
def test_one_value_per_channel_in_training_raises_value_error(kata):
    # Only the refusal is graded here; the values are graded by the output tests.
    seed = 1100
    for track in (True, False):
        mine, _ = build(kata, seed, track_running_stats=track)
        one_sample = draw(seed, (1, C, 2, 1))
        try:
            run(mine, one_sample.clone())
        except ValueError as exc:
            fail(
                f"raised ValueError ({exc}) for an input of shape (1, {C}, 2, 1): one sample is "
                "fine when H * W > 1; only a channel with a single value (N * H * W == 1) is an "
                "error"
            )
        single = draw(seed + 1, (1, C, 1, 1))
        try:
            run(mine, single.clone())
        except ValueError:
            continue
        fail(
            f"an input of shape (1, {C}, 1, 1) in training mode (track_running_stats={track}) "
            "returned without error; raise ValueError('Expected more than 1 value per channel "
            "when training, ...') as torch does: one value has no spread to normalise by"
        )


@pytest.mark.points(1)
def test_one_value_per_channel_in_evaluation(kata):
    # With running statistics, evaluation computes nothing from the batch: one value per channel
    # is fine. Without them, evaluation uses batch statistics, and one value must be refused.
    # Only the rule is graded here; the evaluation output is graded by its own test.
    seed = 1400
    single = draw(seed, (1, C, 1, 1))
    mine, _ = build(kata, seed, eps=EPS)
    gen = rng(seed + 1)
    assign(mine, "running_mean", torch.tensor(gen.normal(0, 2, C)))
    assign(mine, "running_var", torch.tensor(gen.uniform(0.5, 3.0, C)))
    mine.eval()
    where = "track_running_stats=True, eval mode, " + describe(seed, x=single)
    try:
        run(mine, single.clone())
    except ValueError as exc:
        fail(
            f"evaluation with running statistics refused an input of shape (1, {C}, 1, 1) "
            f"({exc}) [{where}]; it normalises with running_mean and running_var, so one value "
            "per channel is fine: only batch statistics need more than one"
        )
    untracked, _ = build(kata, seed, eps=EPS, track_running_stats=False)
    untracked.eval()
    try:
        run(untracked, single.clone())
    except ValueError:
        return
    fail(
        f"an input of shape (1, {C}, 1, 1) in eval mode with track_running_stats=False returned "
        "without error; evaluation then uses the batch statistics, so raise ValueError as in "
        "training (torch: 'Expected more than 1 value per channel when training')"
    )
