"""Public examples for reg/ensembles: a taste of the grading, small enough to read.

Run them with ``pytest exercises/reg/ensembles_test.py``; the hidden grader runs many more cases.
"""

import numpy as np


def test_independent_errors_average_down_as_one_over_k(kata):
    assert abs(kata.expected_ensemble_error(1.0, 0.0, 4) - 0.25) < 1e-12


def test_perfectly_correlated_errors_do_not_average_down(kata):
    assert abs(kata.expected_ensemble_error(2.0, 2.0, 10) - 2.0) < 1e-12


def test_bootstrap_rows_hold_n_indices_in_range(kata):
    idx = np.asarray(kata.bootstrap_indices(7, 3, np.random.default_rng(0)))
    assert idx.shape == (3, 7)
    assert idx.min() >= 0 and idx.max() < 7
