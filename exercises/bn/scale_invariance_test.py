"""Public examples for bn/scale_invariance: a taste of the grading, small enough to read.

Run them with ``pytest exercises/bn/scale_invariance_test.py``; the hidden grader runs many more
cases (against torch's batch_norm and autograd) when you run ``pytest exercises/bn``.
"""

import math

import torch


def test_three_samples_normalise_to_zero_mean_unit_variance(kata):
    x = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=torch.float64)
    w = torch.tensor([[1.0, 1.0]], dtype=torch.float64)  # z = [1, 1, 2]: mean 4/3, var 2/9
    out = kata.bn_linear(
        x, w, torch.ones(1, dtype=torch.float64), torch.zeros(1, dtype=torch.float64), eps=0.0
    )
    s = 1 / math.sqrt(2)
    torch.testing.assert_close(out, torch.tensor([[-s], [-s], [2 * s]], dtype=torch.float64))


def test_scaling_the_weights_leaves_the_output_unchanged(kata):
    x = torch.tensor([[1.0, 2.0], [3.0, -1.0], [0.0, 1.0], [2.0, 2.0]], dtype=torch.float64)
    w = torch.tensor([[0.5, -1.0], [2.0, 1.0]], dtype=torch.float64)
    gamma = torch.tensor([1.0, 2.0], dtype=torch.float64)
    beta = torch.tensor([0.0, -1.0], dtype=torch.float64)
    target = torch.zeros(4, 2, dtype=torch.float64)
    report = kata.scale_invariance_report(x, w, gamma, beta, target, alpha=5.0, eps=0.0)
    assert abs(report["output_change"]) < 1e-12


def test_unscaled_weights_keep_their_learning_rate(kata):
    # With alpha = 1 the two steps are the same step, so the learning rate is unchanged.
    assert math.isclose(kata.equivalent_lr(0.1, 1.0), 0.1, rel_tol=1e-12)
