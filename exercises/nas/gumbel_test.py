"""Public examples for nas/gumbel: a taste of the grading, small enough to read.

Run them with ``pytest exercises/nas/gumbel_test.py``; the hidden grader runs many more cases
(including the sampling frequencies against softmax(logits) over 120,000 draws).
"""

import torch


def test_a_category_with_logit_minus_inf_is_never_sampled(kata):
    logits = torch.tensor([[0.0, -float("inf"), 1.0]] * 1000, dtype=torch.float64)
    index = kata.gumbel_max_sample(logits, torch.Generator().manual_seed(0))
    assert not bool((index == 1).any())


def test_gumbel_softmax_without_noise_is_a_tempered_softmax(kata):
    logits = torch.tensor([1.0, 0.0], dtype=torch.float64)
    y = kata.gumbel_softmax(logits, torch.zeros(2, dtype=torch.float64), 0.5)
    torch.testing.assert_close(y, torch.softmax(logits / 0.5, dim=0))


def test_straight_through_forward_is_one_hot(kata):
    y = kata.straight_through(
        torch.tensor([0.5, 2.0, 1.0], dtype=torch.float64), torch.zeros(3, dtype=torch.float64), 1.0
    )
    torch.testing.assert_close(y.detach(), torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64))
