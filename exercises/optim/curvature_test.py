"""Public examples for optim/curvature: a taste of the grading, small enough to read.

Run them with ``pytest exercises/optim/curvature_test.py``; the hidden grader compares with
torch's explicit Hessians and many more cases when you run ``pytest exercises/optim``.
"""

import math

import numpy as np
import torch

from katakit.sandbox import probe


# katakit runs your code in a process of its own; a function your hvp differentiates must live
# there too: @probe sends it over, and cubic.there() is that copy.
@probe
def cubic(x):
    return x[0] ** 3 + x[0] * x[1]


def test_hvp_of_a_cubic(kata):
    # f = x0**3 + x0 * x1: H = [[6 x0, 1], [1, 0]]; at x = (1, 2), H @ (1, 0) = (6, 1).
    hv = kata.hvp(
        cubic.there(),
        torch.tensor([1.0, 2.0], dtype=torch.float64),
        torch.tensor([1.0, 0.0], dtype=torch.float64),
    )
    torch.testing.assert_close(hv, torch.tensor([6.0, 1.0], dtype=torch.float64))


def test_optimal_step_and_negative_curvature(kata):
    g = np.array([1.0, 1.0])
    assert math.isclose(kata.optimal_step(g, np.diag([1.0, 3.0])), 0.5)
    assert kata.optimal_step(g, np.diag([1.0, -3.0])) == math.inf


def test_classify_critical_points(kata):
    assert kata.classify_critical_point(np.diag([2.0, 1.0])) == "minimum"
    assert kata.classify_critical_point(np.diag([2.0, -1.0])) == "saddle"
    assert kata.classify_critical_point(np.diag([-2.0, -1.0])) == "maximum"
