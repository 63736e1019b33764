"""Public examples for conv/im2col_conv: a taste of the grading, small enough to read.

Run them with ``pytest exercises/conv/im2col_conv_test.py``; the hidden grader compares you with
torch's conv2d and unfold on random inputs with strides, padding, dilation and groups.
"""

import numpy as np


def test_im2col_puts_each_2x2_window_in_a_column(kata):
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    cols = kata.im2col(x, 2)
    # column l is the window of output position l; row r is kernel tap (r // 2, r % 2)
    expected = [[[0, 1, 3, 4], [1, 2, 4, 5], [3, 4, 6, 7], [4, 5, 7, 8]]]
    np.testing.assert_allclose(cols, expected)


def test_rows_are_channel_major_like_the_weight_reshape(kata):
    # two channels, a 1x2 kernel: rows are (c0, tap 0), (c0, tap 1), (c1, tap 0), (c1, tap 1)
    x = np.array([[[[1.0, 2.0, 3.0]], [[10.0, 20.0, 30.0]]]])
    cols = kata.im2col(x, (1, 2))
    np.testing.assert_allclose(cols, [[[1, 2], [2, 3], [10, 20], [20, 30]]])


def test_conv_with_padding_and_stride_2(kata):
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    w = np.ones((1, 1, 3, 3))
    # padding 1, stride 2: windows centred on the corners, each sums a 2x2 corner block
    out = kata.conv2d_forward(x, w, None, stride=2, padding=1)
    np.testing.assert_allclose(
        out, [[[[0 + 1 + 3 + 4, 1 + 2 + 4 + 5], [3 + 4 + 6 + 7, 4 + 5 + 7 + 8]]]]
    )
