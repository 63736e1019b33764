"""Public examples for det/box_coding: a taste of the grading, small enough to read.

Run them with ``pytest exercises/det/box_coding_test.py``; the hidden grader runs many more cases.
"""

import math

import numpy as np
import torch


def test_anchors_of_one_cell(kata):
    anchors = kata.generate_anchors((1, 1), 16.0, scales=[8.0], ratios=[1.0, 4.0])
    # centre (8, 8); ratio 4 = height / width: w = 8 / 2, h = 8 * 2
    np.testing.assert_allclose(np.asarray(anchors), [[4, 4, 12, 12], [6, 0, 10, 16]])


def test_encode_uses_the_log_of_the_size_ratio_and_decode_inverts_it(kata):
    anchors = torch.tensor([[0.0, 0.0, 2.0, 2.0]])
    boxes = torch.tensor([[1.0, 0.0, 5.0, 2.0]])  # centre x 1 -> 3, width 2 -> 4
    deltas = kata.encode(anchors, boxes)
    np.testing.assert_allclose(np.asarray(deltas), [[1.0, 0.0, math.log(2.0), 0.0]], atol=1e-6)
    np.testing.assert_allclose(np.asarray(kata.decode(anchors, deltas)), boxes, atol=1e-6)


def test_assignment_thresholds(kata):
    gt = torch.tensor([[0.0, 0.0, 10.0, 10.0]])
    anchors = torch.tensor([[0.0, 0.0, 10.0, 8.0], [0.0, 0.0, 10.0, 5.0], [0.0, 0.0, 10.0, 1.0]])
    labels, matched = kata.assign_anchors(anchors, gt, 0.7, 0.3)  # IoUs 0.8, 0.5, 0.1
    assert np.asarray(labels).tolist() == [1, -1, 0]
    assert np.asarray(matched).tolist() == [0, 0, 0]
