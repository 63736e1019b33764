"""Hidden grader for det/iou.

Oracle: a brute-force reference written out here, pair by pair in Python floats (torchvision's
box_iou / generalized_box_iou agree with it; tests/test_det_oracles.py checks that where
torchvision is installed). Known mistakes are recomputed here to name them.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from katakit import misconceptions
from katakit.checks import as_array, assert_close, describe, fail, rng

MISTAKES = misconceptions.of(__file__)


def ref_pair(p, q, plus=0.0, clamp=True, subtract=True, giou_den="enclose"):
    """IoU and GIoU of two boxes; the keyword arguments reproduce known mistakes."""
    area_p = (p[2] - p[0] + plus) * (p[3] - p[1] + plus)
    area_q = (q[2] - q[0] + plus) * (q[3] - q[1] + plus)
    w = min(p[2], q[2]) - max(p[0], q[0]) + plus
    h = min(p[3], q[3]) - max(p[1], q[1]) + plus
    inter = max(w, 0.0) * max(h, 0.0) if clamp else w * h
    union = area_p + area_q - (inter if subtract else 0.0)
    iou = inter / union if union > 0 else 0.0
    ew = max(p[2], q[2]) - min(p[0], q[0]) + plus
    eh = max(p[3], q[3]) - min(p[1], q[1]) + plus
    enclose = ew * eh
    den = enclose if giou_den == "enclose" else union
    giou = iou - (enclose - union) / den if den > 0 else (0.0 if enclose <= 0 else iou)
    return iou, giou


def reference(a, b, which, **mistake):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    out = np.zeros((len(a), len(b)))
    for i, p in enumerate(a):
        for j, q in enumerate(b):
            out[i, j] = ref_pair(p, q, **mistake)[0 if which == "iou" else 1]
    return out


def iou_mistakes(a, b):
    return {
        MISTAKES["iou-plus-one"]: reference(a, b, "iou", plus=1.0),
        MISTAKES["iou-intersection-not-clamped"]: reference(a, b, "iou", clamp=False),
        MISTAKES["iou-union-not-subtracting-intersection"]: reference(a, b, "iou", subtract=False),
    }


def giou_mistakes(a, b):
    return {
        MISTAKES["giou-over-union"]: reference(a, b, "giou", giou_den="union"),
        MISTAKES["iou-plus-one"]: reference(a, b, "giou", plus=1.0),
        MISTAKES["iou-intersection-not-clamped"]: reference(a, b, "giou", clamp=False),
    }


def random_boxes(gen, n, dtype=torch.float64):
    xy = gen.uniform(0, 10, (n, 2))
    wh = gen.uniform(0.5, 6, (n, 2))
    return torch.tensor(np.concatenate([xy, xy + wh], axis=1), dtype=dtype)


@pytest.mark.points(2)
@pytest.mark.parametrize("seed, n, m", [(1, 6, 7), (2, 1, 9)])
def test_iou_matches_brute_force(kata, seed, n, m):
    gen = rng(seed)
    a, b = random_boxes(gen, n), random_boxes(gen, m)
    assert_close(
        kata.box_iou(a, b),
        reference(a, b, "iou"),
        what="box_iou(a, b)",
        where=describe(seed, a=a, b=b),
        misconceptions=iou_mistakes(a, b),
    )


@pytest.mark.points(2)
@pytest.mark.parametrize("seed, n, m", [(3, 7, 5), (4, 8, 1)])
def test_giou_matches_brute_force(kata, seed, n, m):
    gen = rng(seed)
    a, b = random_boxes(gen, n), random_boxes(gen, m)
    assert_close(
        kata.generalized_box_iou(a, b),
        reference(a, b, "giou"),
        what="generalized_box_iou(a, b)",
        where=describe(seed, a=a, b=b),
        misconceptions=giou_mistakes(a, b),
    )


# Pairs that do not overlap: apart in x only, in y only, in both (diagonal), touching an edge,
# touching a corner.
APART_A = torch.tensor([[0.0, 0.0, 2.0, 2.0]] * 5, dtype=torch.float64)
APART_B = torch.tensor(
    [[3.0, 0.0, 4.0, 2.0], [0.0, 5.0, 2.0, 6.0], [3.0, 4.0, 6.0, 7.0], [2.0, 0.0, 3.0, 2.0],
     [2.0, 2.0, 5.0, 5.0]],
    dtype=torch.float64,
)  # fmt: skip


@pytest.mark.points(1)
def test_iou_is_zero_without_overlap(kata):
    got = as_array(kata.box_iou(APART_A, APART_B), "box_iou(a, b)")
    assert_close(
        np.diag(got) if got.shape == (5, 5) else got,
        np.zeros(5),
        what="IoU of boxes apart in x, apart in y, apart diagonally, touching an edge, a corner",
        where=describe(a=APART_A, b=APART_B) + "; read the diagonal",
        misconceptions={
            MISTAKES[k]: np.diag(v) for k, v in [
                ("iou-intersection-not-clamped", reference(APART_A, APART_B, "iou", clamp=False)),
                ("iou-plus-one", reference(APART_A, APART_B, "iou", plus=1.0)),
            ]
        },
    )  # fmt: skip


@pytest.mark.points(1)
def test_containment_gives_area_ratio_and_giou_equals_iou(kata):
    outer = torch.tensor([[0.0, 0.0, 4.0, 5.0]], dtype=torch.float64)
    inner = torch.tensor([[1.0, 1.0, 3.0, 2.0], [0.0, 0.0, 4.0, 5.0]], dtype=torch.float64)
    expected = np.array([[2.0 / 20.0, 1.0]])
    where = describe(a=outer, b=inner) + "; b[0] lies inside a[0], b[1] is a[0]"
    assert_close(
        kata.box_iou(outer, inner),
        expected,
        what="box_iou",
        where=where,
        misconceptions={MISTAKES["iou-plus-one"]: reference(outer, inner, "iou", plus=1.0)},
    )
    assert_close(
        kata.generalized_box_iou(outer, inner),
        expected,
        what="generalized_box_iou (the enclosing box is the outer box, so GIoU = IoU)",
        where=where,
    )


@pytest.mark.points(1)
def test_both_are_symmetric(kata):
    seed = 5
    gen = rng(seed)
    a, b = random_boxes(gen, 4), random_boxes(gen, 6)
    for name in ("box_iou", "generalized_box_iou"):
        ab = as_array(getattr(kata, name)(a, b), f"{name}(a, b)")
        ba = as_array(getattr(kata, name)(b, a), f"{name}(b, a)")
        assert_close(ba, ab.T, what=f"{name}(b, a) against {name}(a, b).T", where=describe(seed))


DEGENERATE_A = torch.tensor(
    [[1.0, 1.0, 1.0, 1.0], [0.0, 2.0, 3.0, 2.0], [5.0, 5.0, 5.0, 5.0], [0.0, 0.0, 2.0, 2.0]],
    dtype=torch.float64,
)
DEGENERATE_B = torch.tensor(
    [[1.0, 1.0, 1.0, 1.0], [1.0, 2.0, 1.0, 4.0], [0.0, 0.0, 2.0, 2.0], [7.0, 7.0, 7.0, 9.0]],
    dtype=torch.float64,
)


def defined_zeros(a, b, which):
    """The pairs where the statement defines the value as 0 (IoU: the union is 0; GIoU: the
    enclosing area is 0), leaving out boxes that touch or coincide: there the +1 pixel slip gives
    another value, and that slip is charged to the value tests."""
    p, q = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    zeros = np.zeros((len(p), len(q)), dtype=bool)
    for i, u in enumerate(p):
        for j, v in enumerate(q):
            gap = max(u[0] - v[2], v[0] - u[2], u[1] - v[3], v[1] - u[3])
            if which == "iou":
                union = (u[2] - u[0]) * (u[3] - u[1]) + (v[2] - v[0]) * (v[3] - v[1])
                zeros[i, j] = union == 0 and gap >= 1
            else:
                width = max(u[2], v[2]) - min(u[0], v[0])
                height = max(u[3], v[3]) - min(u[1], v[1])
                zeros[i, j] = width * height == 0 and not np.array_equal(u, v)
    return zeros


@pytest.mark.points(1)
@pytest.mark.parametrize("name, which", [("box_iou", "iou"), ("generalized_box_iou", "giou")])
def test_degenerate_boxes_give_finite_values(kata, name, which):
    # The degenerate rule only: finite everywhere, and 0 where the statement says 0. The values
    # of the other pairs follow the formula, which the value tests grade.
    got = as_array(getattr(kata, name)(DEGENERATE_A, DEGENERATE_B), name)
    where = describe(a=DEGENERATE_A, b=DEGENERATE_B) + "; zero-area points and segments"
    if got.shape != (4, 4):
        fail(f"{name}: expected shape (4, 4), got {got.shape} [{where}]")
    if not np.isfinite(got).all():
        bad = [tuple(int(i) for i in ij) for ij in np.argwhere(~np.isfinite(got))]
        fail(
            f"{name}: NaN or inf at {bad} for degenerate (zero-area) boxes; where the union "
            f"(or the enclosing area) is 0 the statement defines the value as 0 [{where}]"
        )
    zeros = defined_zeros(DEGENERATE_A, DEGENERATE_B, which)
    assert zeros.any()  # a check of the grader's own input
    rule = "union" if which == "iou" else "enclosing area"
    for i, j in np.argwhere(zeros):
        if got[i, j] != 0:
            fail(
                f"{name}: {got[i, j]!r} at [{i}, {j}] (a {DEGENERATE_A[i].tolist()}, b "
                f"{DEGENERATE_B[j].tolist()}), where the {rule} is 0: the statement defines the "
                f"value there as 0 [{where}]"
            )


@pytest.mark.points(1)
def test_giou_stays_in_range_and_nears_minus_one_far_apart(kata):
    seed = 6
    gen = rng(seed)
    # the last pair: two points far apart, the limit itself (IoU 0 by the rule for a union of
    # 0, then the whole enclosing box is the penalty: exactly -1)
    a = torch.cat(
        [
            random_boxes(gen, 5),
            torch.tensor([[0.0, 0.0, 1e-3, 1e-3], [0.0, 0.0, 0.0, 0.0]], dtype=torch.float64),
        ]
    )
    b = torch.cat(
        [
            random_boxes(gen, 5),
            torch.tensor(
                [[1e3, 1e3, 1e3 + 1e-3, 1e3 + 1e-3], [1e3, 1e3, 1e3, 1e3]], dtype=torch.float64
            ),
        ]
    )
    got = as_array(kata.generalized_box_iou(a, b), "generalized_box_iou")
    where = describe(seed, a=a, b=b)
    if got.shape != (7, 7):
        fail(f"generalized_box_iou: expected shape (7, 7), got {got.shape} [{where}]")
    if not ((got >= -1 - 1e-12) & (got <= 1 + 1e-12)).all():
        fail(
            f"generalized_box_iou left [-1, 1]: min {got.min():.6g}, max {got.max():.6g} [{where}]"
        )
    over_union = reference(a[5:], b[5:], "giou", giou_den="union").diagonal()
    assert_close(
        got[[5, 6], [5, 6]],
        reference(a[5:], b[5:], "giou").diagonal(),
        what="GIoU of two tiny boxes far apart, and of two points far apart",
        where=where,
        rtol=1e-9,
        misconceptions={MISTAKES["giou-over-union"]: over_union},
    )


@pytest.mark.points(1)
def test_float32_in_float32_out(kata):
    # The dtype only: the values are the other tests' promise.
    seed = 7
    gen = rng(seed)
    a, b = random_boxes(gen, 3, torch.float32), random_boxes(gen, 4, torch.float32)
    for name in ("box_iou", "generalized_box_iou"):
        got = getattr(kata, name)(a, b)
        dtype = str(getattr(got, "dtype", type(got).__name__)).replace("torch.", "")
        if dtype != "float32":
            fail(
                f"{name}: expected a float32 result for float32 boxes, got {dtype} "
                f"[{describe(seed, a=a, b=b)}]"
            )


@pytest.mark.points(1)
def test_empty_inputs_give_empty_matrices(kata):
    boxes = random_boxes(rng(8), 3)
    empty = torch.zeros((0, 4), dtype=torch.float64)
    for name in ("box_iou", "generalized_box_iou"):
        for a, b, shape in [(empty, boxes, (0, 3)), (boxes, empty, (3, 0))]:
            got = as_array(getattr(kata, name)(a, b), name)
            if got.shape != shape:
                fail(
                    f"{name} with a {tuple(a.shape)} and b {tuple(b.shape)}: "
                    f"expected shape {shape}, got {got.shape}"
                )
