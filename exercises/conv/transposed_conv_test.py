"""Public examples for conv/transposed_conv: a taste of the grading, small enough to read.

Run them with ``pytest exercises/conv/transposed_conv_test.py``; the hidden grader compares you
with torch's conv_transpose2d on strided, padded and dilated layers.
"""

import numpy as np


def test_dilate_input_puts_one_zero_between_pixels_for_stride_2(kata):
    x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    expected = [[[[1, 0, 2], [0, 0, 0], [3, 0, 4]]]]
    np.testing.assert_allclose(kata.dilate_input(x, 2), expected)


def test_each_input_pixel_paints_a_scaled_copy_of_the_kernel(kata):
    # stride 2 and a 1x2 kernel: the two patches sit side by side without overlapping
    x = np.array([[[[1.0, 2.0]]]])
    out = kata.conv_transpose2d(x, np.array([[[[10.0, 1.0]]]]), stride=2)
    np.testing.assert_allclose(out, [[[[10.0, 1.0, 20.0, 2.0]]]])


def test_kernel_3_stride_2_hits_every_other_pixel_twice(kata):
    counts = kata.overlap_counts(3, 2, 3)
    row = np.array([1, 1, 2, 1, 2, 1, 1])
    np.testing.assert_array_equal(counts, np.outer(row, row))
