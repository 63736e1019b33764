"""Public examples for conv/pooling: a taste of the grading, small enough to read.

Run them with ``pytest exercises/conv/pooling_test.py``; the hidden grader runs many more cases
(padding, non-square kernels, overlapping windows, ties) when you run ``pytest exercises/conv``.
"""

import numpy as np


def test_one_row_with_a_one_by_two_window(kata):
    x = np.array([9.0, 1.0, 7.0, 3.0]).reshape(1, 1, 1, 4)
    np.testing.assert_allclose(kata.max_pool2d(x, (1, 2)), [[[[9.0, 7.0]]]])
    np.testing.assert_allclose(kata.avg_pool2d(x, (1, 2)), [[[[5.0, 5.0]]]])
    dout = np.array([2.0, -1.0]).reshape(1, 1, 1, 2)
    # max: all of a window's gradient goes to its maximum; avg: shared equally by its cells
    np.testing.assert_allclose(kata.max_pool2d_backward(dout, x, (1, 2)), [[[[2, 0, -1, 0]]]])
    np.testing.assert_allclose(
        kata.avg_pool2d_backward(dout, x.shape, (1, 2)), [[[[1.0, 1.0, -0.5, -0.5]]]]
    )


def test_overlapping_windows_add_their_gradients_and_ties_go_to_the_first_maximum(kata):
    # 2x2 windows with stride 1 over a 3x3 input whose centre is the maximum of all four
    x = np.array([[1.0, 2.0, 1.0], [0.0, 5.0, 5.0], [3.0, 0.0, 1.0]]).reshape(1, 1, 3, 3)
    np.testing.assert_allclose(kata.max_pool2d(x, 2, 1), [[[[5.0, 5.0], [5.0, 5.0]]]])
    dx = kata.max_pool2d_backward(np.ones((1, 1, 2, 2)), x, 2, 1)
    # every window holds the centre (1, 1); the right-hand windows also hold the tied (1, 2),
    # but the centre comes first in their scan order, so it collects all four gradients
    np.testing.assert_allclose(dx, [[[[0, 0, 0], [0, 4, 0], [0, 0, 0]]]])


def test_max_pool_keeps_its_output_when_the_maximum_stays_inside_the_window(kata):
    x = np.array([9.0, 1.0, 7.0, 3.0]).reshape(1, 1, 1, 4)
    assert kata.unchanged_after_shift(x, (1, 2), (0, 1), "max") == 2
    assert kata.unchanged_after_shift(x, (1, 2), (0, 1), "avg") == 0
