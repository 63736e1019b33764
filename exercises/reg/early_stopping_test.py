"""Public examples for reg/early_stopping: a taste of the grading, small enough to read.

Run them with ``pytest exercises/reg/early_stopping_test.py``; the hidden grader runs many more
cases.
"""

import numpy as np


def test_stops_after_patience_epochs_without_improvement(kata):
    stopper = kata.EarlyStopping(patience=2, min_delta=0.1)
    decisions = [stopper.step(loss, {"w": np.zeros(1)}) for loss in [1.0, 0.8, 0.75, 0.72]]
    assert decisions == [False, False, False, True]
    assert stopper.best_epoch == 1
    assert stopper.best_loss == 0.8


def test_best_weights_hold_the_values_of_the_best_epoch(kata):
    stopper = kata.EarlyStopping(patience=3)
    for epoch, loss in enumerate([3.0, 1.0, 2.0]):
        stopper.step(loss, {"w": np.full(2, float(epoch))})
    np.testing.assert_array_equal(stopper.best_weights["w"], [1.0, 1.0])
