"""Public examples for nas/resource_loss: a taste of the grading, small enough to read.

Run them with ``pytest exercises/nas/resource_loss_test.py``; the hidden grader runs more cases.
"""

import torch


def test_two_ops_with_equal_logits_average_their_latency(kata):
    table = {("conv3", (8, 4, 4)): 2.0, ("skip", (8, 4, 4)): 0.0}
    costs = kata.cost_matrix([(8, 4, 4)], ["conv3", "skip"], table)
    torch.testing.assert_close(costs, torch.tensor([[2.0, 0.0]], dtype=torch.float64))
    alpha = torch.zeros(1, 2, dtype=torch.float64)
    assert abs(float(kata.expected_latency(alpha, costs)) - 1.0) < 1e-12


def test_equal_costs_in_a_layer_give_no_gradient(kata):
    alpha = torch.tensor([[0.3, -2.0, 1.0]], dtype=torch.float64)
    costs = torch.full((1, 3), 4.0, dtype=torch.float64)
    torch.testing.assert_close(
        kata.expected_latency_grad(alpha, costs), torch.zeros(1, 3, dtype=torch.float64)
    )
