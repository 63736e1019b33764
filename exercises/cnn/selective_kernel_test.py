"""Public examples for cnn/selective_kernel: a taste of the grading, small enough to read."""

import torch


def test_output_and_attention_shapes(kata):
    sk = kata.SKConv(8, branches=3, reduction=2)
    out, a = sk(torch.randn(2, 8, 5, 7), return_attention=True)
    assert tuple(out.shape) == (2, 8, 5, 7)
    assert tuple(a.shape) == (2, 3, 8)


def test_attention_sums_to_one_over_the_branches(kata):
    sk = kata.SKConv(6, branches=2, reduction=3)
    _, a = sk(torch.randn(3, 6, 4, 4), return_attention=True)
    torch.testing.assert_close(a.sum(dim=1), torch.ones(3, 6))


def test_without_the_flag_only_the_output_comes_back(kata):
    sk = kata.SKConv(4)
    assert tuple(sk(torch.randn(1, 4, 3, 3)).shape) == (1, 4, 3, 3)
