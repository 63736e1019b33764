"""Public examples for conv/conv_backward: a taste of the grading, small enough to read.

Run them with ``pytest exercises/conv/conv_backward_test.py``; the hidden grader compares you with
torch's autograd and with a numerical gradient on strided, padded and dilated layers.
"""

import numpy as np


def test_a_pixel_in_two_windows_gets_both_gradients(kata):
    x = np.array([[[[1.0, 2.0, 3.0]]]])
    out, cache = kata.conv2d_forward(x, np.ones((1, 1, 1, 2)), np.zeros(1))
    np.testing.assert_allclose(out, [[[[3.0, 5.0]]]])
    dx, dw, db = kata.conv2d_backward(np.array([[[[1.0, 10.0]]]]), cache)
    np.testing.assert_allclose(dx, [[[[1.0, 11.0, 10.0]]]])
    np.testing.assert_allclose(dw, [[[[1 * 1 + 2 * 10, 2 * 1 + 3 * 10]]]])
    np.testing.assert_allclose(db, [11.0])


def test_col2im_adds_overlapping_copies(kata):
    # a 1x3 image, 1x2 windows at stride 1: the columns hold pixels (0, 1) and (1, 2)
    cols = np.array([[[1.0, 1.0], [1.0, 1.0]]])  # rows: tap 0, tap 1; columns: windows
    np.testing.assert_allclose(kata.col2im(cols, (1, 1, 1, 3), (1, 2)), [[[[1.0, 2.0, 1.0]]]])


def test_db_sums_over_the_batch_and_positions(kata):
    x = np.zeros((3, 1, 2, 2))
    _, cache = kata.conv2d_forward(x, np.ones((2, 1, 1, 1)), np.zeros(2))
    _, _, db = kata.conv2d_backward(np.ones((3, 2, 2, 2)), cache)
    np.testing.assert_allclose(db, [12.0, 12.0])  # 3 images x 4 positions
