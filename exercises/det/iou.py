"""Pairwise IoU and GIoU of axis-aligned boxes.

Source question: 目标检测发展史 (s001-42). Every detector since R-CNN scores a predicted box
against a ground-truth box by their intersection over union; GIoU (Rezatofighi et al., 2019)
extends it so that boxes that do not overlap still get a graded score.

Boxes are ``(x1, y1, x2, y2)`` ("xyxy") with ``x1 <= x2`` and ``y1 <= y2``, in continuous
coordinates: a box's width is ``x2 - x1`` and its area is ``(x2 - x1) * (y2 - y1)``. There is NO
"+1 pixel" term (the old integer-pixel convention of some Caffe code): ``[0, 0, 2, 2]`` has
area 4.

Implement, for ``a`` of shape ``(N, 4)`` and ``b`` of shape ``(M, 4)`` (float32 or float64
torch tensors; ``N`` or ``M`` may be 0):

* ``box_iou(a, b)`` -> ``(N, M)`` tensor, ``iou[i, j] = inter / union`` where ``inter`` is the
  area of the intersection of ``a[i]`` and ``b[j]`` (0 when they do not overlap or only touch)
  and ``union = area(a[i]) + area(b[j]) - inter``.
* ``generalized_box_iou(a, b)`` -> ``(N, M)`` tensor,
  ``giou = iou - (enclose - union) / enclose`` where ``enclose`` is the area of the smallest
  box containing both. GIoU lies in ``[-1, 1]``; it equals IoU when one box contains the other,
  and tends to -1 for tiny boxes far apart.

Degenerate boxes (zero width or zero height, area 0) are legal: where ``union`` is 0 the IoU is
0, and where ``enclose`` is 0 the GIoU is 0. No NaN, no inf, no warning, ever.

The result has the dtype of the inputs and the inputs are not modified. Both functions are
symmetric: ``box_iou(b, a)`` is ``box_iou(a, b).T``. Write it with basic tensor operations
(broadcasting, no Python loop over box pairs needed); ``torchvision.ops.box_iou`` and
``torchvision.ops.generalized_box_iou`` are not allowed in this kata.

Example::

    >>> a = torch.tensor([[0.0, 0.0, 2.0, 2.0]])
    >>> b = torch.tensor([[1.0, 1.0, 3.0, 3.0], [3.0, 0.0, 4.0, 1.0]])
    >>> box_iou(a, b)               # 1 / (4 + 4 - 1); no overlap
    tensor([[0.1429, 0.0000]])
    >>> generalized_box_iou(a, b)   # 1/7 - (9 - 7)/9;  0 - (8 - 5)/8
    tensor([[-0.0794, -0.3750]])
"""

from __future__ import annotations

import torch


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU of every box of ``a`` (N, 4) with every box of ``b`` (M, 4): an (N, M) tensor."""
    # TODO: areas, pairwise intersection (clamped at 0), union, then the ratio (0 where union is 0).
    raise NotImplementedError("box_iou")


def generalized_box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """GIoU of every box of ``a`` (N, 4) with every box of ``b`` (M, 4): an (N, M) tensor."""
    # TODO: IoU minus the share of the enclosing box that the union does not cover.
    raise NotImplementedError("generalized_box_iou")
