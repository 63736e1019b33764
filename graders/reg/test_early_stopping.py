"""Hidden grader for reg/early_stopping.

Oracle: the statement's rule, written out here as a few lines (``reference_run``), on scripted
validation-loss sequences chosen so that each boundary shows (ties, a gain of exactly min_delta,
with binary-exact floats so that the boundary is exact). The learner's EarlyStopping objects live
in the learner's process; the in-place training loops run there as probes.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from katakit import misconceptions
from katakit.checks import as_number, as_plain, assert_close, assert_equal, fail, naming
from katakit.sandbox import probe

MISTAKES = misconceptions.of(__file__)


def reference_run(losses, patience, min_delta):
    """Decisions up to the first True, the best epoch and the best loss (the statement's rule)."""
    best, best_epoch, wait, decisions = math.inf, -1, 0, []
    for epoch, loss in enumerate(losses):
        if loss < best - min_delta:
            best, best_epoch, wait = loss, epoch, 0
        else:
            wait += 1
        decisions.append(wait >= patience)
        if decisions[-1]:
            break
    return decisions, best_epoch, best


def learner_run(kata, losses, patience, min_delta):
    stopper = kata.EarlyStopping(patience, min_delta)
    decisions = []
    for epoch, loss in enumerate(losses):
        decision = as_plain(stopper.step(loss, {"w": np.full(3, float(epoch))}), "step()")
        if not isinstance(decision, bool):
            fail(f"step() must return a bool, got {decision!r}")
        decisions.append(decision)
        if decision:
            break
    return stopper, decisions


def check_sequence(kata, losses, patience, min_delta, mistakes=None):
    where = f"losses {losses}, patience={patience}, min_delta={min_delta}"
    stopper, decisions = learner_run(kata, losses, patience, min_delta)
    expected, best_epoch, best_loss = reference_run(losses, patience, min_delta)
    assert_equal(
        decisions,
        expected,
        what="step() decisions, epoch by epoch (up to the first True)",
        where=where,
        misconceptions={
            MISTAKES[name]: reference_variant(losses, patience, min_delta, name)
            for name in (mistakes or [])
        },
    )
    assert_equal(stopper.best_epoch, best_epoch, what="best_epoch", where=where)
    assert_close(
        as_number(stopper.best_loss, "best_loss"), best_loss, what="best_loss", where=where
    )


def reference_variant(losses, patience, min_delta, name):
    """What the named mistake decides, for the message."""
    best, previous, wait, decisions = math.inf, math.inf, 0, []
    for loss in losses:
        if name == "improvement-inclusive":
            better = loss <= best - min_delta
        elif name == "min-delta-against-previous":
            better = loss < previous - min_delta
        else:
            better = loss < best - min_delta
        previous = loss
        if better:
            best = min(best, loss)
            wait = wait if name == "patience-counter-not-reset" else 0
        else:
            wait += 1
        decisions.append(wait > patience if name == "patience-off-by-one" else wait >= patience)
        if decisions[-1]:
            break
    return decisions


@pytest.mark.points(2)
@pytest.mark.parametrize(
    "losses, patience, min_delta",
    [
        ([1.0, 0.8, 0.75, 0.72, 0.69, 0.5], 2, 0.1),
        ([5.0, 4.0, 4.5, 4.2, 3.0, 3.5, 3.6, 3.7, 2.0], 3, 0.0),
    ],
)
def test_stops_after_patience_epochs_without_improvement(kata, losses, patience, min_delta):
    check_sequence(
        kata, losses, patience, min_delta, ["patience-off-by-one", "patience-counter-not-reset"]
    )


@pytest.mark.points(1)
def test_counter_resets_on_each_improvement(kata):
    # improvements arrive just before patience runs out, again and again
    losses = [2.0, 2.5, 2.5, 1.5, 3.0, 3.0, 1.0, 4.0, 4.0, 4.0, 0.5]
    check_sequence(kata, losses, 3, 0.0, ["patience-counter-not-reset", "patience-off-by-one"])


@pytest.mark.points(1)
def test_a_tie_with_the_best_loss_is_not_an_improvement(kata):
    losses = [1.0, 0.5, 0.5, 0.5, 0.5]
    check_sequence(kata, losses, 3, 0.0, ["improvement-inclusive"])


@pytest.mark.points(1)
def test_a_gain_of_exactly_min_delta_is_not_an_improvement(kata):
    # binary-exact values: 1.0 - 0.25 == 0.75 exactly
    losses = [1.0, 0.75, 0.75, 0.5, 0.625, 0.25]
    check_sequence(kata, losses, 2, 0.25, ["improvement-inclusive"])


@pytest.mark.points(1)
def test_min_delta_is_measured_from_the_best_loss(kata):
    # each epoch gains 0.125 < min_delta over the previous, but twice that over the best
    losses = [1.0, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25]
    check_sequence(kata, losses, 2, 0.1875, ["min-delta-against-previous"])


@pytest.mark.points(1)
def test_invalid_arguments_raise_value_error(kata):
    for patience, min_delta in [(0, 0.0), (-1, 0.0), (2, -0.1)]:
        try:
            kata.EarlyStopping(patience, min_delta)
        except ValueError:
            continue
        except Exception as exc:
            fail(
                f"EarlyStopping({patience}, {min_delta}): expected ValueError, "
                f"got {type(exc).__name__}"
            )
        fail(f"EarlyStopping({patience}, {min_delta}): expected ValueError, nothing was raised")


# ---------------------------------------------------------------- weights, in the learner's process


@probe
def train_in_place(cls, losses, patience, min_delta, use_torch):
    """A training loop on the learner's side: one set of arrays, changed in place every epoch
    (after epoch e every weight equals e); then restore() into the same dict."""
    import numpy as np
    import torch

    if use_torch:
        model = {"w": torch.zeros(2, 3, dtype=torch.float64), "b": torch.zeros(3)}
    else:
        model = {"w": np.zeros((2, 3)), "b": np.zeros(3)}
    arrays = dict(model)  # what "the model" holds, whatever restore does to the dict
    stopper = cls(patience, min_delta)
    stopped = None
    for epoch, loss in enumerate(losses):
        for value in model.values():
            value[...] = float(epoch)
        if stopper.step(loss, model):
            stopped = epoch
            break
    best = stopper.best_weights
    best = None if best is None else {k: np.array(v, dtype=np.float64) for k, v in best.items()}
    stopper.restore(model)
    restored = {k: np.array(v, dtype=np.float64) for k, v in arrays.items()}
    return stopped, best, restored


LOSSES = [3.0, 2.0, 1.0, 1.5, 1.2, 1.1, 1.05, 0.2]  # best at epoch 2, stop at epoch 5


def check_best_weights(best, best_epoch, where):
    if best is None or sorted(best) != ["b", "w"]:
        fail(f"best_weights: expected a dict with keys ['b', 'w'], got {best!r} [{where}]")
    for name, value in best.items():
        last = np.full_like(value, float(value.flat[0]))
        if not np.all(value == best_epoch):
            mistake = (
                MISTAKES["restores-last-weights"]
                if np.array_equal(value, last) and value.flat[0] == 5
                else None
            )
            fail(
                f"best_weights[{name!r}]: expected the weights of epoch {best_epoch} (every value "
                f"{float(best_epoch)}), got {value.tolist()} [{where}]"
                + (naming(mistake) if mistake else "")
            )


@pytest.mark.points(2)
def test_best_weights_are_a_copy_taken_at_the_best_epoch(kata):
    where = f"losses {LOSSES}, patience 3; the loop changes the same arrays in place each epoch"
    stopped, best, _ = train_in_place(kata.EarlyStopping, LOSSES, 3, 0.0, False)
    if stopped != 5:
        fail(f"expected step() to return True at epoch 5, it stopped at {stopped} [{where}]")
    if best is not None and all(np.all(v == 5.0) for v in best.values()):
        # epoch 5's values: either the last weights were stored, or the arrays are shared
        fail(
            f"best_weights hold the values of the last epoch (5), not of epoch 2 [{where}]\n"
            f"  This matches a known mistake: {MISTAKES['weights-aliased-not-copied']} (or "
            f"{MISTAKES['restores-last-weights']})."
        )
    check_best_weights(best, 2, where)


@pytest.mark.points(2)
def test_restore_writes_the_best_weights_into_the_model_arrays(kata):
    where = f"losses {LOSSES}, patience 3; restore(weights) after stopping"
    _, _, restored = train_in_place(kata.EarlyStopping, LOSSES, 3, 0.0, False)
    for name, value in restored.items():
        if not np.all(value == 2.0):
            message = (
                f"after restore(), the model's array {name!r} holds {value.tolist()}; expected "
                f"the weights of the best epoch 2 (every value 2.0) [{where}]"
            )
            if np.all(value == 5.0):
                message += (
                    f"\n  This matches a known mistake: {MISTAKES['restore-rebinds-not-copies']} "
                    f"(or {MISTAKES['restores-last-weights']})."
                )
            fail(message)


@pytest.mark.points(1)
def test_works_with_a_torch_state_dict(kata):
    where = f"losses {LOSSES}, patience 3, weights are torch tensors"
    try:
        _, best, restored = train_in_place(kata.EarlyStopping, LOSSES, 3, 0.0, True)
    except Exception as exc:
        fail(f"a state_dict of torch tensors failed: {type(exc).__name__}: {exc} [{where}]")
    check_best_weights(best, 2, where)
    for name, value in restored.items():
        if not np.all(value == 2.0):
            fail(f"after restore(), tensor {name!r} holds {value.tolist()}; expected 2.0 [{where}]")
