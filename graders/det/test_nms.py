"""Hidden grader for det/nms.

Oracle: brute-force references written out here in Python floats, box by box, from the
statement (torchvision.ops.nms / batched_nms agree with them; tests/test_det_oracles.py checks
that where torchvision is installed). The order of the kept indices is graded, not only the set.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from katakit import misconceptions
from katakit.checks import as_plain, assert_close, assert_equal, describe, fail, rng

MISTAKES = misconceptions.of(__file__)


def iou(p, q):
    w = max(0.0, min(p[2], q[2]) - max(p[0], q[0]))
    h = max(0.0, min(p[3], q[3]) - max(p[1], q[1]))
    inter = w * h
    union = (p[2] - p[0]) * (p[3] - p[1]) + (q[2] - q[0]) * (q[3] - q[1]) - inter
    return inter / union if union > 0 else 0.0


def visiting_order(scores, ties_high=False):
    key = (lambda i: (-scores[i], -i)) if ties_high else (lambda i: (-scores[i], i))
    return sorted(range(len(scores)), key=key)


def unstable_order(scores):
    """The order torch's default (unstable) descending sort gives: ties in no promised order."""
    return torch.argsort(torch.as_tensor(scores, dtype=torch.float64), descending=True).tolist()


def ref_nms(boxes, scores, thr, ge=False, ties_high=False, unstable=False):
    b, s = np.asarray(boxes, dtype=np.float64).tolist(), np.asarray(scores, dtype=np.float64)
    keep = []
    order = unstable_order(s) if unstable else visiting_order(s.tolist(), ties_high)
    for i in order:
        overlaps = [iou(b[i], b[k]) for k in keep]
        if all((u < thr) if ge else (u <= thr) for u in overlaps):
            keep.append(i)
    return keep


def ref_batched(boxes, scores, labels, thr, ignore_classes=False):
    s = np.asarray(scores, dtype=np.float64).tolist()
    lab = np.asarray(labels).tolist()
    b = np.asarray(boxes, dtype=np.float64).tolist()
    keep = []
    for i in visiting_order(s):
        same = [k for k in keep if ignore_classes or lab[k] == lab[i]]
        if all(iou(b[i], b[k]) <= thr for k in same):
            keep.append(i)
    return keep


def ref_soft(
    boxes, scores, iou_threshold=0.3, sigma=0.5, score_threshold=1e-3, method="linear", mistake=None
):
    thr, score_thr = iou_threshold, score_threshold
    b = np.asarray(boxes, dtype=np.float64).tolist()
    cur = np.asarray(scores, dtype=np.float64).tolist()
    initial = list(cur)
    remaining = [i for i in range(len(cur)) if mistake == "no-threshold" or cur[i] >= score_thr]
    keep, kept = [], []
    while remaining:
        if mistake == "no-resort":
            # visited in the order of the initial scores, whatever the decays did
            best = min(remaining, key=lambda i: (-initial[i], i))
        else:
            best = max(remaining, key=lambda i: (cur[i], -i))
        keep.append(best)
        kept.append(cur[best])
        remaining.remove(best)
        for j in remaining:
            u = iou(b[best], b[j])
            if method == "linear":
                weight = 1.0 - u if (u > thr or mistake == "decay-all") else 1.0
            else:
                weight = math.exp(-(u**2) / (2 * sigma if mistake == "two-sigma" else sigma))
            cur[j] *= weight
        if mistake != "no-threshold":
            remaining = [j for j in remaining if cur[j] >= score_thr]
    return keep, kept


def clustered(seed, n_clusters=4, per_cluster=6, ties=False):
    """Boxes in overlapping clusters (so suppression happens), with distinct random scores."""
    gen = rng(seed)
    centres = gen.uniform(10, 60, (n_clusters, 2))
    sizes = gen.uniform(8, 20, (n_clusters, 2))
    boxes = []
    for c, s in zip(centres, sizes, strict=True):
        for _ in range(per_cluster):
            cxy = c + gen.normal(0, 0.15, 2) * s
            wh = s * gen.uniform(0.7, 1.3, 2)
            boxes.append(np.concatenate([cxy - wh / 2, cxy + wh / 2]))
    boxes = np.array(boxes)
    order = gen.permutation(len(boxes))
    scores = gen.uniform(0.05, 1.0, len(boxes))
    if ties:
        scores = np.round(scores * 4) / 4
    return torch.tensor(boxes[order]), torch.tensor(scores)


