"""Public examples for det/roi_pool: a taste of the grading, small enough to read.

Run them with ``pytest exercises/det/roi_pool_test.py``; the hidden grader runs many more cases.
"""

import numpy as np
import torch

F = torch.arange(16.0).reshape(1, 1, 4, 4)  # F[0, 0, y, x] = 4 * y + x


def test_roi_pool_of_the_whole_map_takes_each_quarter_max(kata):
    out = kata.roi_pool(F, torch.tensor([[0.0, 0.0, 0.0, 3.0, 3.0]]), (2, 2), 1.0)
    np.testing.assert_allclose(np.asarray(out), [[[[5.0, 7.0], [13.0, 15.0]]]])


def test_roi_align_interpolates_between_cells(kata):
    # one sample per bin, at the bin's centre: (y, x) = (1, 1.5) -> 4 * 1 + 1.5
    out = kata.roi_align(F, torch.tensor([[0.0, 1.0, 0.0, 2.0, 2.0]]), (1, 1), 1.0, 1)
    np.testing.assert_allclose(np.asarray(out), [[[[5.5]]]])


def test_spatial_pyramid_pool_has_a_fixed_length(kata):
    for h, w in [(4, 4), (7, 5)]:
        out = kata.spatial_pyramid_pool(torch.zeros(2, 3, h, w), (1, 2, 4))
        assert tuple(out.shape) == (2, 3 * (1 + 4 + 16))
