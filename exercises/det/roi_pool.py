"""RoI pooling: RoI max pooling (Fast R-CNN), RoI Align (Mask R-CNN) and spatial pyramid pooling.

Source question: 目标检测发展史 (s001-42), its SPP-Net and Fast R-CNN headings. R-CNN cropped and
warped every proposal; SPP-Net pooled a whole feature map into a fixed-length vector with a
pyramid of grids; Fast R-CNN pooled each region of interest (RoI) of a shared feature map into a
fixed ``ph x pw`` grid; RoI Align removed the rounding with bilinear sampling.

``features`` is an ``(N, C, H, W)`` float tensor. ``rois`` is a ``(K, 5)`` float tensor, one row
``(batch_index, x1, y1, x2, y2)`` per RoI in image coordinates; multiply by ``spatial_scale``
(e.g. 1/16) to get feature-map coordinates. x indexes the width axis W, y the height axis H.
``output_size = (ph, pw)``. Every function returns a new tensor of the dtype of ``features`` and
leaves its inputs unchanged. Python loops over RoIs and bins are fine; ``torchvision.ops``
(roi_pool, roi_align, RoIPool, RoIAlign) and ``torch.nn.functional.adaptive_max_pool2d`` are not
allowed in this kata.

1. ``roi_pool(features, rois, output_size, spatial_scale)`` -> ``(K, C, ph, pw)``, quantised
   like Fast R-CNN (and torchvision):

   * round each scaled corner to a whole cell with **round half away from zero** (C's ``round``;
     note ``torch.round`` and Python's ``round`` go half to even): ``x1' = round(x1 * s)``, ...
   * the RoI covers cells ``x1'..x2'`` *inclusive*: ``roi_w = max(x2' - x1' + 1, 1)``,
     ``roi_h = max(y2' - y1' + 1, 1)``; ``bin_w = roi_w / pw``, ``bin_h = roi_h / ph`` (floats);
   * bin ``(i, j)`` spans rows ``floor(i * bin_h) + y1'`` to ``ceil((i + 1) * bin_h) + y1'``
     (end excluded) and columns likewise, each clipped to ``[0, H]`` / ``[0, W]``;
   * its value is the max of ``features[batch_index, c]`` over those cells, or **0 when the bin
     is empty** (the RoI leaves the map).

2. ``roi_align(features, rois, output_size, spatial_scale, sampling_ratio=-1, aligned=False)``
   -> ``(K, C, ph, pw)``, as torchvision.ops.roi_align:

   * ``o = 0.5 if aligned else 0``; start ``xs = x1 * s - o``, ``ys = y1 * s - o``; size
     ``roi_w = x2 * s - o - xs``, ``roi_h`` likewise; when ``aligned`` is False, ``roi_w`` and
     ``roi_h`` are raised to at least 1. ``bin_w = roi_w / pw``, ``bin_h = roi_h / ph``.
   * each bin averages ``gh x gw`` samples: ``gh = gw = sampling_ratio`` if it is > 0, else
     ``gh = ceil(roi_h / ph)`` and ``gw = ceil(roi_w / pw)``. Sample ``(iy, ix)`` of bin ``(i, j)``
     sits at ``y = ys + i * bin_h + (iy + 0.5) * bin_h / gh``,
     ``x = xs + j * bin_w + (ix + 0.5) * bin_w / gw``; the bin's value is the sum of the
     samples / ``max(gh * gw, 1)``.
   * bilinear sampling of cell values, which sit at integer coordinates: a sample with
     ``y < -1`` or ``y > H`` or ``x < -1`` or ``x > W`` is 0; otherwise clamp ``y`` and ``x`` at
     0 from below; with ``y0 = floor(y)``: if ``y0 >= H - 1`` use row ``H - 1`` alone, else
     interpolate rows ``y0`` and ``y0 + 1`` with weights ``1 - (y - y0)`` and ``y - y0``
     (likewise for x).

3. ``spatial_pyramid_pool(features, levels=(1, 2, 4))`` ->
   ``(N, C * sum(n * n for n in levels))``, whatever ``H`` and ``W`` are (even smaller than a
   level): for each level ``n``, max-pool the map into an ``n x n`` grid whose bin ``(i, j)``
   spans rows ``floor(i * H / n)`` to ``ceil((i + 1) * H / n)`` (end excluded) and columns likewise;
   flatten each level channel-major (as ``(N, C, n, n).reshape(N, -1)``) and concatenate the
   levels in the order given.

Example::

    >>> f = torch.arange(16.0).reshape(1, 1, 4, 4)
    >>> roi_pool(f, torch.tensor([[0.0, 0.0, 0.0, 3.0, 3.0]]), (2, 2), 1.0)
    tensor([[[[ 5.,  7.],
              [13., 15.]]]])
    >>> roi_align(f, torch.tensor([[0.0, 0.0, 0.0, 2.0, 2.0]]), (1, 1), 1.0, 1)  # sample (1, 1)
    tensor([[[[5.]]]])
    >>> spatial_pyramid_pool(f, (1, 2)).shape
    torch.Size([1, 5])
"""

from __future__ import annotations

import torch


def roi_pool(
    features: torch.Tensor,
    rois: torch.Tensor,
    output_size: tuple[int, int],
    spatial_scale: float,
) -> torch.Tensor:
    """Quantised RoI max pooling: ``(K, C, ph, pw)``."""
    # TODO: round the scaled corners, split the RoI into ph x pw bins (floor/ceil edges), max.
    raise NotImplementedError("roi_pool")


def roi_align(
    features: torch.Tensor,
    rois: torch.Tensor,
    output_size: tuple[int, int],
    spatial_scale: float,
    sampling_ratio: int = -1,
    aligned: bool = False,
) -> torch.Tensor:
    """RoI Align with bilinear sampling: ``(K, C, ph, pw)``."""
    # TODO: no rounding: average bilinear samples on a regular grid inside each bin.
    raise NotImplementedError("roi_align")


def spatial_pyramid_pool(
    features: torch.Tensor, levels: tuple[int, ...] = (1, 2, 4)
) -> torch.Tensor:
    """Fixed-length pyramid of max-pooled grids: ``(N, C * sum(n * n))``."""
    # TODO: for each level, an n x n grid of max pools with floor/ceil edges; flatten, concatenate.
    raise NotImplementedError("spatial_pyramid_pool")
