"""Public examples for conv/pointwise: a taste of the grading, small enough to read.

Run them with ``pytest exercises/conv/pointwise_test.py``; the hidden grader compares with
torch's conv2d on many more shapes when you run ``pytest exercises/conv``.
"""

import numpy as np


def test_each_pixel_is_mapped_by_the_same_matrix(kata):
    x = np.array([[[[1.0, 2.0]], [[3.0, 4.0]]]])  # N=1, C_in=2, H=1, W=2
    weight = np.array([[1.0, 0.0], [1.0, -1.0], [0.0, 2.0]]).reshape(3, 2, 1, 1)  # C_out=3
    out = kata.pointwise_conv(x, weight, np.array([0.0, 0.0, 1.0]))
    # pixel (0, 0) has channels (1, 3) -> (1, 1 - 3, 2 * 3 + 1); pixel (0, 1): (2, 4) -> (2, -2, 9)
    np.testing.assert_allclose(out, [[[[1.0, 2.0]], [[-2.0, -2.0]], [[7.0, 9.0]]]])


def test_parameter_count_of_a_1x1_layer(kata):
    assert kata.pointwise_params(64, 32) == 64 * 32 + 32
    assert kata.pointwise_params(64, 32, bias=False) == 64 * 32


def test_a_1x1_reduction_makes_the_3x3_layer_cheaper(kata):
    direct, reduced = kata.bottleneck_params(256, 64, 256, 3, bias=False)
    assert direct == 256 * 256 * 9
    assert reduced == 256 * 64 + 64 * 256 * 9