def keep_list(result, what):
    got = as_plain(result, what)
    if not isinstance(got, list):
        fail(f"{what}: expected a 1-D tensor of indices, got {got!r}")
    return got


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, thr", [(1, 0.5), (2, 0.3), (3, 0.7)])
def test_nms_keeps_the_brute_force_survivors_in_order(kata, seed, thr):
    boxes, scores = clustered(seed)
    got = kata.nms(boxes, scores, thr)
    assert_equal(
        got,
        ref_nms(boxes, scores, thr),
        what=f"nms(boxes, scores, {thr})",
        where=describe(seed, boxes=boxes, scores=scores),
        misconceptions={
            MISTAKES["nms-suppress-at-threshold"]: ref_nms(boxes, scores, thr, ge=True)
        },
    )


# IoU(0, 1) = 2 / 4 = 0.5 and IoU(2, 3) = 1 / 4 = 0.25 exactly (inter / union in binary floats).
AT_THRESHOLD = torch.tensor(
    [[0.0, 0.0, 3.0, 1.0], [1.0, 0.0, 4.0, 1.0], [10.0, 0.0, 13.0, 2.0], [12.0, 0.0, 14.0, 2.0]],
    dtype=torch.float64,
)


@pytest.mark.points(2)
@pytest.mark.parametrize("thr", [0.5, 0.25])
def test_nms_keeps_a_box_exactly_at_the_threshold(kata, thr):
    scores = torch.tensor([0.9, 0.8, 0.7, 0.6], dtype=torch.float64)
    assert_equal(
        kata.nms(AT_THRESHOLD, scores, thr),
        ref_nms(AT_THRESHOLD, scores, thr),
        what=f"nms with iou_threshold={thr}",
        where=describe(boxes=AT_THRESHOLD, scores=scores)
        + "; IoU(0, 1) = 0.5 and IoU(2, 3) = 0.25 exactly: suppress only when IoU > threshold",
        misconceptions={
            MISTAKES["nms-suppress-at-threshold"]: ref_nms(AT_THRESHOLD, scores, thr, ge=True)
        },
    )


@pytest.mark.points(1)
def test_nms_breaks_score_ties_by_lower_index(kata):
    seed = 4
    boxes, scores = clustered(seed, ties=True)
    assert_equal(
        kata.nms(boxes, scores, 0.5),
        ref_nms(boxes, scores, 0.5),
        what="nms with tied scores",
        where=describe(seed, boxes=boxes, scores=scores) + "; scores rounded to quarters",
        misconceptions={
            MISTAKES["nms-ties-to-higher-index"]: ref_nms(boxes, scores, 0.5, ties_high=True),
            MISTAKES["unstable-score-sort"]: ref_nms(boxes, scores, 0.5, unstable=True),
        },
    )


@pytest.mark.points(1)
def test_nms_returns_int64_indices(kata):
    # the dtype only: which boxes are kept is the other tests' promise, no boxes at all
    # test_every_function_handles_no_boxes'
    boxes, scores = clustered(5, n_clusters=1, per_cluster=3)
    got = kata.nms(boxes, scores, 0.5)
    dtype = str(getattr(got, "dtype", type(got).__name__)).replace("torch.", "")
    if dtype != "int64":
        fail(f"nms: expected an int64 tensor of indices, got dtype {dtype}")


def dtype_name(value) -> str:
    return str(getattr(value, "dtype", type(value).__name__)).replace("torch.", "")


@pytest.mark.points(1)
def test_soft_nms_returns_int64_indices_and_scores_of_the_scores_dtype(kata):
    boxes, scores = clustered(14, n_clusters=2, per_cluster=4)
    result = kata.soft_nms(boxes.float(), scores.float())
    if not isinstance(result, tuple) or len(result) != 2:
        fail(f"soft_nms: expected a tuple (keep, kept_scores), got {type(result).__name__}")
    keep, kept = result
    if dtype_name(keep) != "int64":
        fail(f"soft_nms: keep must be an int64 tensor, got dtype {dtype_name(keep)}")
    if dtype_name(kept) != "float32":
        fail(
            "soft_nms: kept_scores must have the dtype of scores (float32 here), got dtype "
            f"{dtype_name(kept)}"
        )


