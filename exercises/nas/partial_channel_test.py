"""Public examples for nas/partial_channel: a taste of the grading, small enough to read.

Run them with ``pytest exercises/nas/partial_channel_test.py``; the hidden grader runs more.
"""

import torch


def test_shuffle_of_six_channels_in_two_groups(kata):
    x = torch.arange(6.0).reshape(1, 6, 1, 1)
    torch.testing.assert_close(
        kata.channel_shuffle(x, 2).flatten(), torch.tensor([0.0, 3.0, 1.0, 4.0, 2.0, 5.0])
    )


def test_only_the_first_half_goes_through_the_ops(kata):
    x = torch.arange(6.0).reshape(1, 6, 1, 1)
    ops = (lambda t: 10 * t, lambda t: 0 * t)
    out = kata.partial_channel_mixed_op(x, torch.zeros(2), ops, 2)
    torch.testing.assert_close(out.flatten(), torch.tensor([0.0, 3.0, 5.0, 4.0, 10.0, 5.0]))


def test_equal_betas_average_the_edges(kata):
    outs = torch.stack([torch.ones(1, 2, 1, 1), 3 * torch.ones(1, 2, 1, 1)])
    torch.testing.assert_close(
        kata.edge_normalised_node(outs, torch.zeros(2)), 2 * torch.ones(1, 2, 1, 1)
    )
