"""Public examples for bn/norm_family: a taste of the grading, small enough to read.

Run them with ``pytest exercises/bn/norm_family_test.py``; the hidden grader runs many more
cases when you run ``pytest exercises/bn``.
"""

import numpy as np


def test_layer_norm_normalises_each_sample_on_its_own(kata):
    # Row 0 has mean 2 and variance 1; row 1 has mean 20 and variance 100.
    x = np.array([[1.0, 3.0], [10.0, 30.0]])
    out = kata.layer_norm(x, gamma=np.array([2.0, 1.0]), beta=np.array([0.0, 5.0]), eps=0.0)
    np.testing.assert_allclose(out, [[-2.0, 6.0], [-2.0, 6.0]])


def test_instance_norm_normalises_each_channel_over_its_pixels(kata):
    # Sample 0: channel 0 holds 0, 2 (mean 1, variance 1); channel 1 holds 5, 5 (variance 0).
    x = np.array([[[[0.0, 2.0]], [[5.0, 5.0]]]])  # shape (1, 2, 1, 2)
    # A tiny eps keeps the constant channel finite: 0 / sqrt(0 + eps) = 0.
    out = kata.instance_norm(x, eps=1e-12)
    np.testing.assert_allclose(out, [[[[-1.0, 1.0]], [[0.0, 0.0]]]], atol=1e-6)


def test_group_norm_groups_consecutive_channels(kata):
    # Channels 0, 1 (values 0, 1) form group 0; channels 2, 3 (values 2, 3) form group 1.
    x = np.arange(4.0).reshape(1, 4, 1, 1)
    out = kata.group_norm(x, 2, eps=0.0)
    np.testing.assert_allclose(out.ravel(), [-1.0, 1.0, -1.0, 1.0])