@pytest.mark.points(1)
def test_every_function_handles_no_boxes(kata):
    # "K may be 0": one promise, for nms, soft_nms and batched_nms alike
    boxes = torch.zeros((0, 4), dtype=torch.float64)
    scores = torch.zeros(0, dtype=torch.float64)
    empty = kata.nms(boxes, scores, 0.5)
    assert_equal(keep_list(empty, "nms of no boxes"), [], what="nms of 0 boxes")
    result = kata.soft_nms(boxes, scores)
    if not isinstance(result, tuple) or len(result) != 2:
        fail(f"soft_nms of 0 boxes: expected a tuple (keep, kept_scores), got {result!r}")
    assert_equal(keep_list(result[0], "soft_nms keep of no boxes"), [], what="soft_nms keep")
    assert_equal(as_plain(result[1], "kept_scores"), [], what="soft_nms kept_scores of 0 boxes")
    labels = torch.zeros(0, dtype=torch.int64)
    got = keep_list(kata.batched_nms(boxes, scores, labels, 0.5), "batched_nms of no boxes")
    assert_equal(got, [], what="batched_nms of 0 boxes")


@pytest.mark.points(2)
@pytest.mark.parametrize("seed", [6, 7])
def test_batched_nms_matches_per_class_brute_force(kata, seed):
    boxes, scores = clustered(seed, n_clusters=3, per_cluster=7)
    labels = torch.tensor(rng(seed + 100).integers(0, 3, len(scores)), dtype=torch.int64)
    assert_equal(
        kata.batched_nms(boxes, scores, labels, 0.5),
        ref_batched(boxes, scores, labels, 0.5),
        what="batched_nms(boxes, scores, labels, 0.5)",
        where=describe(seed, boxes=boxes, scores=scores, labels=labels),
        misconceptions={
            MISTAKES["batched-nms-ignores-classes"]: ref_batched(boxes, scores, labels, 0.5, True)
        },
    )


@pytest.mark.points(1)
def test_batched_nms_identical_boxes_of_other_classes_survive(kata):
    # distinct scores: the order of ties is test_batched_nms_breaks_score_ties_across_classes'
    boxes = torch.tensor([[0.0, 0.0, 2.0, 2.0]] * 4 + [[0.5, 0.0, 2.0, 2.0]], dtype=torch.float64)
    scores = torch.tensor([0.5, 0.9, 0.7, 0.85, 0.8], dtype=torch.float64)
    labels = torch.tensor([0, 1, 2, 2, 1])
    assert_equal(
        kata.batched_nms(boxes, scores, labels, 0.5),
        [1, 3, 0],
        what="batched_nms of identical boxes in classes 0, 1, 2",
        where=describe(boxes=boxes, scores=scores, labels=labels),
        misconceptions={MISTAKES["batched-nms-ignores-classes"]: [1]},
    )


def tied_across_classes(seed):
    """24 disjoint boxes (nothing is suppressed) in 3 classes of 8; within a class the scores are
    distinct, across classes each score occurs 3 times, and the labels are shuffled, so the merge
    alone decides the order of ties -- more than 16 of them, where torch's unstable sort
    reorders equal keys."""
    gen = rng(seed)
    cells = [(x, y) for y in range(4) for x in range(6)]
    boxes = torch.tensor([[3.0 * x, 3.0 * y, 3.0 * x + 2, 3.0 * y + 2] for x, y in cells])
    labels = torch.tensor(gen.permutation([0] * 8 + [1] * 8 + [2] * 8), dtype=torch.int64)
    levels = np.linspace(0.2, 0.9, 8)
    scores = torch.zeros(24, dtype=torch.float64)
    for label in range(3):
        members = torch.nonzero(labels == label).flatten()
        scores[members] = torch.tensor(gen.permutation(levels))
    return boxes.double(), scores, labels


