"""Reference solution: NMS, Soft-NMS and batched NMS (see the exercise for the statement)."""

from __future__ import annotations

import math

import torch


def _pairwise_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    sides = (
        torch.minimum(a[:, None, 2:], b[None, :, 2:])
        - torch.maximum(a[:, None, :2], b[None, :, :2])
    ).clamp(min=0)
    inter = sides[..., 0] * sides[..., 1]
    union = area_a[:, None] + area_b[None, :] - inter
    return torch.where(union > 0, inter / torch.where(union > 0, union, 1.0), 0.0)


def _order(scores: torch.Tensor) -> torch.Tensor:
    # stable=True: equal scores keep their index order, so ties go to the lower index.
    return torch.sort(scores, descending=True, stable=True).indices


def nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    order = _order(scores)
    iou = _pairwise_iou(boxes, boxes)
    suppressed = torch.zeros(len(scores), dtype=torch.bool)
    keep = []
    for i in order.tolist():
        if suppressed[i]:
            continue
        keep.append(i)
        # Strictly greater: a box exactly at the threshold survives, as torchvision does.
        suppressed |= iou[i] > iou_threshold
    return torch.tensor(keep, dtype=torch.int64)


def soft_nms(
    boxes: torch.Tensor,
    scores: torch.Tensor,
    iou_threshold: float = 0.3,
    sigma: float = 0.5,
    score_threshold: float = 1e-3,
    method: str = "linear",
) -> tuple[torch.Tensor, torch.Tensor]:
    if method not in ("linear", "gaussian"):
        raise ValueError(f"method must be 'linear' or 'gaussian', got {method!r}")
    current = scores.clone()  # never decay the caller's tensor
    iou = _pairwise_iou(boxes, boxes)
    remaining = [i for i in range(len(scores)) if current[i] >= score_threshold]
    keep, kept_scores = [], []
    while remaining:
        # Re-select by the *current* scores: decays can reorder the queue. max() returns the
        # first maximum, and `remaining` is in index order, so ties go to the lower index.
        best = max(remaining, key=lambda i: (current[i].item(), -i))
        keep.append(best)
        kept_scores.append(current[best].item())
        remaining.remove(best)
        for j in remaining:
            u = iou[best, j].item()
            if method == "linear":
                weight = 1.0 - u if u > iou_threshold else 1.0
            else:
                weight = math.exp(-(u**2) / sigma)
            current[j] = current[j] * weight
        remaining = [j for j in remaining if current[j] >= score_threshold]
    return torch.tensor(keep, dtype=torch.int64), torch.tensor(kept_scores, dtype=scores.dtype)


def batched_nms(
    boxes: torch.Tensor, scores: torch.Tensor, labels: torch.Tensor, iou_threshold: float
) -> torch.Tensor:
    keep = []
    for label in torch.unique(labels).tolist():
        members = torch.nonzero(labels == label).flatten()
        keep.append(members[nms(boxes[members], scores[members], iou_threshold)])
    if not keep:
        return torch.zeros(0, dtype=torch.int64)
    keep = torch.cat(keep)
    # Merge the classes back into one list by decreasing score, ties to the lower index:
    # sort by index first, then stable sort by score.
    keep = keep.sort().values
    return keep[_order(scores[keep])]
