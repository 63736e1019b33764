"""Feature pyramid network (FPN): lateral 1x1 convs, a top-down path, 3x3 smoothing.

Source questions: Q: FPN 理解 (s001-47); Q: 目标检测发展史 (s001-42).

A backbone gives feature maps ``C_0, C_1, ..., C_{L-1}``, finest first: each level has its own
channel count and about half the height and width of the one before it (``H_{i+1} =
ceil(H_i / 2)``, the same for ``W``). Deep levels are semantically strong but coarse; FPN sends
their information down to the fine levels, so that every output level is both.

Implement ``FPN(in_channels, out_channels)``, a ``torch.nn.Module`` with exactly these
submodules (the grader reads their weights by these names), one of each per level:

* ``self.lateral``: an ``nn.ModuleList`` of ``nn.Conv2d(in_channels[i], out_channels, 1)``
* ``self.smooth``: an ``nn.ModuleList`` of ``nn.Conv2d(out_channels, out_channels, 3,
  padding=1)``

(all with bias). ``forward(features)`` takes the list ``[C_0, ..., C_{L-1}]``, ``C_i`` of shape
``(N, in_channels[i], H_i, W_i)``, and returns the list ``[P_0, ..., P_{L-1}]`` in the same
order, ``P_i`` of shape ``(N, out_channels, H_i, W_i)``::

    M_{L-1} = lateral[L-1](C_{L-1})
    M_i     = lateral[i](C_i) + upsample(M_{i+1} to (H_i, W_i))     for i = L-2, ..., 0
    P_i     = smooth[i](M_i)

* ``upsample`` is **nearest-neighbour** upsampling to the lateral's size, as
  ``F.interpolate(M, size=(H_i, W_i), mode="nearest")`` does: output pixel ``(y, x)`` copies
  input pixel ``(floor(y * h / H_i), floor(x * w / W_i))``. When ``H_i = 2h`` this repeats each
  pixel twice; when ``H_i = 2h - 1`` (odd sizes) it is the same repetition with the last row
  cut off, so a plain ``scale_factor=2`` does not fit.
* The map sent down the top-down path is the sum ``M_{i+1}``, before its 3x3 smoothing.
* Upsample first, then add: the addition happens at the finer level's resolution.

Inputs are float32 (the modules' default dtype). A single level (``L = 1``) gives
``[smooth[0](lateral[0](C_0))]``.

Example::

    >>> fpn = FPN([8, 16, 32], 12)
    >>> feats = [torch.randn(2, 8, 13, 10), torch.randn(2, 16, 7, 5), torch.randn(2, 32, 4, 3)]
    >>> [tuple(p.shape) for p in fpn(feats)]
    [(2, 12, 13, 10), (2, 12, 7, 5), (2, 12, 4, 3)]
"""

from __future__ import annotations

import torch
from torch import nn


class FPN(nn.Module):
    """Lateral 1x1 convs, nearest top-down upsampling and addition, 3x3 smoothing per level."""

    def __init__(self, in_channels: list[int], out_channels: int) -> None:
        super().__init__()
        raise NotImplementedError("FPN.__init__")

    def forward(self, features: list[torch.Tensor]) -> list[torch.Tensor]:
        raise NotImplementedError("FPN.forward")