@pytest.mark.points(1)
def test_batched_nms_breaks_score_ties_across_classes_by_lower_index(kata):
    seed = 13
    boxes, scores, labels = tied_across_classes(seed)
    expected = visiting_order(scores.tolist())
    by_class = [i for label in range(3) for i in expected if labels[i] == label]
    class_order = sorted(by_class, key=lambda i: -scores[i].item())  # stable: class, then index
    assert_equal(
        kata.batched_nms(boxes, scores, labels, 0.5),
        expected,
        what="batched_nms of 24 disjoint boxes, each score tied across the 3 classes",
        where=describe(seed, boxes=boxes, scores=scores, labels=labels),
        misconceptions={
            MISTAKES["batched-nms-ties-by-class"]: class_order,
            MISTAKES["unstable-score-sort"]: unstable_order(scores),
        },
    )


def check_soft(kata, seed, boxes, scores, kwargs, mistakes, rtol=1e-9):
    where = (
        describe(seed, boxes=boxes, scores=scores)
        + ", "
        + ", ".join(f"{k}={v}" for k, v in kwargs.items())
    )
    before = scores.clone()
    result = kata.soft_nms(boxes, scores, **kwargs)
    if not isinstance(result, tuple) or len(result) != 2:
        fail(f"soft_nms: expected a tuple (keep, kept_scores), got {type(result).__name__}")
    keep, kept = result
    want_keep, want_scores = ref_soft(boxes, scores, **kwargs)
    named = {}
    for mistake, name in mistakes.items():
        wrong = ref_soft(boxes, scores, **kwargs, mistake=mistake)
        if wrong[0] != want_keep or not np.allclose(wrong[1], want_scores):
            named[MISTAKES[name]] = wrong[0]
    assert_equal(
        keep, want_keep, what="soft_nms keep (selection order)", where=where, misconceptions=named
    )
    assert_close(
        kept,
        want_scores,
        what="soft_nms kept_scores (scores when selected)",
        where=where,
        rtol=rtol,
    )
    if not torch.equal(scores, before):
        fail(f"soft_nms modified the scores tensor it was given; decay a copy [{where}]")


@pytest.mark.points(2)
@pytest.mark.parametrize("seed, thr", [(8, 0.3), (9, 0.5)])
def test_soft_nms_linear_matches_brute_force(kata, seed, thr):
    boxes, scores = clustered(seed, n_clusters=3, per_cluster=5)
    kwargs = {"iou_threshold": thr, "score_threshold": 1e-3, "method": "linear"}
    check_soft(
        kata,
        seed,
        boxes,
        scores,
        kwargs,
        {
            "decay-all": "soft-nms-decays-all",
            "no-resort": "soft-nms-no-resort",
            "no-threshold": "soft-nms-no-score-threshold",
        },
    )


@pytest.mark.points(2)
@pytest.mark.parametrize("seed, sigma", [(10, 0.5), (11, 0.2)])
def test_soft_nms_gaussian_matches_brute_force(kata, seed, sigma):
    boxes, scores = clustered(seed, n_clusters=3, per_cluster=5)
    kwargs = {"sigma": sigma, "score_threshold": 1e-3, "method": "gaussian"}
    check_soft(
        kata,
        seed,
        boxes,
        scores,
        kwargs,
        {
            "two-sigma": "soft-nms-gaussian-sigma",
            "no-resort": "soft-nms-no-resort",
            "no-threshold": "soft-nms-no-score-threshold",
        },
    )


@pytest.mark.points(1)
def test_soft_nms_drops_scores_below_the_threshold(kata):
    seed = 12
    boxes, scores = clustered(seed, n_clusters=2, per_cluster=6)
    scores[3] = 0.05  # below the threshold from the start
    kwargs = {"sigma": 0.1, "score_threshold": 0.1, "method": "gaussian"}
    check_soft(kata, seed, boxes, scores, kwargs, {"no-threshold": "soft-nms-no-score-threshold"})


@pytest.mark.points(1)
def test_soft_nms_linear_does_not_decay_exactly_at_the_threshold(kata):
    scores = torch.tensor([0.9, 0.8, 0.7, 0.85], dtype=torch.float64)
    kwargs = {"iou_threshold": 0.5, "score_threshold": 1e-3, "method": "linear"}
    check_soft(kata, None, AT_THRESHOLD, scores, kwargs, {"decay-all": "soft-nms-decays-all"})
