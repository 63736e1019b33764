"""Reference solution: anchors, anchor assignment and box encoding (see the exercise)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

# Largest log-scale decode accepts, as torchvision's BoxCoder: exp() of a wild delta would
# overflow to inf long before it means anything.
BBOX_XFORM_CLIP = math.log(1000.0 / 16)


def generate_anchors(
    feature_size: tuple[int, int],
    stride: float,
    scales: Sequence[float],
    ratios: Sequence[float],
) -> torch.Tensor:
    h, w = feature_size
    ratios_t = torch.as_tensor(ratios, dtype=torch.float64)
    scales_t = torch.as_tensor(scales, dtype=torch.float64)
    # ratio = height / width at constant area s^2: h = s sqrt(r), w = s / sqrt(r)
    heights = (scales_t[None, :] * ratios_t.sqrt()[:, None]).reshape(-1)  # ratios outer
    widths = (scales_t[None, :] / ratios_t.sqrt()[:, None]).reshape(-1)
    base = torch.stack([-widths, -heights, widths, heights], dim=1) / 2  # centred at 0
    # cell centres, row-major: y outer, x inner
    cy, cx = torch.meshgrid(
        (torch.arange(h, dtype=torch.float64) + 0.5) * stride,
        (torch.arange(w, dtype=torch.float64) + 0.5) * stride,
        indexing="ij",
    )
    centres = torch.stack([cx, cy, cx, cy], dim=-1).reshape(-1, 1, 4)
    return (centres + base[None]).reshape(-1, 4)


def _pairwise_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    lt = torch.maximum(a[:, None, :2], b[None, :, :2])
    rb = torch.minimum(a[:, None, 2:], b[None, :, 2:])
    sides = (rb - lt).clamp(min=0)
    inter = sides[..., 0] * sides[..., 1]
    union = area_a[:, None] + area_b[None, :] - inter
    return torch.where(union > 0, inter / torch.where(union > 0, union, 1.0), 0.0)


def assign_anchors(
    anchors: torch.Tensor,
    gt_boxes: torch.Tensor,
    pos_threshold: float = 0.7,
    neg_threshold: float = 0.3,
) -> tuple[torch.Tensor, torch.Tensor]:
    n = len(anchors)
    if len(gt_boxes) == 0:
        return torch.zeros(n, dtype=torch.int64), torch.full((n,), -1, dtype=torch.int64)
    iou = _pairwise_iou(anchors, gt_boxes)  # (A, G)
    best_iou, matched = iou.max(dim=1)  # max returns the first maximum: ties to the lower gt
    labels = torch.full((n,), -1, dtype=torch.int64)
    labels[best_iou < neg_threshold] = 0
    labels[best_iou >= pos_threshold] = 1
    # Faster R-CNN: every ground truth gets at least its best anchor(s), even below the
    # threshold, so small or odd-shaped objects are not left without a positive.
    best_per_gt = iou.max(dim=0).values  # (G,)
    is_best = (iou == best_per_gt[None, :]) & (best_per_gt[None, :] > 0)
    labels[is_best.any(dim=1)] = 1
    return labels, matched


def _centre_size(boxes: torch.Tensor) -> tuple[torch.Tensor, ...]:
    widths = boxes[:, 2] - boxes[:, 0]
    heights = boxes[:, 3] - boxes[:, 1]
    return boxes[:, 0] + 0.5 * widths, boxes[:, 1] + 0.5 * heights, widths, heights


def encode(
    anchors: torch.Tensor,
    boxes: torch.Tensor,
    weights: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0),
) -> torch.Tensor:
    wx, wy, ww, wh = weights
    acx, acy, aw, ah = _centre_size(anchors)
    gcx, gcy, gw, gh = _centre_size(boxes)
    # Offsets relative to the anchor's size (scale invariant); log makes sizes symmetric:
    # twice as wide and half as wide are +log 2 and -log 2.
    return torch.stack(
        [
            wx * (gcx - acx) / aw,
            wy * (gcy - acy) / ah,
            ww * torch.log(gw / aw),
            wh * torch.log(gh / ah),
        ],
        dim=1,
    )


def decode(
    anchors: torch.Tensor,
    deltas: torch.Tensor,
    weights: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0),
) -> torch.Tensor:
    wx, wy, ww, wh = weights
    acx, acy, aw, ah = _centre_size(anchors)
    dx, dy = deltas[:, 0] / wx, deltas[:, 1] / wy
    dw = (deltas[:, 2] / ww).clamp(max=BBOX_XFORM_CLIP)
    dh = (deltas[:, 3] / wh).clamp(max=BBOX_XFORM_CLIP)
    cx, cy = dx * aw + acx, dy * ah + acy
    w, h = torch.exp(dw) * aw, torch.exp(dh) * ah
    return torch.stack([cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h], dim=1)
