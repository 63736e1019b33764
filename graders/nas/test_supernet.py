"""Hidden grader for nas/supernet.

Oracles: the uniform distribution (six standard errors per cell over 60,000 paths, a fixed seed),
the statement's importance (numpy's L1 norms and a stable descending argsort) and plain slicing
for the centre crop.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from katakit import misconceptions
from katakit.checks import as_array, assert_close, assert_equal, describe, fail, naming, rng

MISTAKES = misconceptions.of(__file__)
CHOICES = [3, 4, 5, 2, 4]


def gen(seed):
    return torch.Generator().manual_seed(seed)


def paths_of(kata, choices, n, seed):
    """The learner's paths as an int64 tensor, for the checks that use them: whole numbers of
    any dtype are read as they are (the int64 promise has a test of its own)."""
    got = as_array(kata.sample_single_path(list(choices), n, gen(seed)), "sample_single_path")
    if got.shape != (n, len(choices)):
        fail(
            f"sample_single_path: expected shape {(n, len(choices))}, got {got.shape} "
            f"[seed {seed}, num_choices={choices}, n={n}]"
        )
    if not bool((got == np.round(got)).all()):
        fail(
            f"sample_single_path: expected whole numbers (candidate indices) "
            f"[seed {seed}, num_choices={choices}]"
        )
    return torch.from_numpy(got).long()


# ---------------------------------------------------------------- single-path sampling


@pytest.mark.points(3)
def test_each_layer_is_uniform_over_its_choices(kata):
    seed, n = 1, 60_000
    paths = paths_of(kata, CHOICES, n, seed)
    lines, matched = [], None
    for layer, k in enumerate(CHOICES):
        column = paths[:, layer]
        if bool(((column < 0) | (column >= k)).any()):
            fail(
                f"layer {layer} has {k} choices but sampled {column.unique().tolist()} "
                f"[seed {seed}, num_choices={CHOICES}]"
            )
        freq = torch.bincount(column, minlength=k).double() / n
        bound = 6 * ((1 / k) * (1 - 1 / k) / n) ** 0.5
        if bool(((freq - 1 / k).abs() > bound).any()):
            lines.append(
                f"  layer {layer} ({k} choices): frequencies "
                f"{[round(v, 4) for v in freq.tolist()]}, expected {1 / k:.4f} each "
                f"within {bound:.4f}"
            )
            if float(freq[k - 1]) == 0.0:
                matched = MISTAKES["single-path-misses-last-choice"]
    if lines:
        fail(
            f"sampled choices are not uniform (six standard errors over {n} paths) "
            f"[seed {seed}, num_choices={CHOICES}]\n" + "\n".join(lines),
            matched,
        )


@pytest.mark.points(1)
def test_layers_are_sampled_independently(kata):
    seed, n, choices = 2, 40_000, [4, 4, 4]
    paths = paths_of(kata, choices, n, seed)
    same = float((paths == paths[:, :1]).all(dim=1).double().mean())
    # under independence, P(all equal) = sum_c prod_l P(layer l picks c), from the marginals
    # seen (so a marginal mistake, judged by the uniformity test, is not charged again here)
    marginals = torch.stack([torch.bincount(paths[:, i], minlength=4)[:4] for i in range(3)])
    p = float((marginals.double() / n).prod(dim=0).sum())
    bound = 6 * (p * (1 - p) / n) ** 0.5 + 0.005  # plus the slack of estimated marginals
    if abs(same - p) > bound:
        message = (
            f"share of paths whose 3 layers all pick the same candidate: expected "
            f"{p:.4f} (the product of the layers' frequencies) within {bound:.4f} for "
            f"independent layers, got {same:.4f} "
            f"[seed {seed}, num_choices={choices}, n={n}]"
        )
        if same > 0.99:
            mistake = MISTAKES["single-path-one-draw-for-all-layers"]
            message += naming(mistake)
        fail(message)


@pytest.mark.points(1)
def test_the_generator_decides_the_paths(kata):
    torch.manual_seed(0)
    a = paths_of(kata, CHOICES, 200, 5)
    b = paths_of(kata, CHOICES, 200, 5)
    if not torch.equal(a, b):
        # nothing else in the call is random: the draws came from somewhere else
        mistake = MISTAKES["global-random-state"]
        fail(
            "sample_single_path: two calls with generators seeded 5 gave different paths "
            f"[num_choices={CHOICES}, n=200]",
            mistake,
        )


@pytest.mark.points(1)
def test_paths_are_an_int64_tensor_of_shape_n_by_layers(kata):
    seed, n = 3, 10
    got = kata.sample_single_path(list(CHOICES), n, gen(seed))
    if not isinstance(got, torch.Tensor) or got.dtype != torch.long:
        fail(
            f"sample_single_path: expected an int64 tensor, got "
            f"{getattr(got, 'dtype', type(got).__name__)} [seed {seed}, num_choices={CHOICES}]"
        )
    if tuple(got.shape) != (n, len(CHOICES)):
        fail(
            f"sample_single_path: expected shape {(n, len(CHOICES))}, got {tuple(got.shape)} "
            f"[seed {seed}, num_choices={CHOICES}, n={n}]"
        )


# ---------------------------------------------------------------- elastic width


def draw_conv(seed, c_out, c_in, ksize, c_next):
    gen_ = rng(seed)
    w = gen_.normal(0, 1, (c_out, c_in, ksize, ksize)) * gen_.uniform(0.2, 2, (c_out, 1, 1, 1))
    nxt = gen_.normal(0, 1, (c_next, c_out, 1, 1))
    return torch.from_numpy(w), torch.from_numpy(nxt)


def width_index(weight, k, norm=1):
    w = weight.numpy().reshape(weight.shape[0], -1)
    importance = np.abs(w).sum(1) if norm == 1 else np.sqrt((w**2).sum(1))
    return np.argsort(-importance, kind="stable")[:k]


def check_index(kata, weight, nxt, k, where):
    got = kata.elastic_width(weight.clone(), nxt.clone(), k)
    if not isinstance(got, tuple | list) or len(got) != 3:
        fail(
            "elastic_width: expected a tuple (weight_k, next_weight_k, index), got "
            f"{type(got).__name__}"
        )
    index = got[2]
    assert_equal(
        index,
        width_index(weight, k).tolist(),
        what="kept channels (index), most important first",
        where=where,
        misconceptions={
            MISTAKES["width-first-k"]: list(range(k)),
            MISTAKES["width-l2-norm"]: width_index(weight, k, norm=2).tolist(),
            MISTAKES["width-ascending"]: np.argsort(
                np.abs(weight.numpy().reshape(weight.shape[0], -1)).sum(1), kind="stable"
            )[:k].tolist(),
        },
    )
    return got


@pytest.mark.points(2)
@pytest.mark.parametrize("seed, shape, k", [(11, (8, 3, 3, 9), 5), (12, (6, 4, 5, 7), 1)])
def test_elastic_width_keeps_the_top_k_by_l1_norm(kata, seed, shape, k):
    weight, nxt = draw_conv(seed, *shape)
    check_index(kata, weight, nxt, k, describe(seed, weight=weight, next_weight=nxt, k=k))


@pytest.mark.points(1)
def test_elastic_width_ranks_by_l1_not_l2(kata):
    # channel 1 has many medium weights (L1 9, L2 2.1), channel 0 one big weight (L1 3, L2 3)
    weight = torch.zeros(4, 2, 3, 3, dtype=torch.float64)
    weight[0, 0, 1, 1] = 3.0
    weight[1] = 0.5
    weight[2, :, 0, 0] = 1.0
    weight[3, 1, 2, 2] = -2.5
    nxt = torch.from_numpy(rng(13).normal(0, 1, (5, 4, 1, 1)))
    check_index(
        kata,
        weight,
        nxt,
        2,
        "weight (4, 2, 3, 3): channel L1 norms 3, 9, 2, 2.5; L2 norms 3, 2.12, 1.41, 2.5; k=2",
    )


@pytest.mark.points(1)
def test_elastic_width_ties_keep_the_lower_channel(kata):
    # four equal norms before a smaller one: the top 3 by importance are the first channels,
    # so only the order among equals is judged (keeping the first k is right here)
    weight = torch.ones(5, 2, 1, 1, dtype=torch.float64)
    weight[3] = -1.0  # |.| equal everywhere: every norm is 2
    weight[4] = 0.25
    nxt = torch.from_numpy(rng(14).normal(0, 1, (6, 5, 3, 3)))
    check_index(kata, weight, nxt, 3, "weight (5, 2, 1, 1): L1 norms 2, 2, 2, 2, 0.5; k=3")


@pytest.mark.points(2)
def test_elastic_width_slices_both_layers(kata):
    seed, k = 15, 3
    weight, nxt = draw_conv(seed, 7, 3, 3, 9)  # C_next > C_out: both slicings exist
    got = kata.elastic_width(weight.clone(), nxt.clone(), k)
    where = describe(seed, weight=weight, next_weight=nxt, k=k)
    index = torch.as_tensor(as_array(got[2], "index", dtype=float)).long()
    if tuple(index.shape) != (k,):
        fail(f"index: expected shape ({k},), got {tuple(index.shape)} [{where}]")
    # judged against the learner's own index: a ranking mistake is charged elsewhere
    assert_close(got[0], weight[index], what="weight_k (weight[index])", where=where)
    assert_close(
        got[1],
        nxt[:, index],
        what="next_weight_k (next_weight[:, index])",
        where=where,
        misconceptions={MISTAKES["width-next-layer-wrong-axis"]: nxt[index]},
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("k", [0, 9])
def test_elastic_width_rejects_k_out_of_range(kata, k):
    weight, nxt = draw_conv(16, 8, 2, 3, 2)
    try:
        got = kata.elastic_width(weight, nxt, k)
    except ValueError:
        return
    fail(f"elastic_width with k={k} and C_out=8 should raise ValueError, got {type(got).__name__}")


# ---------------------------------------------------------------- elastic kernel


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "lead, big, k", [((4, 3), 7, 5), ((4, 3), 7, 3), ((4, 3), 5, 1), ((4, 3), 3, 3), ((), 5, 3)]
)
def test_elastic_kernel_is_the_centre_crop(kata, lead, big, k):
    # (..., K, K): any leading axes, none included (a bare K x K kernel)
    seed = 20 + big + k + len(lead)
    weight = torch.from_numpy(rng(seed).normal(0, 1, (*lead, big, big)))
    s = (big - k) // 2
    got = kata.elastic_kernel(weight.clone(), k)
    assert_close(
        got,
        weight[..., s : s + k, s : s + k],
        what=f"{k}x{k} kernel",
        where=describe(seed, weight=weight, k=k),
        misconceptions={MISTAKES["kernel-corner-crop"]: weight[..., :k, :k]},
    )


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "shape, k", [((2, 7, 7), 4), ((2, 5, 5), 7), ((2, 4, 4), 3), ((2, 7, 5), 3), ((2, 5, 5), -1)]
)
def test_elastic_kernel_rejects_bad_sizes(kata, shape, k):
    try:
        got = kata.elastic_kernel(torch.zeros(shape), k)
    except ValueError:
        return
    fail(
        f"elastic_kernel(weight of shape {shape}, k={k}) should raise ValueError, got "
        f"{getattr(got, 'shape', got)}"
    )
