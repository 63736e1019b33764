"""Public examples for nas/reinforce: a taste of the grading, small enough to read.

Run them with ``pytest exercises/nas/reinforce_test.py``; the hidden grader also checks the
estimate is unbiased over 200,000 samples and that a good baseline cuts its variance.
"""

import torch


def test_score_function_of_a_uniform_binary_choice(kata):
    logits = torch.zeros(1, 2, dtype=torch.float64)
    g = kata.log_prob_grad(logits, torch.tensor([[0], [1]]))
    torch.testing.assert_close(g, torch.tensor([[[0.5, -0.5]], [[-0.5, 0.5]]], dtype=torch.float64))


def test_the_better_option_is_pushed_up(kata):
    logits = torch.zeros(1, 2, dtype=torch.float64)
    est = kata.reinforce_gradient(logits, torch.tensor([[0], [1]]), torch.tensor([1.0, 0.0]), 0.5)
    torch.testing.assert_close(est, torch.tensor([[0.25, -0.25]], dtype=torch.float64))


def test_moving_average_baseline(kata):
    assert abs(kata.update_baseline(0.5, torch.tensor([1.0, 0.0]), 0.9) - 0.5) < 1e-12
