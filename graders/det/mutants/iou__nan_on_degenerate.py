"""Mutant of det/iou: Divides by the union without a guard, so degenerate boxes give NaN."""

from __future__ import annotations

import torch


def _area(boxes: torch.Tensor) -> torch.Tensor:
    # Continuous coordinates: no "+1 pixel" term.
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def _safe_ratio(num: torch.Tensor, den: torch.Tensor) -> torch.Tensor:
    # Divide only where den > 0 so degenerate pairs give 0 without producing NaN first.
    positive = den > 0
    return torch.where(positive, num / torch.where(positive, den, torch.ones_like(den)), 0.0)


def _inter_union(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    top_left = torch.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = torch.minimum(a[:, None, 2:], b[None, :, 2:])
    # Clamp each side at 0 before multiplying: two negative sides would give a positive area.
    sides = (bottom_right - top_left).clamp(min=0)
    inter = sides[..., 0] * sides[..., 1]
    union = _area(a)[:, None] + _area(b)[None, :] - inter
    return inter, union


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    inter, union = _inter_union(a, b)
    return inter / union


def generalized_box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    inter, union = _inter_union(a, b)
    iou = _safe_ratio(inter, union)
    top_left = torch.minimum(a[:, None, :2], b[None, :, :2])
    bottom_right = torch.maximum(a[:, None, 2:], b[None, :, 2:])
    sides = bottom_right - top_left  # never negative: the enclosing box contains both
    enclose = sides[..., 0] * sides[..., 1]
    return iou - _safe_ratio(enclose - union, enclose)
