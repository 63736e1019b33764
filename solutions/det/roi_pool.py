"""Reference solution: RoI max pooling, RoI Align and spatial pyramid pooling."""

from __future__ import annotations

import math

import torch


def _round_half_away(v: float) -> int:
    # C's round(), as Caffe/torchvision use; torch.round and Python's round go half to even.
    return math.floor(v + 0.5) if v >= 0 else -math.floor(-v + 0.5)


def roi_pool(
    features: torch.Tensor,
    rois: torch.Tensor,
    output_size: tuple[int, int],
    spatial_scale: float,
) -> torch.Tensor:
    _, c, h, w = features.shape
    ph, pw = output_size
    out = features.new_zeros((len(rois), c, ph, pw))
    for k, (b, x1, y1, x2, y2) in enumerate(rois.tolist()):
        # Quantise the RoI to whole cells; it covers cells x1..x2 inclusive, hence the + 1.
        x1, y1 = _round_half_away(x1 * spatial_scale), _round_half_away(y1 * spatial_scale)
        x2, y2 = _round_half_away(x2 * spatial_scale), _round_half_away(y2 * spatial_scale)
        roi_w, roi_h = max(x2 - x1 + 1, 1), max(y2 - y1 + 1, 1)
        bin_w, bin_h = roi_w / pw, roi_h / ph
        image = features[int(b)]
        for i in range(ph):
            # floor/ceil: neighbouring bins may share a cell, but no cell is left out.
            hs = min(max(math.floor(i * bin_h) + y1, 0), h)
            he = min(max(math.ceil((i + 1) * bin_h) + y1, 0), h)
            for j in range(pw):
                ws = min(max(math.floor(j * bin_w) + x1, 0), w)
                we = min(max(math.ceil((j + 1) * bin_w) + x1, 0), w)
                if he > hs and we > ws:  # an empty bin (outside the map) stays 0
                    out[k, :, i, j] = image[:, hs:he, ws:we].amax(dim=(1, 2))
    return out


def _bilinear(image: torch.Tensor, y: float, x: float) -> torch.Tensor:
    c, h, w = image.shape
    if y < -1.0 or y > h or x < -1.0 or x > w:
        return image.new_zeros(c)  # the sample lies outside the map: it contributes 0
    y, x = max(y, 0.0), max(x, 0.0)
    y0, x0 = int(y), int(x)
    if y0 >= h - 1:
        y0 = y1 = h - 1
        y = float(y0)
    else:
        y1 = y0 + 1
    if x0 >= w - 1:
        x0 = x1 = w - 1
        x = float(x0)
    else:
        x1 = x0 + 1
    ly, lx = y - y0, x - x0
    hy, hx = 1.0 - ly, 1.0 - lx
    return (
        hy * hx * image[:, y0, x0]
        + hy * lx * image[:, y0, x1]
        + ly * hx * image[:, y1, x0]
        + ly * lx * image[:, y1, x1]
    )


def roi_align(
    features: torch.Tensor,
    rois: torch.Tensor,
    output_size: tuple[int, int],
    spatial_scale: float,
    sampling_ratio: int = -1,
    aligned: bool = False,
) -> torch.Tensor:
    c = features.shape[1]
    ph, pw = output_size
    out = features.new_zeros((len(rois), c, ph, pw))
    # aligned=True: a continuous coordinate x maps to pixel index x - 0.5 (pixel centres).
    offset = 0.5 if aligned else 0.0
    for k, (b, x1, y1, x2, y2) in enumerate(rois.tolist()):
        xs, ys = x1 * spatial_scale - offset, y1 * spatial_scale - offset
        roi_w, roi_h = x2 * spatial_scale - offset - xs, y2 * spatial_scale - offset - ys
        if not aligned:  # the legacy behaviour forces at least one cell
            roi_w, roi_h = max(roi_w, 1.0), max(roi_h, 1.0)
        bin_w, bin_h = roi_w / pw, roi_h / ph
        gh = sampling_ratio if sampling_ratio > 0 else math.ceil(roi_h / ph)
        gw = sampling_ratio if sampling_ratio > 0 else math.ceil(roi_w / pw)
        count = max(gh * gw, 1)
        image = features[int(b)]
        for i in range(ph):
            for j in range(pw):
                total = image.new_zeros(c)
                for iy in range(gh):
                    # samples at the centres of a gh x gw grid inside the bin
                    y = ys + i * bin_h + (iy + 0.5) * bin_h / gh
                    for ix in range(gw):
                        x = xs + j * bin_w + (ix + 0.5) * bin_w / gw
                        total = total + _bilinear(image, y, x)
                out[k, :, i, j] = total / count
    return out


def spatial_pyramid_pool(
    features: torch.Tensor, levels: tuple[int, ...] = (1, 2, 4)
) -> torch.Tensor:
    n, c, h, w = features.shape
    pooled = []
    for level in levels:
        grid = features.new_empty((n, c, level, level))
        for i in range(level):
            # floor start, ceil end: every cell is in a bin and no bin is empty, even if h < level
            hs, he = (i * h) // level, -((-(i + 1) * h) // level)
            for j in range(level):
                ws, we = (j * w) // level, -((-(j + 1) * w) // level)
                grid[:, :, i, j] = features[:, :, hs:he, ws:we].amax(dim=(2, 3))
        pooled.append(grid.reshape(n, c * level * level))  # channel-major: (C, n, n)
    return torch.cat(pooled, dim=1)
