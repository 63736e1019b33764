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


def applied_patience(kata, patience):
    """The patience the learner's step() applies: how many epochs after the best it stops, on
    losses that only get worse after epoch 0 (no tie, no min_delta, no reset involved); the
    stated patience when it does not stop there. The patience tests judge it; the tests of the
    other rules use it, so that a patience off by one costs the patience tests' points only."""
    losses = [1.0] + [2.0 + epoch for epoch in range(patience + 3)]
    try:
        _, decisions = learner_run(kata, losses, patience, 0.0)
    except Exception:  # a step() that fails fails every test on its own
        return patience
    return len(decisions) - 1 if decisions[-1] and len(decisions) > 1 else patience


def check_sequence(kata, losses, patience, min_delta, mistakes=None, *, own_patience=True):
    """The decisions only (best_epoch and best_loss have a test of their own), by the
    statement's rule with the patience the learner's step() applies, or with the stated one
    (own_patience=False: the patience tests)."""
    applied = applied_patience(kata, patience) if own_patience else patience
    where = f"losses {losses}, patience={patience}, min_delta={min_delta}"
    if applied != patience:
        where += (
            f"; your step() stops {applied} epochs after the best, not {patience} (the patience "
            f"test's concern), so the rule is judged here with {applied}"
        )
    _, decisions = learner_run(kata, losses, patience, min_delta)
    expected, _, _ = reference_run(losses, applied, min_delta)
    assert_equal(
        decisions,
        expected,
        what="step() decisions, epoch by epoch (up to the first True)",
        where=where,
        misconceptions={
            MISTAKES[name]: reference_variant(losses, applied, min_delta, name)
            for name in (mistakes or [])
        },
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
        # no improvement after the best: the count is never reset, no tie, no gain to measure
        ([5.0, 4.0, 3.0, 3.5, 3.6, 3.7, 3.8, 2.0], 3, 0.0),
    ],
)
def test_stops_after_patience_epochs_without_improvement(kata, losses, patience, min_delta):
    check_sequence(kata, losses, patience, min_delta, ["patience-off-by-one"], own_patience=False)


@pytest.mark.points(1)
def test_counter_resets_on_each_improvement(kata):
    # improvements arrive just before patience runs out, again and again
    losses = [2.0, 2.5, 2.5, 1.5, 3.0, 3.0, 1.0, 4.0, 4.0, 4.0, 0.5]
    check_sequence(kata, losses, 3, 0.0, ["patience-counter-not-reset"])


