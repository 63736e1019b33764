"""Public examples for init/he: a taste of the grading, small enough to read.

Run them with ``pytest exercises/init/he_test.py``; the hidden grader runs many more cases (and
checks the sample statistics) when you run ``pytest exercises/init``.
"""

import math

import numpy as np


def test_gains(kata):
    assert math.isclose(kata.gain("relu"), math.sqrt(2))
    assert math.isclose(kata.gain("leaky_relu", a=1.0), 1.0)  # slope 1: the identity
    assert math.isclose(kata.gain("leaky_relu", a=0.5), math.sqrt(2 / 1.25))


def test_he_uniform_bound_uses_the_chosen_fan(kata):
    shape = (30, 10)  # Linear(10, 30): fan_in 10, fan_out 30
    w = np.asarray(kata.he_uniform(shape, np.random.default_rng(0), mode="fan_out"))
    assert w.shape == shape
    assert np.abs(w).max() <= math.sqrt(3) * math.sqrt(2) / math.sqrt(30)


def test_he_normal_has_roughly_the_he_std(kata):
    w = np.asarray(kata.he_normal((256, 128, 3, 3), np.random.default_rng(1)))
    # fan_in = 128 * 9; on 294912 draws the sample std is within 1% of sqrt(2 / 1152)
    assert abs(w.std() / math.sqrt(2 / 1152) - 1) < 0.01
