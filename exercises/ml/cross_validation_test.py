"""Public examples for ml/cross_validation: a taste of the grading, small enough to read.

Run them with ``pytest exercises/ml/cross_validation_test.py``; the hidden grader runs many more
cases when you run ``pytest exercises/ml``.
"""

import numpy as np


def test_folds_partition_the_samples_with_sizes_within_one(kata):
    folds = kata.k_fold(23, 5, np.random.default_rng(0))
    assert sorted(len(f) for f in folds) == [4, 4, 5, 5, 5]
    assert sorted(np.concatenate(folds).tolist()) == list(range(23))


def test_stratified_folds_keep_the_class_ratio(kata):
    y = np.array([0] * 8 + [1] * 4)
    for fold in kata.stratified_k_fold(y, 4, np.random.default_rng(1)):
        assert np.bincount(y[fold], minlength=2).tolist() == [2, 1]


def test_cross_val_score_of_a_majority_vote_learner(kata):
    X, y = np.arange(6.0)[:, None], np.array([0, 0, 0, 0, 1, 1])
    folds = [np.array([0, 3, 5]), np.array([1, 2, 4])]
    scores = kata.cross_val_score(
        X,
        y,
        lambda X, y: int(np.bincount(y).argmax()),  # the model is the majority label
        lambda model, X: np.full(len(X), model),
        folds,
        lambda y, y_hat: float(np.mean(y == y_hat)),
    )
    # both rounds train on two 0s and one 1, predict 0, and get two of three right
    np.testing.assert_allclose(scores, [2 / 3, 2 / 3])