@pytest.mark.points(1)
def test_a_tie_with_the_best_loss_is_not_an_improvement(kata):
    losses = [1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
    check_sequence(kata, losses, 3, 0.0, ["improvement-inclusive"])


@pytest.mark.points(1)
def test_a_gain_of_exactly_min_delta_is_not_an_improvement(kata):
    # binary-exact values: 1.0 - 0.25 == 0.75 exactly
    losses = [1.0, 0.75, 0.75, 0.5, 0.625, 0.25]
    check_sequence(kata, losses, 2, 0.25, ["improvement-inclusive"])


@pytest.mark.points(1)
def test_min_delta_is_measured_from_the_best_loss(kata):
    # each epoch gains 0.125 < min_delta over the previous, but twice that over the best every
    # second epoch; patience 4 outlasts the epochs without improvement even when the count is
    # never reset, so only the comparison with the previous epoch stops early
    losses = [1.0, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25]
    check_sequence(kata, losses, 4, 0.1875, ["min-delta-against-previous"])


@pytest.mark.points(1)
def test_best_loss_and_best_epoch_after_every_step(kata):
    # clear gains and clear losses, patience never reached: every reading of the rule agrees on
    # the best epoch, so only the attributes are judged here
    losses, patience = [4.0, 3.0, 3.5, 2.0, 2.5, 2.75], 10
    stopper = kata.EarlyStopping(patience, 0.0)
    for epoch, loss in enumerate(losses):
        stopper.step(loss, {"w": np.full(3, float(epoch))})
        _, best_epoch, best_loss = reference_run(losses[: epoch + 1], patience, 0.0)
        where = f"after step {epoch} of losses {losses}, patience={patience}, min_delta=0.0"
        assert_equal(
            stopper.best_epoch,
            best_epoch,
            what="best_epoch (epochs are numbered 0, 1, 2, ... in the order of the calls)",
            where=where,
        )
        assert_close(
            as_number(stopper.best_loss, "best_loss"), best_loss, what="best_loss", where=where
        )


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
    (after epoch e every weight equals e); then restore() into the same dict. Last, the arrays
    are overwritten with -1, which stored best weights that share them show."""
    import numpy as np
    import torch

    if use_torch:
        model = {"w": torch.zeros(2, 3, dtype=torch.float64), "b": torch.zeros(3)}
    else:
        model = {"w": np.zeros((2, 3)), "b": np.zeros(3)}
    arrays = dict(model)  # what "the model" holds, whatever restore does to the dict
    stopper = cls(patience, min_delta)
    last = None
    for epoch, loss in enumerate(losses):
        for value in model.values():
            value[...] = float(epoch)
        last = epoch
        if stopper.step(loss, model):
            break

    def read(weights):
        if weights is None:
            return None
        return {k: np.array(v, dtype=np.float64) for k, v in weights.items()}

    best = read(stopper.best_weights)
    stopper.restore(model)
    restored = read(arrays)
    for value in arrays.values():
        value[...] = -1.0
    later = read(stopper.best_weights)
    aliased = later is not None and any(np.all(v == -1.0) for v in later.values())
    return {"last": last, "best": best, "restored": restored, "aliased": aliased}


# best at epoch 2; no later epoch comes near it, so every reading of the stopping rule (and the
# epoch it stops at) agrees that epoch 2 is the best: these tests judge the weights alone
LOSSES = [3.0, 2.0, 1.0, 1.5, 1.6, 1.7, 1.8, 1.9]
BEST_EPOCH = 2


def weights_mistake(run):
    """The known mistake that stored weights equal to the last epoch's show, if any."""
    if run["aliased"]:
        return MISTAKES["weights-aliased-not-copied"]
    return MISTAKES["restores-last-weights"]


def check_best_weights(run, where):
    best = run["best"]
    if best is None or sorted(best) != ["b", "w"]:
        fail(f"best_weights: expected a dict with keys ['b', 'w'], got {best!r} [{where}]")
    for name, value in best.items():
        if np.all(value == BEST_EPOCH):
            continue
        message = (
            f"best_weights[{name!r}]: expected the weights of epoch {BEST_EPOCH} (every value "
            f"{float(BEST_EPOCH)}), got {value.tolist()} [{where}]"
        )
        if value.size and np.all(value == run["last"]) and run["last"] != BEST_EPOCH:
            # the last epoch's values: either they were stored, or the arrays are shared
            fail(
                f"{message}; these are the weights of the last epoch, {run['last']}",
                weights_mistake(run),
            )
        fail(message)


@pytest.mark.points(2)
def test_best_weights_are_a_copy_taken_at_the_best_epoch(kata):
    where = f"losses {LOSSES}, patience 3; the loop changes the same arrays in place each epoch"
    check_best_weights(train_in_place(kata.EarlyStopping, LOSSES, 3, 0.0, False), where)


def check_restored(run, where):
    """restore() writes the stored weights into the caller's arrays: the arrays must hold the
    best epoch's values, or exactly what best_weights held (right or wrong, that copy is
    test_best_weights_are_a_copy_taken_at_the_best_epoch's promise)."""
    best = run["best"] if isinstance(run["best"], dict) else {}
    for name, value in run["restored"].items():
        stored = best.get(name)
        if np.all(value == BEST_EPOCH) or (
            stored is not None and stored.shape == value.shape and np.array_equal(stored, value)
        ):
            continue
        message = (
            f"after restore(), the model's array {name!r} holds {value.tolist()}; expected the "
            f"weights of the best epoch {BEST_EPOCH} (every value {float(BEST_EPOCH)}), which "
            f"best_weights holds, written into the array [{where}]"
        )
        if np.all(value == run["last"]):
            message += naming(MISTAKES["restore-rebinds-not-copies"])
        fail(message)


@pytest.mark.points(2)
def test_restore_writes_the_best_weights_into_the_model_arrays(kata):
    where = f"losses {LOSSES}, patience 3; restore(weights) after stopping"
    check_restored(train_in_place(kata.EarlyStopping, LOSSES, 3, 0.0, False), where)


@pytest.mark.points(1)
def test_works_with_a_torch_state_dict(kata):
    # the promise: tensors work as NumPy arrays do. The torch run is judged against the right
    # weights or against the learner's own NumPy run (whose values the tests above judge).
    where = f"losses {LOSSES}, patience 3, weights are torch tensors"
    try:
        run = train_in_place(kata.EarlyStopping, LOSSES, 3, 0.0, True)
    except Exception as exc:
        fail(f"a state_dict of torch tensors failed: {type(exc).__name__}: {exc} [{where}]")
    try:
        with_numpy = train_in_place(kata.EarlyStopping, LOSSES, 3, 0.0, False)
    except Exception:
        with_numpy = None

    def same(a, b):
        return (
            isinstance(a, dict)
            and isinstance(b, dict)
            and sorted(a) == sorted(b)
            and all(a[k].shape == b[k].shape and np.array_equal(a[k], b[k]) for k in a)
        )

    if with_numpy is not None and same(run["best"], with_numpy["best"]):
        pass  # as with NumPy arrays
    else:
        check_best_weights(run, where)
    if with_numpy is None or not same(run["restored"], with_numpy["restored"]):
        check_restored(run, where)
