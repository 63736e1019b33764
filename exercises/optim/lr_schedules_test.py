"""Public examples for optim/lr_schedules: a taste of the grading, small enough to read.

Run them with ``pytest exercises/optim/lr_schedules_test.py``; the hidden grader compares every
schedule with torch.optim.lr_scheduler over many epochs when you run ``pytest exercises/optim``.
"""

import math


def test_step_lr_decays_at_multiples_of_step_size(kata):
    lrs = [kata.step_lr(1.0, e, step_size=2, gamma=0.5) for e in range(5)]
    assert [round(lr, 12) for lr in lrs] == [1.0, 1.0, 0.5, 0.5, 0.25]


def test_cosine_reaches_eta_min_at_t_max_and_is_halfway_at_half_t_max(kata):
    assert math.isclose(kata.cosine_lr(1.0, 0, t_max=10, eta_min=0.2), 1.0)
    assert math.isclose(kata.cosine_lr(1.0, 5, t_max=10, eta_min=0.2), 0.6)
    assert math.isclose(kata.cosine_lr(1.0, 10, t_max=10, eta_min=0.2), 0.2)


def test_plateau_waits_for_more_than_patience_bad_epochs(kata):
    plateau = kata.ReduceLROnPlateau(1.0, factor=0.5, patience=1)
    lrs = [plateau.step(m) for m in [3.0, 2.0, 2.0, 2.0, 1.0, 1.0, 1.0]]
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]
