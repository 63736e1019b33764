"""Public examples for ml/feature_scaling: a taste of the grading, small enough to read.

Run them with ``pytest exercises/ml/feature_scaling_test.py``; the hidden grader runs many more
cases when you run ``pytest exercises/ml``.
"""

import numpy as np

TRAIN = np.array([[0.0, 10.0], [5.0, 10.0], [10.0, 10.0]])  # column 1 is constant


def test_min_max_reuses_the_training_range_on_new_data(kata):
    scaler = kata.MinMaxScaler().fit(TRAIN)
    np.testing.assert_allclose(scaler.data_min_, [0.0, 10.0])
    np.testing.assert_allclose(scaler.data_max_, [10.0, 10.0])
    # 20 is twice the training range: it maps to 2, outside [0, 1], and that is right;
    # the constant column has range 1, so 12 maps to 0 + (12 - 10) / 1 = 2
    out = scaler.transform(np.array([[2.0, 10.0], [20.0, 12.0]]))
    np.testing.assert_allclose(out, [[0.2, 0.0], [2.0, 2.0]])


def test_z_score_uses_the_population_std(kata):
    scaler = kata.StandardScaler().fit(TRAIN)
    np.testing.assert_allclose(scaler.mean_, [5.0, 10.0])
    np.testing.assert_allclose(scaler.scale_, [np.sqrt(50 / 3), 1.0])
    np.testing.assert_allclose(scaler.transform(TRAIN)[:, 1], 0.0)


def test_inverse_transform_undoes_transform(kata):
    scaler = kata.MinMaxScaler(feature_range=(-1.0, 1.0)).fit(TRAIN)
    new = np.array([[7.0, 11.0], [-3.0, 10.0]])
    np.testing.assert_allclose(scaler.inverse_transform(scaler.transform(new)), new)
