"""Hidden grader for optim/lr_schedules; the oracle is torch.optim.lr_scheduler.

Each schedule is compared, epoch by epoch, with the learning rates that torch's scheduler puts in
a dummy optimiser's param group (one ``optimizer.step(); scheduler.step()`` per epoch).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler

from katakit import misconceptions
from katakit.checks import as_number, assert_close, describe, fail, rng
from katakit.sandbox import kind_of

MISTAKES = misconceptions.of(__file__)


def dummy_optimizer(lr):
    return torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)


def torch_lrs(lr, make_scheduler, epochs):
    """The learning rate in effect during each of epochs 0 .. epochs - 1."""
    optimizer = dummy_optimizer(lr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = make_scheduler(optimizer)
        lrs = []
        for _ in range(epochs):
            lrs.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            scheduler.step()
    return np.array(lrs)


def learner_lrs(function, base_lr, epochs, what, **kwargs):
    return np.array(
        [as_number(function(base_lr, e, **kwargs), f"{what} at epoch {e}") for e in range(epochs)]
    )


def assert_schedule(actual, expected, *, what, where, misconceptions):
    """Compare whole sequences, but name the first epoch where they part."""
    __tracebackhide__ = True
    differs = ~np.isclose(actual, expected, rtol=1e-9, atol=1e-15)
    if differs.any():
        first = int(np.argmax(differs))
        where = f"{where}; first wrong at epoch {first}: expected {expected[first]:.6g}, " + (
            f"got {actual[first]:.6g}"
        )
    assert_close(
        actual,
        expected,
        what=what,
        where=where,
        rtol=1e-9,
        atol=1e-15,
        misconceptions=misconceptions,
    )


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "base_lr, step_size, gamma", [(0.1, 3, 0.5), (1.0, 1, 0.9), (0.05, 7, 0.1)]
)
def test_step_lr_matches_torch(kata, base_lr, step_size, gamma):
    epochs = 40
    expected = torch_lrs(base_lr, lambda o: lr_scheduler.StepLR(o, step_size, gamma), epochs)
    actual = learner_lrs(kata.step_lr, base_lr, epochs, "step_lr", step_size=step_size, gamma=gamma)
    e = np.arange(epochs)
    assert_schedule(
        actual,
        expected,
        what="step_lr over epochs 0 .. 39",
        where=describe(base_lr=base_lr, step_size=step_size, gamma=gamma),
        misconceptions={
            MISTAKES["step-lr-one-epoch-early"]: base_lr * gamma ** ((e + 1) // step_size),
            MISTAKES["step-lr-smooth"]: (base_lr * gamma ** (e / step_size)),
        },
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("base_lr, gamma", [(0.1, 0.95), (2.0, 0.5)])
def test_exponential_lr_matches_torch(kata, base_lr, gamma):
    epochs = 40
    expected = torch_lrs(base_lr, lambda o: lr_scheduler.ExponentialLR(o, gamma), epochs)
    actual = learner_lrs(kata.exponential_lr, base_lr, epochs, "exponential_lr", gamma=gamma)
    e = np.arange(epochs)
    assert_schedule(
        actual,
        expected,
        what="exponential_lr over epochs 0 .. 39",
        where=describe(base_lr=base_lr, gamma=gamma),
        misconceptions={
            MISTAKES["exponential-one-epoch-ahead"]: (base_lr * gamma ** (e + 1)),
        },
    )


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "base_lr, t_max, eta_min, epochs",
    [(0.1, 10, 0.0, 26), (1.0, 7, 0.05, 30), (0.5, 1, 0.1, 6), (0.2, 25, 0.01, 60)],
)
def test_cosine_lr_matches_torch(kata, base_lr, t_max, eta_min, epochs):
    # Past t_max torch's rate climbs back up: the formula is a cosine, not clamped at eta_min.
    expected = torch_lrs(
        base_lr, lambda o: lr_scheduler.CosineAnnealingLR(o, t_max, eta_min), epochs
    )
    actual = learner_lrs(kata.cosine_lr, base_lr, epochs, "cosine_lr", t_max=t_max, eta_min=eta_min)
    e = np.arange(epochs)
    assert_schedule(
        actual,
        expected,
        what=f"cosine_lr over epochs 0 .. {epochs - 1}",
        where=describe(base_lr=base_lr, t_max=t_max, eta_min=eta_min),
        misconceptions={
            MISTAKES["cosine-eta-min-ignored"]: base_lr * (1 + np.cos(np.pi * e / t_max)) / 2,
            MISTAKES["cosine-held-after-t-max"]: (
                eta_min
                + (base_lr - eta_min) * (1 + np.cos(np.pi * np.minimum(e, t_max) / t_max)) / 2
            ),
            MISTAKES["cosine-eta-min-added"]: eta_min
            + base_lr * (1 + np.cos(np.pi * e / t_max)) / 2,
        },
    )


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "base_lr, start_factor, end_factor, total_iters",
    [(0.1, 0.1, 1.0, 5), (1.0, 1.0 / 3.0, 1.0, 4), (0.3, 1.0, 0.2, 8), (0.5, 0.01, 1.0, 1)],
)
def test_linear_warmup_matches_torch(kata, base_lr, start_factor, end_factor, total_iters):
    epochs = 20
    expected = torch_lrs(
        base_lr,
        lambda o: lr_scheduler.LinearLR(o, start_factor, end_factor, total_iters),
        epochs,
    )
    actual = learner_lrs(
        kata.linear_warmup_lr,
        base_lr,
        epochs,
        "linear_warmup_lr",
        start_factor=start_factor,
        end_factor=end_factor,
        total_iters=total_iters,
    )
    e = np.arange(epochs)
    span = end_factor - start_factor
    early = np.minimum(e, max(total_iters - 1, 1)) / max(total_iters - 1, 1)
    assert_schedule(
        actual,
        expected,
        what="linear_warmup_lr over epochs 0 .. 19",
        where=describe(
            base_lr=base_lr,
            start_factor=start_factor,
            end_factor=end_factor,
            total_iters=total_iters,
        ),
        misconceptions={
            MISTAKES["warmup-ends-one-epoch-early"]: base_lr * (start_factor + span * early),
            MISTAKES["warmup-not-clamped"]: (base_lr * (start_factor + span * e / total_iters)),
        },
    )


@pytest.mark.points(2)
@pytest.mark.parametrize(
    "base_lr, warmup_epochs, t_max, start_factor, eta_min",
    [(0.1, 5, 20, 0.01, 0.001), (1.0, 3, 8, 0.25, 0.0)],
)
def test_warmup_cosine_matches_torch_sequential_lr(
    kata, base_lr, warmup_epochs, t_max, start_factor, eta_min
):
    epochs = warmup_epochs + t_max + 5

    def make(optimizer):
        warmup = lr_scheduler.LinearLR(optimizer, start_factor, total_iters=warmup_epochs)
        cosine = lr_scheduler.CosineAnnealingLR(optimizer, t_max, eta_min)
        return lr_scheduler.SequentialLR(optimizer, [warmup, cosine], [warmup_epochs])

    expected = torch_lrs(base_lr, make, epochs)
    actual = learner_lrs(
        kata.warmup_cosine_lr,
        base_lr,
        epochs,
        "warmup_cosine_lr",
        warmup_epochs=warmup_epochs,
        t_max=t_max,
        start_factor=start_factor,
        eta_min=eta_min,
    )
    e = np.arange(epochs)
    warm = base_lr * (
        start_factor + (1 - start_factor) * np.minimum(e, warmup_epochs) / warmup_epochs
    )
    absolute = eta_min + (base_lr - eta_min) * (1 + np.cos(np.pi * e / t_max)) / 2
    assert_schedule(
        actual,
        expected,
        what=f"warmup_cosine_lr over epochs 0 .. {epochs - 1}",
        where=describe(
            base_lr=base_lr,
            warmup_epochs=warmup_epochs,
            t_max=t_max,
            start_factor=start_factor,
            eta_min=eta_min,
        ),
        misconceptions={
            MISTAKES["cosine-absolute-epoch"]: np.where(e < warmup_epochs, warm, absolute),
        },
    )


# -- ReduceLROnPlateau -----------------------------------------------------------------------------


def torch_plateau(lr, metrics, **kwargs):
    optimizer = dummy_optimizer(lr)
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, **kwargs)
    lrs = []
    for metric in metrics:
        optimizer.step()
        scheduler.step(metric)
        lrs.append(optimizer.param_groups[0]["lr"])
    return np.array(lrs)


def plateau_variant(
    lr,
    metrics,
    *,
    patience_off_by_one=False,
    ignore_threshold=False,
    cooldown_keeps_count=False,
    tie_is_better=False,
    **kw,
):
    """A small simulation of four classic mistakes, for mode='min' only."""
    factor, patience = kw.get("factor", 0.1), kw.get("patience", 10)
    threshold, cooldown = kw.get("threshold", 1e-4), kw.get("cooldown", 0)
    min_lr = kw.get("min_lr", 0.0)
    best, bad, cool, out = math.inf, 0, 0, []
    for metric in metrics:
        bar = best if ignore_threshold else best * (1 - threshold)
        if metric < bar or (tie_is_better and metric == bar):
            best, bad = metric, 0
        else:
            bad += 1
        if cool > 0:
            cool, bad = cool - 1, bad if cooldown_keeps_count else 0
        if (bad >= patience) if patience_off_by_one else (bad > patience):
            new = max(lr * factor, min_lr)
            lr = new if lr - new > 1e-8 else lr
            cool, bad = cooldown, 0
        out.append(lr)
    return np.array(out)


def noisy_loss(seed, epochs):
    """A loss that falls, plateaus, falls again: the shape that triggers reductions."""
    gen = rng(seed)
    drops = np.repeat(gen.uniform(0.5, 0.9, epochs // 8 + 1), 8)[:epochs]
    trend = np.cumprod(np.where(gen.uniform(size=epochs) < 0.35, drops, 1.0))
    return trend * (1 + 0.02 * gen.normal(size=epochs)) + 0.1


def learner_plateau(kata, lr, metrics, **kwargs):
    plateau = kata.ReduceLROnPlateau(lr, **kwargs)
    return np.array(
        [
            as_number(plateau.step(m), f"ReduceLROnPlateau.step at epoch {k}")
            for k, m in enumerate(metrics)
        ]
    )


def check_plateau(kata, seed, lr, metrics, kwargs, mistakes=True, patience_elsewhere=False):
    """Compare with torch; with ``patience_elsewhere``, a run that is torch's with patience - 1
    (a reduction once the bad epochs *reach* patience) passes too: the tests of thresholds,
    cooldown, min_lr and modes judge their own rule, and the patience rule costs its own points
    in test_plateau_matches_torch_on_noisy_losses."""
    expected = torch_plateau(lr, metrics, **kwargs)
    actual = learner_plateau(kata, lr, metrics, **kwargs)
    if patience_elsewhere and np.allclose(
        actual,
        torch_plateau(lr, metrics, **(kwargs | {"patience": kwargs.get("patience", 10) - 1})),
        rtol=1e-9,
        atol=1e-15,
    ):
        return
    misconceptions = {}
    if (
        mistakes
        and kwargs.get("mode", "min") == "min"
        and kwargs.get("threshold_mode", "rel") == "rel"
    ):
        misconceptions = {
            MISTAKES["plateau-reduces-at-patience"]: plateau_variant(
                lr, metrics, patience_off_by_one=True, **kwargs
            ),
            MISTAKES["plateau-threshold-ignored"]: plateau_variant(
                lr, metrics, ignore_threshold=True, **kwargs
            ),
        }
        if kwargs.get("cooldown", 0) > 0:
            misconceptions[MISTAKES["plateau-cooldown-counts-bad-epochs"]] = plateau_variant(
                lr, metrics, cooldown_keeps_count=True, **kwargs
            )
    assert_schedule(
        actual,
        expected,
        what=f"ReduceLROnPlateau learning rates after each of {len(metrics)} steps",
        where=describe(seed, **kwargs),
        misconceptions=misconceptions,
    )


@pytest.mark.points(1)
def test_schedules_return_python_floats(kata):
    results = {
        "step_lr(0.1, 3, step_size=2)": kata.step_lr(0.1, 3, step_size=2),
        "exponential_lr(0.1, 3, gamma=0.9)": kata.exponential_lr(0.1, 3, gamma=0.9),
        "cosine_lr(0.1, 3, t_max=10)": kata.cosine_lr(0.1, 3, t_max=10),
        "linear_warmup_lr(0.1, 2)": kata.linear_warmup_lr(0.1, 2),
        "warmup_cosine_lr(0.1, 7, warmup_epochs=3, t_max=10, start_factor=0.1)": (
            kata.warmup_cosine_lr(0.1, 7, warmup_epochs=3, t_max=10, start_factor=0.1)
        ),
        "ReduceLROnPlateau(0.1).step(1.0)": kata.ReduceLROnPlateau(0.1).step(1.0),
    }
    # float subclasses (numpy.float64) are floats too; a tensor or a 0-d array is not.
    wrong = [
        f"{call} -> {kind_of(value)}"
        for call, value in results.items()
        if not isinstance(value, float)
    ]
    if wrong:
        fail(
            "the statement asks every schedule for a Python float; got "
            + "; ".join(wrong)
            + ". Compute with math (or convert with float(...)) rather than returning a tensor "
            "or an array"
        )


@pytest.mark.points(2)
@pytest.mark.parametrize(
    "seed, kwargs",
    [
        (11, {"factor": 0.5, "patience": 2}),
        (12, {"factor": 0.1, "patience": 0}),
        (13, {"factor": 0.3, "patience": 4, "threshold": 1e-2}),
    ],
)
def test_plateau_matches_torch_on_noisy_losses(kata, seed, kwargs):
    check_plateau(kata, seed, 0.1, noisy_loss(seed, 80), kwargs)


@pytest.mark.points(1)
def test_plateau_relative_threshold_ignores_tiny_improvements(kata):
    # The loss keeps falling, but by 0.03% per epoch, under 1% in all 30 epochs: with threshold
    # 1e-2 (rel) none of it counts, so the rate halves after every patience + 1 bad epochs. (An
    # absolute 1e-2 on losses near 10 is only 0.1%: it would count the later epochs as better.)
    metrics = 10.0 * 0.9997 ** np.arange(30)
    check_plateau(
        kata,
        None,
        1.0,
        metrics,
        {"factor": 0.5, "patience": 3, "threshold": 1e-2},
        patience_elsewhere=True,
    )


@pytest.mark.points(1)
def test_plateau_metric_exactly_at_the_threshold_is_not_better(kata):
    # threshold 0.5 (rel): the bar is best * 0.5, and every metric halves exactly onto it,
    # or below it. "Better" is strictly below the bar (torch: metric < best * (1 - threshold)).
    # Patience 1, so that a tie counted as better shows also in a run that reduces once the bad
    # epochs reach patience (torch's with patience 0: that mistake costs its own test's points).
    metrics = np.array([2.0, 1.0, 0.5, 0.4, 0.2, 0.2, 0.1, 0.05, 0.01, 0.01])
    kwargs = {"factor": 0.5, "patience": 1, "threshold": 0.5}
    expected = torch_plateau(1.0, metrics, **kwargs)
    actual = learner_plateau(kata, 1.0, metrics, **kwargs)
    reaching = torch_plateau(1.0, metrics, **(kwargs | {"patience": 0}))
    if np.allclose(actual, reaching, rtol=1e-9, atol=1e-15):
        return
    assert_schedule(
        actual,
        expected,
        what=f"ReduceLROnPlateau learning rates for the metrics {metrics.tolist()}",
        where=describe(**kwargs) + "; several metrics land exactly on best * (1 - threshold)",
        misconceptions={
            MISTAKES["plateau-tie-is-better"]: plateau_variant(
                1.0, metrics, tie_is_better=True, **kwargs
            ),
        },
    )


@pytest.mark.points(1)
def test_plateau_cooldown_ignores_bad_epochs(kata):
    check_plateau(
        kata,
        21,
        0.1,
        noisy_loss(21, 80),
        {"factor": 0.5, "patience": 1, "cooldown": 3},
        patience_elsewhere=True,
    )


@pytest.mark.points(1)
def test_plateau_respects_min_lr_and_eps(kata):
    # Constant loss: a reduction after every patience + 1 epochs until min_lr, or until a
    # reduction would change the rate by less than eps (1e-6 -> 1e-7 -> 1e-8, then 9e-9 < eps).
    flat = np.ones(40)
    for lr, kwargs in [
        (0.1, {"factor": 0.5, "patience": 2, "min_lr": 0.01}),
        (1e-6, {"factor": 0.1, "patience": 1}),
    ]:
        check_plateau(kata, None, lr, flat, kwargs, patience_elsewhere=True)


@pytest.mark.points(1)
@pytest.mark.parametrize("threshold_mode", ["rel", "abs"])
def test_plateau_mode_max_and_abs_threshold(kata, threshold_mode):
    seed = 31
    accuracy = 1.0 - noisy_loss(seed, 80) / 2
    check_plateau(
        kata,
        seed,
        0.1,
        accuracy,
        {
            "mode": "max",
            "factor": 0.5,
            "patience": 2,
            "threshold": 5e-3,
            "threshold_mode": threshold_mode,
        },
        patience_elsewhere=True,
    )
    losses = noisy_loss(seed + 1, 80)
    check_plateau(
        kata,
        seed + 1,
        0.1,
        losses,
        {
            "mode": "min",
            "factor": 0.5,
            "patience": 2,
            "threshold": 2e-2,
            "threshold_mode": threshold_mode,
        },
        patience_elsewhere=True,
    )


@pytest.mark.points(1)
def test_plateau_instances_are_independent(kata):
    # Two schedulers stepped alternately must give what two fresh ones gave stepped one after the
    # other: state on the class or the module mixes them. The learner's own solo runs are the
    # oracle, so only the separation of state is judged here, not the reduction rules.
    kwargs = {"factor": 0.5, "patience": 0}
    series = [[1.0, 1.0, 1.0, 1.0], [5.0, 4.0, 4.5, 3.0]]
    alone = [learner_plateau(kata, 1.0, metrics, **kwargs) for metrics in series]
    first, second = (kata.ReduceLROnPlateau(1.0, **kwargs) for _ in series)
    mixed = [[], []]
    for k in range(len(series[0])):
        for i, plateau in enumerate((first, second)):
            mixed[i].append(as_number(plateau.step(series[i][k]), f"instance {i + 1}: step"))
    for i in range(2):
        if not np.array_equal(np.array(mixed[i]), alone[i]):
            fail(
                f"two ReduceLROnPlateau(1.0, factor=0.5, patience=0) stepped alternately with the "
                f"metrics {series[0]} and {series[1]}: instance {i + 1} returned {mixed[i]}, but "
                f"a fresh instance stepped alone returned {alone[i].tolist()}; keep best, the "
                "counters and lr on self, not on the class or module"
            )
