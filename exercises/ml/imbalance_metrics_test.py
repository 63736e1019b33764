"""Public examples for ml/imbalance_metrics: a taste of the grading, small enough to read.

Run them with ``pytest exercises/ml/imbalance_metrics_test.py``; the hidden grader runs many
more cases when you run ``pytest exercises/ml``.
"""

import numpy as np


def test_counts_precision_recall_and_kappa_of_a_small_case(kata):
    y_true = np.array([1, 1, 1, 0, 0, 0, 0, 0])
    y_pred = np.array([1, 1, 0, 1, 0, 0, 0, 0])  # TP 2, FN 1, FP 1, TN 4
    np.testing.assert_array_equal(kata.confusion_matrix(y_true, y_pred), [[4, 1], [1, 2]])
    assert np.isclose(kata.precision(y_true, y_pred), 2 / 3)
    assert np.isclose(kata.recall(y_true, y_pred), 2 / 3)
    # p_o = 6/8; by chance p_e = (5/8)(5/8) + (3/8)(3/8) = 34/64; kappa = (48 - 34) / (64 - 34)
    assert np.isclose(kata.cohen_kappa(y_true, y_pred), 14 / 30)


def test_a_tied_pair_counts_half_in_roc_auc(kata):
    # positives score 0.4 and 0.8, negatives 0.1 and 0.4: three pairs won, one tied, of four
    auc = kata.roc_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.4, 0.8]))
    assert np.isclose(auc, 3.5 / 4)


def test_always_predicting_the_majority_is_accurate_and_useless(kata):
    y_true = np.array([0] * 9 + [1])
    report = kata.majority_baseline(y_true)
    assert np.isclose(report["accuracy"], 0.9)
    # nothing is predicted positive: precision 0 by convention, recall 0 / 1, F1 0
    assert report["precision"] == 0.0 and report["recall"] == 0.0 and report["f1"] == 0.0
