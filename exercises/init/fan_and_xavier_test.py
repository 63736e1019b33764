"""Public examples for init/fan_and_xavier: a taste of the grading, small enough to read.

Run them with ``pytest exercises/init/fan_and_xavier_test.py``; the hidden grader runs many more
cases (and checks the sample statistics) when you run ``pytest exercises/init``.
"""

import numpy as np


def test_fans_of_a_linear_and_a_conv_weight(kata):
    assert tuple(kata.fan_in_fan_out((10, 4))) == (4, 10)  # Linear(4, 10): weight (out, in)
    # Conv2d(3, 8, kernel_size=(3, 5)): weight (8, 3, 3, 5), receptive field 15
    assert tuple(kata.fan_in_fan_out((8, 3, 3, 5))) == (45, 120)


def test_xavier_uniform_respects_its_bound(kata):
    w = np.asarray(kata.xavier_uniform((100, 50), np.random.default_rng(0)))
    bound = np.sqrt(6 / (50 + 100))  # = 0.2
    assert w.shape == (100, 50)
    assert np.abs(w).max() <= bound


def test_same_seed_same_samples(kata):
    a = kata.lecun_normal((20, 10), np.random.default_rng(42))
    b = kata.lecun_normal((20, 10), np.random.default_rng(42))
    np.testing.assert_array_equal(a, b)
