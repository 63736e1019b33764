"""Public examples for ml/pca: a taste of the grading, small enough to read.

Run them with ``pytest exercises/ml/pca_test.py``; the hidden grader runs many more cases when
you run ``pytest exercises/ml``.
"""

import numpy as np


def test_covariance_of_three_points_on_a_line(kata):
    X = np.array([[0.0, 0.0], [2.0, 2.0], [4.0, 4.0]])
    # centred: (-2, -2), (0, 0), (2, 2); X_c^T X_c = 8 everywhere, divided by n - 1 = 2
    np.testing.assert_allclose(kata.covariance(X), [[4.0, 4.0], [4.0, 4.0]])


def test_axis_aligned_data_gives_the_axes_sorted_by_variance(kata):
    # feature 1 has variance 4, feature 0 variance 1: the first component is the y axis
    X = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 2.0], [0.0, -2.0]])
    mean, components, variance, ratio = kata.pca_fit(X, 2)
    np.testing.assert_allclose(mean, [0.0, 0.0])
    np.testing.assert_allclose(np.abs(components), [[0.0, 1.0], [1.0, 0.0]], atol=1e-12)
    # variances with the n - 1 convention: 8 / 3 and 2 / 3, which make 80 % and 20 %
    np.testing.assert_allclose(variance, [8 / 3, 2 / 3])
    np.testing.assert_allclose(ratio, [0.8, 0.2])


def test_all_components_reconstruct_the_data_exactly(kata):
    X = np.array([[1.0, 2.0, 0.0], [3.0, -1.0, 1.0], [0.0, 0.0, 5.0], [2.0, 2.0, 2.0]])
    mean, components, _, _ = kata.pca_fit(X, 3)
    Z = kata.pca_transform(X, mean, components)
    np.testing.assert_allclose(kata.pca_inverse_transform(Z, mean, components), X, atol=1e-12)
