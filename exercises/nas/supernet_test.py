"""Public examples for nas/supernet: a taste of the grading, small enough to read.

Run them with ``pytest exercises/nas/supernet_test.py``; the hidden grader runs more cases.
"""

import torch


def test_paths_have_one_valid_choice_per_layer(kata):
    paths = kata.sample_single_path([2, 3], 100, torch.Generator().manual_seed(0))
    assert tuple(paths.shape) == (100, 2)
    assert int(paths[:, 0].max()) <= 1 and int(paths[:, 1].max()) <= 2


def test_width_keeps_the_largest_l1_norms(kata):
    w = torch.zeros(3, 1, 1, 1)
    w[:, 0, 0, 0] = torch.tensor([0.5, -2.0, 1.0])
    w_k, next_k, index = kata.elastic_width(w, torch.ones(4, 3, 1, 1), 2)
    assert index.tolist() == [1, 2]
    assert tuple(w_k.shape) == (2, 1, 1, 1) and tuple(next_k.shape) == (4, 2, 1, 1)


def test_kernel_is_the_centre(kata):
    got = kata.elastic_kernel(torch.arange(25.0).reshape(5, 5), 3)
    torch.testing.assert_close(got, torch.arange(25.0).reshape(5, 5)[1:4, 1:4])
