"""Public examples for reg/dropout: a taste of the grading, small enough to read.

Run them with ``pytest exercises/reg/dropout_test.py``; the hidden grader runs many more cases.
"""

import torch


def test_survivors_are_scaled_by_one_over_keep_probability(kata):
    x = torch.arange(1.0, 13.0).reshape(3, 4)
    out, mask = kata.dropout_forward(x, 0.25, True, torch.Generator().manual_seed(0))
    torch.testing.assert_close(out, x * mask / 0.75)


def test_evaluation_is_the_identity(kata):
    x = torch.randn(5, 3, generator=torch.Generator().manual_seed(1))
    out, mask = kata.dropout_forward(x, 0.5, False, torch.Generator().manual_seed(0))
    torch.testing.assert_close(out, x)
    assert bool(mask.all())


def test_backward_zeroes_the_dropped_units(kata):
    mask = torch.tensor([True, False, True])
    dx = kata.dropout_backward(torch.ones(3), mask, 0.5)
    torch.testing.assert_close(dx, torch.tensor([2.0, 0.0, 2.0]))
