"""Public examples for conv/weight_sharing: a taste of the grading, small enough to read.

Run them with ``pytest exercises/conv/weight_sharing_test.py``; the hidden grader checks more
shapes and ops (pooling, zero padding, permuted and banded matrices) when you run
``pytest exercises/conv``.
"""

import torch
from torch import nn


def test_parameter_counts_for_a_tiny_image(kata):
    counts = kata.parameter_counts(1, 1, 4, 4, 3, padding=1)
    assert counts == {"conv": 9 + 1, "locally_connected": 16 * 9 + 16, "dense": 16 * 16 + 16}


def test_a_circular_conv_moves_with_its_input(kata):
    x = torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64).reshape(1, 1, 1, 4)
    assert kata.circular_shift(x, (0, 1)).flatten().tolist() == [4.0, 1.0, 2.0, 3.0]
    weight = torch.tensor([0.0, 0.0, 1.0], dtype=torch.float64).reshape(1, 1, 1, 3)
    out = kata.circular_conv2d(x, weight)
    assert out.flatten().tolist() == [2.0, 3.0, 4.0, 1.0]  # out[w] = x[(w + 1) % 4]
    error = kata.equivariance_error(lambda t: kata.circular_conv2d(t, weight), x, (0, 1))
    assert error == 0.0


def test_an_mlp_absorbs_a_permutation_but_a_small_conv_does_not(kata):
    linear = nn.Linear(3, 1).double()
    with torch.no_grad():
        linear.weight.copy_(torch.tensor([[1.0, 2.0, 3.0]]))
    new = kata.absorb_permutation(linear, [2, 0, 1])
    assert new.weight.tolist() == [[3.0, 1.0, 2.0]]  # new(x[[2, 0, 1]]) == linear(x)
    matrix = kata.conv1d_matrix(torch.tensor([0.0, 1.0, 2.0], dtype=torch.float64), 4)
    assert matrix.tolist() == [[1, 2, 0, 0], [0, 1, 2, 0], [0, 0, 1, 2], [2, 0, 0, 1]]
    assert kata.is_small_kernel_conv(matrix, 3)
    assert not kata.is_small_kernel_conv(matrix[:, [2, 0, 3, 1]], 3)
