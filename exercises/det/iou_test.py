"""Public examples for det/iou: a taste of the grading, small enough to read.

Run them with ``pytest exercises/det/iou_test.py``; the hidden grader runs many more cases.
"""

import numpy as np
import torch


def test_overlapping_and_separate_boxes(kata):
    a = torch.tensor([[0.0, 0.0, 2.0, 2.0]])
    b = torch.tensor([[1.0, 1.0, 3.0, 3.0], [3.0, 0.0, 4.0, 1.0]])
    # intersection 1, union 4 + 4 - 1 = 7; the second box does not overlap
    np.testing.assert_allclose(np.asarray(kata.box_iou(a, b)), [[1 / 7, 0.0]], rtol=1e-6)


def test_giou_penalises_the_empty_part_of_the_enclosing_box(kata):
    a = torch.tensor([[0.0, 0.0, 2.0, 2.0]])
    b = torch.tensor([[1.0, 1.0, 3.0, 3.0], [3.0, 0.0, 4.0, 1.0]])
    # enclosing boxes: [0, 0, 3, 3] (area 9) and [0, 0, 4, 2] (area 8)
    expected = [[1 / 7 - (9 - 7) / 9, 0.0 - (8 - 5) / 8]]
    np.testing.assert_allclose(np.asarray(kata.generalized_box_iou(a, b)), expected, rtol=1e-6)
