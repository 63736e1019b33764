"""Public examples for nas/darts: a taste of the grading, small enough to read.

Run them with ``pytest exercises/nas/darts_test.py``; the hidden grader runs many more cases.
"""

import torch


def test_equal_logits_average_the_candidates(kata):
    alpha = torch.zeros(2, dtype=torch.float64)
    outs = torch.tensor([[1.0, 2.0], [3.0, 6.0]], dtype=torch.float64)
    torch.testing.assert_close(kata.mixed_op(alpha, outs), torch.tensor([2.0, 4.0]).double())


def test_alpha_gradient_is_zero_when_all_candidates_agree(kata):
    # if every op produces the same output, moving weight between them changes nothing
    alpha = torch.tensor([0.3, -1.0, 2.0], dtype=torch.float64)
    outs = torch.ones(3, 4, dtype=torch.float64)
    grad = torch.arange(4, dtype=torch.float64)
    torch.testing.assert_close(
        kata.mixed_op_alpha_grad(alpha, outs, grad), torch.zeros(3, dtype=torch.float64)
    )


def test_derivation_of_a_one_node_cell(kata):
    names = ["none", "skip", "conv"]
    alpha = torch.tensor([[9.0, 1.0, 0.0], [0.0, 0.0, 2.0]])
    assert [list(g) for g in kata.derive_cell(alpha, names, 1)[0]] == [["conv", 1], ["skip", 0]]
