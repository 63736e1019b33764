"""Hidden grader for det/box_coding.

Oracles: the statement's formulas written out here anchor by anchor in Python floats (anchors,
the Faster R-CNN assignment rule, the R-CNN box encoding) and the round trip decode(encode(g)) = g.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from katakit import misconceptions
from katakit.checks import as_array, assert_close, assert_equal, describe, fail, rng

MISTAKES = misconceptions.of(__file__)
CLIP = math.log(1000.0 / 16)


def ref_anchors(feature_size, stride, scales, ratios, mistake=None):
    h, w = feature_size
    out = []
    for y in range(h):
        for x in range(w):
            shift = 0.0 if mistake == "corner" else 0.5
            cx, cy = (x + shift) * stride, (y + shift) * stride
            pairs = [(r, s) for r in ratios for s in scales]
            if mistake == "order":
                pairs = [(r, s) for s in scales for r in ratios]
            for r, s in pairs:
                if mistake == "inverted":
                    r = 1.0 / r
                bh, bw = s * math.sqrt(r), s / math.sqrt(r)
                out.append([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2])
    return np.array(out).reshape(-1, 4)


def iou(p, q):
    iw = max(0.0, min(p[2], q[2]) - max(p[0], q[0]))
    ih = max(0.0, min(p[3], q[3]) - max(p[1], q[1]))
    inter = iw * ih
    union = (p[2] - p[0]) * (p[3] - p[1]) + (q[2] - q[0]) * (q[3] - q[1]) - inter
    return inter / union if union > 0 else 0.0


def ref_assign(anchors, gts, pos=0.7, neg=0.3, mistake=None):
    a = np.asarray(anchors, dtype=np.float64).tolist()
    g = np.asarray(gts, dtype=np.float64).tolist()
    if not g:
        return [0] * len(a), [-1] * len(a)
    m = [[iou(p, q) for q in g] for p in a]
    labels, matched = [], []
    for row in m:
        best = max(row)
        matched.append(row.index(best))
        if (best > pos) if mistake == "strict" else (best >= pos):
            labels.append(1)
        elif (best <= neg) if mistake == "strict" else (best < neg):
            labels.append(0)
        else:
            labels.append(-1)
    if mistake != "no-best":
        for j in range(len(g)):
            col = [row[j] for row in m]
            top = max(col)
            if top > 0 or mistake == "zero-best":
                winners = (
                    [col.index(top)]
                    if mistake == "first-tie"
                    else [i for i, v in enumerate(col) if v == top]
                )
                for i in winners:
                    labels[i] = 1
    return labels, matched


def centre_size(b, plus=0.0):
    w, h = b[2] - b[0] + plus, b[3] - b[1] + plus
    return b[0] + 0.5 * w, b[1] + 0.5 * h, w, h


def ref_encode(anchors, boxes, weights=(1, 1, 1, 1), mistake=None):
    wx, wy, ww, wh = weights
    if mistake == "inverted":
        wx, wy, ww, wh = 1 / wx, 1 / wy, 1 / ww, 1 / wh
    plus = 1.0 if mistake == "plus-one" else 0.0
    log = (lambda v: v) if mistake == "no-log" else math.log
    out = []
    for p, q in zip(
        np.asarray(anchors, dtype=np.float64), np.asarray(boxes, dtype=np.float64), strict=True
    ):
        acx, acy, aw, ah = centre_size(p, plus)
        gcx, gcy, gw, gh = centre_size(q, plus)
        out.append(
            [wx * (gcx - acx) / aw, wy * (gcy - acy) / ah, ww * log(gw / aw), wh * log(gh / ah)]
        )
    return np.array(out).reshape(-1, 4)


def ref_decode(anchors, deltas, weights=(1, 1, 1, 1), clamp=True):
    wx, wy, ww, wh = weights
    out = []
    for p, d in zip(
        np.asarray(anchors, dtype=np.float64), np.asarray(deltas, dtype=np.float64), strict=True
    ):
        acx, acy, aw, ah = centre_size(p)
        dw, dh = d[2] / ww, d[3] / wh
        if clamp:
            dw, dh = min(dw, CLIP), min(dh, CLIP)
        cx, cy = d[0] / wx * aw + acx, d[1] / wy * ah + acy
        w, h = math.exp(dw) * aw, math.exp(dh) * ah
        out.append([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
    return np.array(out).reshape(-1, 4)


def random_boxes(gen, n, lo=2.0, hi=40.0):
    xy = gen.uniform(0, 100, (n, 2))
    wh = gen.uniform(lo, hi, (n, 2))
    return torch.tensor(np.concatenate([xy, xy + wh], axis=1))


@pytest.mark.points(2)
@pytest.mark.parametrize(
    "feature_size, stride, scales, ratios",
    [((2, 3), 16.0, [32.0, 64.0], [0.5, 1.0, 2.0]), ((3, 1), 8.0, [16.0, 24.0, 40.0], [0.25, 3.0])],
)
def test_anchors_match_the_written_out_grid(kata, feature_size, stride, scales, ratios):
    args = (feature_size, stride, scales, ratios)
    assert_close(
        kata.generate_anchors(*args),
        ref_anchors(*args),
        what=f"generate_anchors{args}",
        where=f"feature_size {feature_size}, stride {stride}, scales {scales}, ratios {ratios}",
        rtol=1e-6,
        atol=1e-5,
        misconceptions={
            MISTAKES["anchors-ratio-inverted"]: ref_anchors(*args, mistake="inverted"),
            MISTAKES["anchors-wrong-order"]: ref_anchors(*args, mistake="order"),
            MISTAKES["anchors-not-centred"]: ref_anchors(*args, mistake="corner"),
        },
    )


def assignment_case(seed):
    gen = rng(seed)
    anchors = torch.tensor(ref_anchors((4, 4), 16.0, [16.0, 32.0], [0.5, 1.0, 2.0]))
    centres = gen.uniform(8, 56, (3, 2))
    sizes = gen.uniform(10, 36, (3, 2))
    gts = torch.tensor(np.concatenate([centres - sizes / 2, centres + sizes / 2], axis=1))
    return anchors, gts


@pytest.mark.points(2)
@pytest.mark.parametrize("seed, pos, neg", [(1, 0.7, 0.3), (2, 0.5, 0.4)])
def test_assignment_labels_follow_the_thresholds_and_best_anchor_rule(kata, seed, pos, neg):
    anchors, gts = assignment_case(seed)
    labels, _ = kata.assign_anchors(anchors, gts, pos, neg)
    assert_equal(
        labels,
        ref_assign(anchors, gts, pos, neg)[0],
        what=f"labels of assign_anchors(anchors, gt_boxes, {pos}, {neg})",
        where=describe(seed, anchors=anchors, gt_boxes=gts),
        misconceptions={
            MISTAKES["assign-no-best-anchor"]: ref_assign(anchors, gts, pos, neg, "no-best")[0],
            MISTAKES["assign-threshold-strict"]: ref_assign(anchors, gts, pos, neg, "strict")[0],
        },
    )


@pytest.mark.points(1)
def test_matched_is_each_anchors_best_ground_truth(kata):
    seed = 3
    anchors, gts = assignment_case(seed)
    gts = torch.cat([gts, gts[:1]])  # a duplicate: ties go to the lower index
    _, matched = kata.assign_anchors(anchors, gts)
    assert_equal(
        matched,
        ref_assign(anchors, gts)[1],
        what="matched of assign_anchors",
        where=describe(seed, anchors=anchors, gt_boxes=gts) + "; gt 3 repeats gt 0",
    )


@pytest.mark.points(2)
def test_each_ground_truths_best_anchor_is_positive_below_the_threshold(kata):
    anchors = torch.tensor(
        [[0.0, 0.0, 10.0, 10.0], [20.0, 0.0, 30.0, 10.0], [50.0, 50.0, 60.0, 60.0]],
        dtype=torch.float64,
    )
    gts = torch.tensor([[0.0, 0.0, 10.0, 25.0], [22.0, 2.0, 24.0, 4.0]], dtype=torch.float64)
    labels, _ = kata.assign_anchors(anchors, gts, 0.7, 0.3)
    assert_equal(
        labels,
        [1, 1, 0],
        what="labels",
        where=describe(anchors=anchors, gt_boxes=gts)
        + "; the best IoUs are 0.4 and 0.04, both below 0.7",
        misconceptions={MISTAKES["assign-no-best-anchor"]: [-1, 0, 0]},
    )


@pytest.mark.points(1)
def test_all_anchors_tied_for_a_ground_truths_best_are_positive(kata):
    anchors = torch.tensor(
        [
            [0.0, 0.0, 4.0, 4.0],
            [4.0, 0.0, 8.0, 4.0],
            [0.0, 4.0, 4.0, 8.0],
            [20.0, 20.0, 24.0, 24.0],
        ],
        dtype=torch.float64,
    )
    gts = torch.tensor([[2.0, 0.0, 6.0, 4.0]], dtype=torch.float64)  # IoU 1/3 with anchors 0 and 1
    labels, _ = kata.assign_anchors(anchors, gts, 0.7, 0.3)
    assert_equal(
        labels,
        ref_assign(anchors, gts)[0],
        what="labels",
        where=describe(anchors=anchors, gt_boxes=gts) + "; anchors 0 and 1 tie at IoU 1/3",
        misconceptions={
            MISTAKES["assign-best-anchor-first-tie-only"]: ref_assign(
                anchors, gts, mistake="first-tie"
            )[0]
        },
    )


@pytest.mark.points(1)
def test_iou_exactly_at_a_threshold(kata):
    # IoU with the gt: 1.0, 0.7 and 0.3 exactly (7/10 and 3/10 in binary floats)
    anchors = torch.tensor(
        [[0.0, 0.0, 10.0, 1.0], [0.0, 0.0, 7.0, 1.0], [0.0, 0.0, 3.0, 1.0]], dtype=torch.float64
    )
    gts = torch.tensor([[0.0, 0.0, 10.0, 1.0]], dtype=torch.float64)
    labels, _ = kata.assign_anchors(anchors, gts, 0.7, 0.3)
    assert_equal(
        labels,
        [1, 1, -1],
        what="labels",
        where=describe(anchors=anchors, gt_boxes=gts)
        + "; IoUs 1.0, 0.7 and 0.3 with pos 0.7, neg 0.3",
        misconceptions={
            MISTAKES["assign-threshold-strict"]: ref_assign(anchors, gts, mistake="strict")[0]
        },
    )


@pytest.mark.points(1)
def test_a_ground_truth_overlapping_no_anchor_makes_nothing_positive(kata):
    # gt 1 lies away from every anchor: its best IoU is 0, so the best-anchor rule skips it.
    anchors = torch.tensor(
        [[0.0, 0.0, 10.0, 10.0], [20.0, 0.0, 30.0, 10.0], [40.0, 0.0, 50.0, 10.0]],
        dtype=torch.float64,
    )
    gts = torch.tensor([[0.0, 0.0, 10.0, 10.0], [100.0, 100.0, 110.0, 110.0]], dtype=torch.float64)
    labels, _ = kata.assign_anchors(anchors, gts, 0.7, 0.3)
    assert_equal(
        labels,
        ref_assign(anchors, gts)[0],
        what="labels",
        where=describe(anchors=anchors, gt_boxes=gts)
        + "; gt 1 overlaps no anchor (its best IoU is 0)",
        misconceptions={
            MISTAKES["assign-best-anchor-zero-iou"]: ref_assign(anchors, gts, mistake="zero-best")[
                0
            ]
        },
    )


@pytest.mark.points(1)
def test_assign_anchors_returns_int64_tensors(kata):
    anchors, gts = assignment_case(1)
    labels, matched = kata.assign_anchors(anchors.float(), gts.float())
    for name, value in (("labels", labels), ("matched", matched)):
        dtype = str(getattr(value, "dtype", type(value).__name__)).replace("torch.", "")
        if dtype != "int64":
            fail(f"assign_anchors: {name} must be an int64 tensor, got dtype {dtype}")


@pytest.mark.points(1)
def test_encode_and_decode_keep_float32(kata):
    gen = rng(6)
    anchors = torch.tensor(ref_anchors((2, 2), 16.0, [16.0], [0.5, 2.0]), dtype=torch.float32)
    boxes = anchors + torch.tensor(gen.uniform(-3, 3, anchors.shape), dtype=torch.float32)
    deltas = kata.encode(anchors, boxes)
    for name, value in (("encode", deltas), ("decode", kata.decode(anchors, deltas))):
        dtype = str(getattr(value, "dtype", type(value).__name__)).replace("torch.", "")
        if dtype != "float32":
            fail(f"{name} of float32 boxes must return float32 (the inputs' dtype), got {dtype}")


@pytest.mark.points(1)
def test_no_ground_truth_makes_every_anchor_negative(kata):
    anchors = torch.tensor(ref_anchors((2, 2), 16.0, [16.0], [1.0, 2.0]))
    labels, matched = kata.assign_anchors(anchors, torch.zeros((0, 4), dtype=torch.float64))
    assert_equal(labels, [0] * 8, what="labels with no ground truth")
    assert_equal(matched, [-1] * 8, what="matched with no ground truth")


WEIGHTS = [(1.0, 1.0, 1.0, 1.0), (10.0, 10.0, 5.0, 5.0)]


@pytest.mark.points(2)
@pytest.mark.parametrize("seed, weights", [(4, WEIGHTS[0]), (5, WEIGHTS[1])])
def test_encode_matches_the_formula(kata, seed, weights):
    gen = rng(seed)
    anchors, boxes = random_boxes(gen, 7), random_boxes(gen, 7)
    assert_close(
        kata.encode(anchors, boxes, weights),
        ref_encode(anchors, boxes, weights),
        what=f"encode(anchors, boxes, {weights})",
        where=describe(seed, anchors=anchors, boxes=boxes),
        rtol=1e-9,
        atol=1e-12,
        misconceptions={
            MISTAKES["encode-no-log"]: ref_encode(anchors, boxes, weights, "no-log"),
            MISTAKES["encode-plus-one"]: ref_encode(anchors, boxes, weights, "plus-one"),
            MISTAKES["encode-weights-inverted"]: ref_encode(anchors, boxes, weights, "inverted"),
        },
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, weights", [(6, WEIGHTS[0]), (7, WEIGHTS[1])])
def test_decode_matches_the_formula(kata, seed, weights):
    gen = rng(seed)
    anchors = random_boxes(gen, 6)
    deltas = torch.tensor(gen.normal(0, 0.5, (6, 4)) * np.array(weights))
    assert_close(
        kata.decode(anchors, deltas, weights),
        ref_decode(anchors, deltas, weights),
        what=f"decode(anchors, deltas, {weights})",
        where=describe(seed, anchors=anchors, deltas=deltas),
        rtol=1e-9,
        atol=1e-9,
    )


@pytest.mark.points(2)
@pytest.mark.parametrize("seed, weights", [(8, WEIGHTS[0]), (9, WEIGHTS[1])])
def test_decode_of_encode_gives_the_boxes_back(kata, seed, weights):
    gen = rng(seed)
    anchors, boxes = random_boxes(gen, 8, hi=60.0), random_boxes(gen, 8, lo=0.5)
    deltas = kata.encode(anchors, boxes, weights)
    assert_close(
        kata.decode(anchors, deltas, weights),
        boxes,
        what="decode(anchors, encode(anchors, boxes, w), w)",
        where=describe(seed, anchors=anchors, boxes=boxes) + f", weights {weights}",
        rtol=1e-9,
        atol=1e-9,
    )


@pytest.mark.points(1)
def test_decode_clamps_huge_log_sizes(kata):
    # The clamp only, judged on your own decode: huge dw, dh decode finite, exactly as dw, dh of
    # log(1000 / 16) do, and values just below log(1000 / 16) are not clamped. The formula's
    # values are test_decode_matches_the_formula's promise.
    anchors = torch.tensor([[0.0, 0.0, 16.0, 16.0], [10.0, 10.0, 20.0, 40.0]], dtype=torch.float64)
    huge = torch.tensor([[0.0, 0.0, 50.0, 1000.0], [0.1, -0.2, 1000.0, 60.0]], dtype=torch.float64)
    at_clip, below = huge.clone(), huge.clone()
    at_clip[:, 2:] = CLIP
    below[:, 2:] = CLIP - 0.05
    where = describe(anchors=anchors, deltas=huge) + "; dw, dh are clamped to log(1000 / 16)"
    got = as_array(kata.decode(anchors, huge), "decode")
    if not np.isfinite(got).all():
        fail(
            f"decode returned inf or NaN for dw, dh of 50 to 1000: clamp them to "
            f"log(1000 / 16) before exp [{where}]"
        )
    assert_close(
        got,
        kata.decode(anchors, at_clip),
        what="decode of huge dw, dh, against your decode of dw = dh = log(1000 / 16)",
        where=where,
        rtol=1e-9,
    )
    if np.allclose(as_array(kata.decode(anchors, below), "decode"), got, rtol=1e-9, atol=0):
        fail(
            "decode gives the same boxes for dw = dh = log(1000 / 16) - 0.05 as for huge dw, "
            f"dh: it clamps below log(1000 / 16) [{where}]"
        )
