"""Hidden grader for det/roi_pool.

Oracles: RoI pooling and RoI Align written out here cell by cell and sample by sample from the
statement, in float64 NumPy (they follow torchvision.ops.roi_pool / roi_align, which
tests/test_det_oracles.py checks where torchvision is installed); spatial pyramid pooling against
torch.nn.functional.adaptive_max_pool2d, run here (the learner may not call it).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from katakit import misconceptions
from katakit.checks import as_array, assert_close, describe, fail, rng

MISTAKES = misconceptions.of(__file__)


def c_round(v):
    return math.floor(v + 0.5) if v >= 0 else -math.floor(-v + 0.5)


def ref_roi_pool(features, rois, output_size, scale, mistake=None):
    f = np.asarray(features, dtype=np.float64)
    _, c, h, w = f.shape
    ph, pw = output_size
    out = np.zeros((len(rois), c, ph, pw))
    for k, roi in enumerate(np.asarray(rois, dtype=np.float64)):
        b = int(roi[0])
        if mistake == "not-quantised":
            x1, y1, x2, y2 = (v * scale for v in roi[1:])
        elif mistake == "half-even":
            x1, y1, x2, y2 = (float(np.round(v * scale)) for v in roi[1:])
        else:
            x1, y1, x2, y2 = (c_round(v * scale) for v in roi[1:])
        plus = 0 if mistake in ("no-plus-one", "not-quantised") else 1
        rw, rh = max(x2 - x1 + plus, 1), max(y2 - y1 + plus, 1)
        for i in range(ph):
            rows = range(
                min(max(math.floor(i * rh / ph + y1), 0), h),
                min(max(math.ceil((i + 1) * rh / ph + y1), 0), h),
            )
            for j in range(pw):
                cols = range(
                    min(max(math.floor(j * rw / pw + x1), 0), w),
                    min(max(math.ceil((j + 1) * rw / pw + x1), 0), w),
                )
                cells = [f[b, :, y, x] for y in rows for x in cols]
                if not cells:
                    out[k, :, i, j] = -np.inf if mistake == "empty-inf" else 0.0
                elif mistake == "average":
                    out[k, :, i, j] = np.mean(cells, axis=0)
                else:
                    out[k, :, i, j] = np.max(cells, axis=0)
    return out


def bilinear(image, y, x):
    _, h, w = image.shape
    if y < -1.0 or y > h or x < -1.0 or x > w:
        return np.zeros(image.shape[0])
    y, x = max(y, 0.0), max(x, 0.0)
    y0, x0 = math.floor(y), math.floor(x)
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
    return (
        (1 - ly) * (1 - lx) * image[:, y0, x0]
        + (1 - ly) * lx * image[:, y0, x1]
        + ly * (1 - lx) * image[:, y1, x0]
        + ly * lx * image[:, y1, x1]
    )


def ref_roi_align(features, rois, output_size, scale, ratio, aligned, mistake=None):
    f = np.asarray(features, dtype=np.float64)
    c = f.shape[1]
    ph, pw = output_size
    out = np.zeros((len(rois), c, ph, pw))
    offset = 0.5 if aligned and mistake != "misaligned" else 0.0
    for k, roi in enumerate(np.asarray(rois, dtype=np.float64)):
        b = int(roi[0])
        xs, ys = roi[1] * scale - offset, roi[2] * scale - offset
        rw, rh = roi[3] * scale - offset - xs, roi[4] * scale - offset - ys
        if not aligned:
            rw, rh = max(rw, 1.0), max(rh, 1.0)
        ceil = math.floor if mistake == "adaptive-floor" else math.ceil
        gh = ratio if ratio > 0 else ceil(rh / ph)
        gw = ratio if ratio > 0 else ceil(rw / pw)
        shift = 0.0 if mistake == "corner" else 0.5
        for i in range(ph):
            for j in range(pw):
                total = np.zeros(c)
                for iy in range(gh):
                    for ix in range(gw):
                        y = ys + i * rh / ph + (iy + shift) * rh / ph / gh
                        x = xs + j * rw / pw + (ix + shift) * rw / pw / gw
                        total += bilinear(f[b], y, x)
                out[k, :, i, j] = total / max(gh * gw, 1)
    return out


def oracle_spp(features, levels):
    x = torch.as_tensor(np.asarray(features, dtype=np.float64))
    return torch.cat([F.adaptive_max_pool2d(x, n).reshape(len(x), -1) for n in levels], 1).numpy()


def spp_mistakes(features, levels):
    x = torch.as_tensor(np.asarray(features, dtype=np.float64))
    n_, c, h, w = x.shape
    spatial_major = torch.cat(
        [F.adaptive_max_pool2d(x, n).permute(0, 2, 3, 1).reshape(n_, -1) for n in levels], 1
    )
    floors = []
    for n in levels:
        grid = np.full((n_, c, n, n), np.nan)
        for i in range(n):
            for j in range(n):
                rows = slice(i * h // n, (i + 1) * h // n)
                cols = slice(j * w // n, (j + 1) * w // n)
                block = x[:, :, rows, cols].numpy()
                if block.size:
                    grid[:, :, i, j] = block.max(axis=(2, 3))
        floors.append(grid.reshape(n_, -1))
    return {
        MISTAKES["spp-wrong-order"]: spatial_major.numpy(),
        MISTAKES["spp-floor-bins"]: np.concatenate(floors, axis=1),
    }


def feature_map(seed, shape):
    return torch.tensor(rng(seed).normal(0, 1, shape))


def constant_map(seed, shape, shift=0.0):
    """One value per image and channel, the same in every cell: every non-empty bin pools to it,
    however the bins are cut (rounding, the +1, max or mean), so a test on it charges only what
    it is about."""
    values = rng(seed).normal(shift, 1, (*shape[:2], 1, 1))
    return torch.tensor(np.broadcast_to(values, shape).copy())


def same_under_other_bin_cuts(features, rois, size, scale, expected):
    """A check of the grader's own input: the bin arithmetic's classic slips give the same
    result here, so the test does not charge them."""
    for slip in ("not-quantised", "no-plus-one", "average", "half-even"):
        other = ref_roi_pool(features, rois, size, scale, slip)
        assert np.allclose(other, expected, rtol=1e-12), slip


def random_rois(seed, k, n, image_hw):
    gen = rng(seed)
    h, w = image_hw
    x1, y1 = gen.uniform(0, w * 0.6, k), gen.uniform(0, h * 0.6, k)
    x2, y2 = x1 + gen.uniform(4, w * 0.5, k), y1 + gen.uniform(4, h * 0.5, k)
    return torch.tensor(np.stack([gen.integers(0, n, k), x1, y1, x2, y2], axis=1))


def pool_mistakes(features, rois, size, scale):
    return {
        MISTAKES["roi-pool-not-quantised"]: ref_roi_pool(
            features, rois, size, scale, "not-quantised"
        ),
        MISTAKES["roi-pool-no-plus-one"]: ref_roi_pool(features, rois, size, scale, "no-plus-one"),
        MISTAKES["roi-pool-average"]: ref_roi_pool(features, rois, size, scale, "average"),
    }


@pytest.mark.points(2)
@pytest.mark.parametrize("seed, size, scale", [(1, (3, 2), 0.25), (2, (2, 2), 0.5)])
def test_roi_pool_matches_the_quantised_reference(kata, seed, size, scale):
    features = feature_map(seed, (2, 3, 12, 15))
    rois = random_rois(seed + 50, 5, 2, (12 / scale, 15 / scale))
    assert_close(
        kata.roi_pool(features.clone(), rois.clone(), size, scale),
        ref_roi_pool(features, rois, size, scale),
        what=f"roi_pool(features, rois, {size}, {scale})",
        where=describe(seed, features=features, rois=rois),
        misconceptions=pool_mistakes(features, rois, size, scale),
    )


@pytest.mark.points(1)
def test_roi_pool_rounds_half_away_from_zero(kata):
    # scaled corners 2.5, 0.5, 5.5, 4.5: C's round gives 3, 1, 6, 5; half-to-even 2, 0, 6, 4
    seed, scale, size = 3, 0.5, (2, 3)
    features = feature_map(seed, (1, 2, 8, 9))
    rois = torch.tensor(
        [[0.0, 5.0, 1.0, 11.0, 9.0], [0.0, 1.0, 3.0, 7.0, 13.0]], dtype=torch.float64
    )
    assert_close(
        kata.roi_pool(features, rois, size, scale),
        ref_roi_pool(features, rois, size, scale),
        what="roi_pool with corners at exactly .5 after scaling",
        where=describe(seed, features=features, rois=rois, scale=scale),
        misconceptions={
            MISTAKES["roi-round-half-to-even"]: ref_roi_pool(
                features, rois, size, scale, "half-even"
            ),
            **pool_mistakes(features, rois, size, scale),
        },
    )


@pytest.mark.points(1)
def test_roi_pool_bins_outside_the_map_are_zero(kata):
    # RoIs leaving the map to the right and below, to the left and above, and two wholly
    # outside it. A constant, negative map: a max started at 0 would show, and the bins that
    # fall outside are the same however the bins are cut.
    seed, scale, size = 4, 1.0, (3, 3)
    features = constant_map(seed, (1, 2, 6, 7), shift=-10.0)
    rois = torch.tensor(
        [
            [0.0, 1.0, 1.0, 12.0, 11.0],
            [0.0, -5.0, -5.0, 3.0, 3.0],
            [0.0, 20.0, 20.0, 25.0, 22.0],
            [0.0, -12.0, -9.0, -2.0, -1.0],
        ],
        dtype=torch.float64,
    )
    expected = ref_roi_pool(features, rois, size, scale)
    same_under_other_bin_cuts(features, rois, size, scale, expected)
    assert_close(
        kata.roi_pool(features, rois, size, scale),
        expected,
        what="roi_pool of RoIs that leave the map",
        where=describe(seed, features=features, rois=rois)
        + "; every cell of a channel holds the same value, bins beyond the map are empty",
        misconceptions={
            MISTAKES["roi-pool-empty-bin-not-zero"]: ref_roi_pool(
                features, rois, size, scale, "empty-inf"
            ),
        },
    )


@pytest.mark.points(1)
def test_roi_pool_reads_the_image_of_its_batch_index(kata):
    # A constant map per image and channel: only the image read decides the result.
    seed = 5
    features = constant_map(seed, (3, 2, 6, 6))
    rois = torch.tensor([[2.0, 0.0, 0.0, 5.0, 5.0], [1.0, 1.0, 1.0, 4.0, 3.0]], dtype=torch.float64)
    expected = ref_roi_pool(features, rois, (2, 2), 1.0)
    same_under_other_bin_cuts(features, rois, (2, 2), 1.0, expected)
    wrong = ref_roi_pool(
        features, torch.cat([torch.zeros(2, 1, dtype=torch.float64), rois[:, 1:]], 1), (2, 2), 1.0
    )
    assert_close(
        kata.roi_pool(features, rois, (2, 2), 1.0),
        expected,
        what="roi_pool with batch indices 2 and 1",
        where=describe(seed, features=features, rois=rois)
        + "; every cell of an image's channel holds the same value",
        misconceptions={MISTAKES["roi-batch-index-ignored"]: wrong},
    )


def align_case(seed, ratio, aligned, size=(3, 2), scale=0.5):
    features = feature_map(seed, (2, 3, 10, 11))
    rois = random_rois(seed + 50, 4, 2, (10 / scale, 11 / scale))
    return features, rois, size, scale, ratio, aligned


def check_align(kata, seed, features, rois, size, scale, ratio, aligned, what, extra=None):
    mistakes = {
        MISTAKES["roi-align-sample-at-bin-corner"]: ref_roi_align(
            features, rois, size, scale, ratio, aligned, "corner"
        ),
        MISTAKES["roi-align-misaligned"]: ref_roi_align(
            features, rois, size, scale, ratio, not aligned
        ),
    }
    if ratio <= 0:
        mistakes[MISTAKES["roi-align-adaptive-grid-floor"]] = ref_roi_align(
            features, rois, size, scale, ratio, aligned, "adaptive-floor"
        )
    got = kata.roi_align(
        features.clone(), rois.clone(), size, scale, sampling_ratio=ratio, aligned=aligned
    )
    assert_close(
        got,
        ref_roi_align(features, rois, size, scale, ratio, aligned),
        what=what,
        where=describe(seed, features=features, rois=rois)
        + f", output_size={size}, spatial_scale={scale}, sampling_ratio={ratio}, aligned={aligned}"
        + (extra or ""),
        rtol=1e-9,
        atol=1e-12,
        misconceptions=mistakes,
    )


@pytest.mark.points(2)
@pytest.mark.parametrize("seed", [6, 7])
def test_roi_align_matches_bilinear_reference(kata, seed):
    check_align(kata, seed, *align_case(seed, 2, False), what="roi_align, sampling_ratio=2")


@pytest.mark.points(1)
def test_roi_align_aligned_shifts_by_half_a_cell(kata):
    seed = 8
    check_align(kata, seed, *align_case(seed, 2, True, size=(2, 3)), what="roi_align, aligned=True")


@pytest.mark.points(1)
def test_roi_align_adaptive_sampling_grid(kata):
    seed = 9
    check_align(
        kata, seed, *align_case(seed, -1, False, scale=0.25), what="roi_align, sampling_ratio=-1"
    )


@pytest.mark.points(1)
def test_roi_align_samples_outside_and_at_the_border(kata):
    seed, size, scale = 10, (3, 3), 1.0
    features = feature_map(seed, (1, 2, 5, 6))
    rois = torch.tensor(
        [[0.0, -3.0, -2.5, 2.0, 3.0], [0.0, 3.5, 2.0, 7.5, 6.5], [0.0, 0.2, 0.3, 0.6, 0.5]],
        dtype=torch.float64,
    )
    check_align(
        kata,
        seed,
        features,
        rois,
        size,
        scale,
        2,
        False,
        what="roi_align at the map's border",
        extra="; samples beyond -1 or past H/W are 0, others clamp to the last row/column",
    )


@pytest.mark.points(2)
@pytest.mark.parametrize(
    # the second map is smaller than its finest grid (8 rows of bins over 6 rows of cells)
    "seed, shape, levels",
    [(11, (2, 3, 13, 9), (1, 2, 4)), (12, (1, 2, 6, 10), (3, 1, 8))],
)
def test_spp_matches_adaptive_max_pooling(kata, seed, shape, levels):
    features = feature_map(seed, shape)
    assert_close(
        kata.spatial_pyramid_pool(features.clone(), levels),
        oracle_spp(features, levels),
        what=f"spatial_pyramid_pool(features, {levels})",
        where=describe(seed, features=features),
        misconceptions=spp_mistakes(features, levels),
    )


@pytest.mark.points(1)
def test_spp_output_length_is_fixed_for_any_input_size(kata):
    seed, levels = 13, (1, 2, 4)
    for k, (h, w) in enumerate([(3, 5), (7, 7), (16, 11), (1, 1)]):
        features = feature_map(seed + k, (1, 2, h, w))
        got = as_array(kata.spatial_pyramid_pool(features, levels), "spatial_pyramid_pool")
        # the length only: the values are test_spp_matches_adaptive_max_pooling's promise
        if got.shape != (1, 2 * 21):
            fail(
                f"spatial_pyramid_pool of a (1, 2, {h}, {w}) map with levels {levels}: "
                f"expected shape (1, 42), got {got.shape}"
            )


@pytest.mark.points(1)
def test_float32_features_give_float32_outputs(kata):
    seed = 14
    features = feature_map(seed, (1, 2, 8, 8)).float()
    rois = torch.tensor([[0.0, 1.0, 1.0, 6.0, 5.0]])
    for name, call in [
        ("roi_pool", lambda: kata.roi_pool(features, rois, (2, 2), 1.0)),
        ("roi_align", lambda: kata.roi_align(features, rois, (2, 2), 1.0, 2, False)),
        ("spatial_pyramid_pool", lambda: kata.spatial_pyramid_pool(features, (1, 2))),
    ]:
        got = call()
        dtype = str(getattr(got, "dtype", type(got).__name__)).replace("torch.", "")
        if dtype != "float32":
            fail(f"{name}: expected a float32 result for float32 features, got {dtype}")
