"""Cross-checks of the det graders' brute-force references against torchvision.ops.

The det graders cannot use torchvision as their oracle (its PyPI build does not load with the
CPU torch the project installs), so they carry references written out from the statements.
Where torchvision is installed, this file checks those references against it; elsewhere it skips.
No points: this is a test of the graders, not of a learner.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

torchvision = pytest.importorskip("torchvision")
from torchvision import ops  # noqa: E402

GRADERS = Path(__file__).resolve().parent.parent / "graders" / "det"


def grader(name: str):
    """Load graders/det/<name>.py as a plain module (it is never imported by the project)."""
    spec = importlib.util.spec_from_file_location(f"det_oracle_{name}", GRADERS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def boxes(gen: np.random.Generator, n: int) -> torch.Tensor:
    xy = gen.uniform(0, 20, (n, 2))
    wh = gen.uniform(0.5, 10, (n, 2))
    return torch.tensor(np.concatenate([xy, xy + wh], axis=1))


@pytest.mark.parametrize("seed", range(5))
def test_iou_references_match_torchvision(seed):
    g = grader("test_iou")
    gen = np.random.default_rng(seed)
    a, b = boxes(gen, 7), boxes(gen, 9)
    np.testing.assert_allclose(g.reference(a, b, "iou"), ops.box_iou(a, b).numpy(), rtol=1e-12)
    np.testing.assert_allclose(
        g.reference(a, b, "giou"), ops.generalized_box_iou(a, b).numpy(), rtol=1e-12, atol=1e-14
    )


@pytest.mark.parametrize("seed, thr", [(0, 0.5), (1, 0.3), (2, 0.7), (3, 0.5)])
def test_nms_references_match_torchvision(seed, thr):
    g = grader("test_nms")
    b, s = g.clustered(seed)  # distinct scores: torchvision does not define its tie order
    assert g.ref_nms(b, s, thr) == ops.nms(b, s, thr).tolist()
    labels = torch.tensor(np.random.default_rng(seed).integers(0, 3, len(s)))
    assert g.ref_batched(b, s, labels, thr) == ops.batched_nms(b, s, labels, thr).tolist()


def test_nms_exactly_at_the_threshold_matches_torchvision():
    g = grader("test_nms")
    s = torch.tensor([0.9, 0.8, 0.7, 0.6], dtype=torch.float64)
    for thr in (0.5, 0.25):
        assert g.ref_nms(g.AT_THRESHOLD, s, thr) == ops.nms(g.AT_THRESHOLD, s, thr).tolist()


@pytest.mark.parametrize(
    "seed, size, scale", [(1, (3, 2), 0.25), (2, (2, 2), 0.5), (3, (4, 3), 1.0)]
)
def test_roi_pool_reference_matches_torchvision(seed, size, scale):
    g = grader("test_roi_pool")
    features = g.feature_map(seed, (2, 3, 12, 15))
    rois = g.random_rois(seed + 50, 5, 2, (12 / scale, 15 / scale))
    expected = ops.roi_pool(features, rois, size, scale).numpy()
    np.testing.assert_allclose(g.ref_roi_pool(features, rois, size, scale), expected, rtol=1e-12)


@pytest.mark.parametrize("ratio", [2, -1])
@pytest.mark.parametrize("aligned", [False, True])
@pytest.mark.parametrize("seed", [6, 9, 10])
def test_roi_align_reference_matches_torchvision(seed, aligned, ratio):
    g = grader("test_roi_pool")
    features, rois, size, scale, _, _ = g.align_case(seed, ratio, aligned)
    expected = ops.roi_align(features, rois, size, scale, ratio, aligned).numpy()
    got = g.ref_roi_align(features, rois, size, scale, ratio, aligned)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


def test_roi_align_reference_at_the_border_matches_torchvision():
    g = grader("test_roi_pool")
    features = g.feature_map(10, (1, 2, 5, 6))
    rois = torch.tensor(
        [[0.0, -3.0, -2.5, 2.0, 3.0], [0.0, 3.5, 2.0, 7.5, 6.5], [0.0, 0.2, 0.3, 0.6, 0.5]],
        dtype=torch.float64,
    )
    expected = ops.roi_align(features, rois, (3, 3), 1.0, 2, False).numpy()
    got = g.ref_roi_align(features, rois, (3, 3), 1.0, 2, False)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("weights", [(1.0, 1.0, 1.0, 1.0), (10.0, 10.0, 5.0, 5.0)])
def test_box_coding_references_match_torchvision_box_coder(weights):
    g = grader("test_box_coding")
    from torchvision.models.detection._utils import BoxCoder

    coder = BoxCoder(weights)
    gen = np.random.default_rng(4)
    anchors, gts = g.random_boxes(gen, 7), g.random_boxes(gen, 7)
    expected = coder.encode_single(gts, anchors).numpy()
    np.testing.assert_allclose(g.ref_encode(anchors, gts, weights), expected, rtol=1e-9, atol=1e-12)
    deltas = torch.tensor(gen.normal(0, 0.5, (7, 4)))
    decoded = coder.decode_single(deltas, anchors).numpy()
    np.testing.assert_allclose(
        g.ref_decode(anchors, deltas, weights), decoded, rtol=1e-9, atol=1e-9
    )
