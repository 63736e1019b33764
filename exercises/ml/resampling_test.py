"""Public examples for ml/resampling: a taste of the grading, small enough to read.

Run them with ``pytest exercises/ml/resampling_test.py``; the hidden grader runs many more
cases when you run ``pytest exercises/ml``.
"""

import numpy as np

X = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [5.0, 5.0]])
y = np.array([0, 0, 0, 1])


def test_oversampling_repeats_the_single_minority_sample(kata):
    X_res, y_res = kata.random_oversample(X, y, np.random.default_rng(0))
    np.testing.assert_array_equal(np.bincount(y_res), [3, 3])
    np.testing.assert_array_equal(X_res[y_res == 1], [[5.0, 5.0]] * 3)


def test_balanced_class_weights(kata):
    # n / (K * n_c): 4 / (2 * 3) for class 0, 4 / (2 * 1) for class 1
    np.testing.assert_allclose(kata.class_weights(y), [2 / 3, 2.0])


def test_smote_points_lie_between_minority_samples(kata):
    # the class-0 samples lie on the x axis between 0 and 2, so every segment does too
    new = kata.smote(X, y, minority=0, n_new=20, k=1, rng=np.random.default_rng(0))
    assert new.shape == (20, 2)
    np.testing.assert_allclose(new[:, 1], 0.0)
    assert np.all((new[:, 0] >= 0.0) & (new[:, 0] <= 2.0))
