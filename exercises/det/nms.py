"""Non-maximum suppression: NMS, Soft-NMS and class-aware (batched) NMS.

Source question: 目标检测发展史 (s001-42), its "NMS, Soft-NMS" heading. A detector proposes many
overlapping boxes for one object; NMS keeps the best-scoring one and removes its duplicates.

Boxes are ``(K, 4)`` float tensors in ``(x1, y1, x2, y2)`` form, ``scores`` are ``(K,)``. IoU is
the continuous one of det/iou (area ``(x2 - x1) * (y2 - y1)``, no "+1", 0 where the union is 0);
write your own pairwise IoU helper. ``K`` may be 0.

Visiting order and ties: boxes are visited by decreasing score; **equal scores are visited lowest
index first** (a stable descending sort: ``torch.sort(scores, descending=True, stable=True)``).

1. ``nms(boxes, scores, iou_threshold)``: take the highest-scoring remaining box, keep it, and
   remove every remaining box whose IoU with it is **strictly greater** than ``iou_threshold``
   (a box with IoU exactly equal to the threshold survives, as in torch/torchvision). Repeat.
   Return the kept indices as a 1-D int64 tensor, in the order they were kept (decreasing score).

2. ``soft_nms(boxes, scores, iou_threshold=0.3, sigma=0.5, score_threshold=1e-3, method="linear")``
   (Bodla et al., 2017): instead of removing overlapping boxes, lower their
   scores. Every box starts with its score. Repeat while boxes remain:

   * select the remaining box with the highest *current* score (ties: lowest index); record its
     index and its current score, and take it out of the remaining boxes;
   * multiply the current score of every remaining box ``j`` by a weight of its IoU ``u`` with the
     selected box: ``method="linear"``: ``1 - u`` if ``u > iou_threshold`` else ``1``;
     ``method="gaussian"``: ``exp(-u**2 / sigma)`` (``iou_threshold`` is not used);
   * discard every remaining box whose current score is now below ``score_threshold``.

   Boxes whose initial score is below ``score_threshold`` are discarded before the first step.
   Return ``(keep, kept_scores)``: the selected indices (int64) in selection order and the score
   each had when it was selected (dtype of ``scores``). Do not modify ``scores``.

3. ``batched_nms(boxes, scores, labels, iou_threshold)``: NMS per class: boxes with different
   ``labels`` (an int64 ``(K,)`` tensor) never suppress each other. Return the kept indices of all
   classes together, by decreasing score (ties: lowest index first).

Inputs must not be modified. ``torchvision.ops.nms`` and ``torchvision.ops.batched_nms`` are not
allowed in this kata.

Example::

    >>> boxes = torch.tensor([[0., 0., 4., 1.], [1., 0., 5., 1.], [2., 0., 6., 1.]])
    >>> scores = torch.tensor([0.9, 0.8, 0.7])
    >>> nms(boxes, scores, 0.5)   # IoU(0, 1) = 3/5 > 0.5: box 1 goes; IoU(0, 2) = 2/6 stays
    tensor([0, 2])
    >>> nms(boxes, scores, 0.6)   # IoU(0, 1) = 0.6 is not > 0.6: nothing is suppressed
    tensor([0, 1, 2])
"""

from __future__ import annotations

import torch


def nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Indices of the boxes NMS keeps, by decreasing score (int64, 1-D)."""
    # TODO: visit boxes by decreasing score (stable); keep one, drop those with IoU > threshold.
    raise NotImplementedError("nms")


def soft_nms(
    boxes: torch.Tensor,
    scores: torch.Tensor,
    iou_threshold: float = 0.3,
    sigma: float = 0.5,
    score_threshold: float = 1e-3,
    method: str = "linear",
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(keep, kept_scores)``: selected indices in selection order, and their scores then."""
    # TODO: select the best current score, decay the others by their IoU with it, drop low ones.
    raise NotImplementedError("soft_nms")


def batched_nms(
    boxes: torch.Tensor, scores: torch.Tensor, labels: torch.Tensor, iou_threshold: float
) -> torch.Tensor:
    """NMS within each class; kept indices of every class, by decreasing score (int64, 1-D)."""
    # TODO: boxes of different classes never suppress each other.
    raise NotImplementedError("batched_nms")
