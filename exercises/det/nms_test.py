"""Public examples for det/nms: a taste of the grading, small enough to read.

Run them with ``pytest exercises/det/nms_test.py``; the hidden grader runs many more cases.
"""

import numpy as np
import torch

BOXES = torch.tensor([[0.0, 0.0, 4.0, 1.0], [1.0, 0.0, 5.0, 1.0], [2.0, 0.0, 6.0, 1.0]])
SCORES = torch.tensor([0.9, 0.8, 0.7])


def test_nms_suppresses_only_above_the_threshold(kata):
    # IoU(0, 1) = 3/5, IoU(0, 2) = 2/6, IoU(1, 2) = 3/5
    assert np.asarray(kata.nms(BOXES, SCORES, 0.5)).tolist() == [0, 2]
    assert np.asarray(kata.nms(BOXES, SCORES, 0.6)).tolist() == [0, 1, 2]  # 0.6 is not > 0.6


def test_batched_nms_keeps_boxes_of_other_classes(kata):
    labels = torch.tensor([0, 1, 0])
    assert np.asarray(kata.batched_nms(BOXES, SCORES, labels, 0.5)).tolist() == [0, 1, 2]


def test_linear_soft_nms_lowers_overlapping_scores(kata):
    keep, kept = kata.soft_nms(BOXES, SCORES, iou_threshold=0.5, method="linear")
    # box 1 (IoU 0.6 with box 0) drops to 0.8 * 0.4 = 0.32; box 2 (IoU 1/3) keeps 0.7,
    # then box 2 is selected and box 1 (IoU 0.6 with it) drops to 0.32 * 0.4 = 0.128
    assert np.asarray(keep).tolist() == [0, 2, 1]
    np.testing.assert_allclose(np.asarray(kept), [0.9, 0.7, 0.128], rtol=1e-5)
