"""Anchors, anchor assignment and bounding-box regression targets (R-CNN, Faster R-CNN).

Source question: 目标检测发展史 (s001-42), its R-CNN and Faster R-CNN headings ("位置回归的形式",
"正负样本的选取"). Faster R-CNN's RPN places anchors of several scales and aspect ratios at every
feature-map cell, labels them positive/negative by IoU with the ground truth, and learns to
regress each positive anchor onto its ground-truth box with R-CNN's box encoding.

Boxes are ``(x1, y1, x2, y2)`` float tensors; IoU is the continuous one of det/iou (area
``(x2 - x1) * (y2 - y1)``, no "+1"). Inputs are not modified.

1. ``generate_anchors(feature_size, stride, scales, ratios)`` -> ``(H * W * A, 4)`` float tensor,
   ``A = len(ratios) * len(scales)``, for ``feature_size = (H, W)``:

   * a ratio ``r`` is **height / width** and a scale ``s`` is the square root of the area:
     ``h = s * sqrt(r)``, ``w = s / sqrt(r)``;
   * the cell in row ``y``, column ``x`` has its centre at
     ``((x + 0.5) * stride, (y + 0.5) * stride)``; each anchor is centred there:
     ``(cx - w/2, cy - h/2, cx + w/2, cy + h/2)`` (no rounding);
   * order: cells row-major (``y`` outer, ``x`` inner); within a cell, ratios outer and scales
     inner (anchor ``a = ratio_index * len(scales) + scale_index``).

2. ``assign_anchors(anchors, gt_boxes, pos_threshold=0.7, neg_threshold=0.3)`` ->
   ``(labels, matched)``, two ``(A,)`` int64 tensors:

   * ``matched[a]`` is the index of the ground truth with the highest IoU with anchor ``a``
     (ties: lowest index), for every anchor;
   * ``labels[a]`` is ``1`` (positive) if that best IoU is ``>= pos_threshold``, ``0``
     (negative) if it is ``< neg_threshold``, and ``-1`` (ignored) in between;
   * then, as Faster R-CNN, for each ground truth, every anchor whose IoU with it equals that
     ground truth's highest IoU over all anchors (all ties) is made positive, even below
     ``pos_threshold``, provided that highest IoU is > 0 (``matched`` is not changed);
   * with no ground-truth boxes (``gt_boxes`` of shape ``(0, 4)``) every label is 0 and every
     ``matched`` is -1.

3. ``encode(anchors, boxes, weights=(1, 1, 1, 1))`` -> ``(K, 4)`` deltas, row by row: with
   centre ``(cx, cy)``, width ``w``, height ``h`` of the anchor (``a``) and the box (``g``), and
   ``weights = (wx, wy, ww, wh)``::

       dx = wx * (g_cx - a_cx) / a_w        dw = ww * log(g_w / a_w)
       dy = wy * (g_cy - a_cy) / a_h        dh = wh * log(g_h / a_h)

4. ``decode(anchors, deltas, weights=(1, 1, 1, 1))`` -> ``(K, 4)`` boxes, the inverse: divide
   the deltas by the weights, clamp ``dw`` and ``dh`` to at most ``log(1000 / 16)`` (as
   torchvision, so ``exp`` never overflows), then ``cx = dx * a_w + a_cx``,
   ``w = exp(dw) * a_w`` (likewise y, h) and return ``(cx - w/2, cy - h/2, cx + w/2, cy + h/2)``.
   ``decode(a, encode(a, g, wts), wts)`` gives back ``g``.

Results are float tensors of the inputs' dtype (``generate_anchors``: float32 or float64,
either is fine).
``torchvision.models.detection`` (``AnchorGenerator``, ``BoxCoder``, ``Matcher``) is not
allowed in this kata.

Example::

    >>> generate_anchors((1, 2), 16, scales=[8.0], ratios=[1.0, 4.0])
    tensor([[ 4.,  4., 12., 12.],      # cell (0, 0), centre (8, 8): ratio 1
            [ 6.,  0., 10., 16.],      # ratio 4: w = 8 / 2, h = 8 * 2
            [20.,  4., 28., 12.],      # cell (0, 1), centre (24, 8)
            [22.,  0., 26., 16.]])
    >>> a = torch.tensor([[0.0, 0.0, 2.0, 2.0]])
    >>> encode(a, torch.tensor([[1.0, 0.0, 5.0, 2.0]]))   # centre 1 -> 3, width 2 -> 4
    tensor([[1.0000, 0.0000, 0.6931, 0.0000]])
"""

from __future__ import annotations

from collections.abc import Sequence

import torch


def generate_anchors(
    feature_size: tuple[int, int],
    stride: float,
    scales: Sequence[float],
    ratios: Sequence[float],
) -> torch.Tensor:
    """All anchors of an (H, W) feature map: ``(H * W * len(ratios) * len(scales), 4)``."""
    # TODO: base anchors (ratios outer, scales inner) centred at 0, shifted to every cell centre.
    raise NotImplementedError("generate_anchors")


def assign_anchors(
    anchors: torch.Tensor,
    gt_boxes: torch.Tensor,
    pos_threshold: float = 0.7,
    neg_threshold: float = 0.3,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(labels, matched)``: 1 / 0 / -1 per anchor, and the index of its best ground truth."""
    # TODO: IoU matrix, thresholds on each anchor's best IoU, then each gt's best anchor(s).
    raise NotImplementedError("assign_anchors")


def encode(
    anchors: torch.Tensor,
    boxes: torch.Tensor,
    weights: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0),
) -> torch.Tensor:
    """Regression targets ``(dx, dy, dw, dh)`` of ``boxes`` relative to ``anchors``."""
    # TODO: centre offsets over the anchor's size, log of the size ratios, times the weights.
    raise NotImplementedError("encode")


def decode(
    anchors: torch.Tensor,
    deltas: torch.Tensor,
    weights: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0),
) -> torch.Tensor:
    """Boxes from ``anchors`` and ``deltas``: the inverse of :func:`encode`."""
    # TODO: undo the weights, clamp dw/dh, exp the log-sizes, back to corners.
    raise NotImplementedError("decode")
