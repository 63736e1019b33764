"""Hidden grader for dist/parallelism.

Oracles: the unsplit computation in float64 -- torch autograd of the mean loss on the concatenated
batch for data parallelism, the plain matmul (and MLP) for model parallelism. The two
torch.distributed functions run in 3 forked ranks over gloo (katakit.distributed.run_ranks,
called in a probe on the learner's side), one run per function, cached.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from katakit import misconceptions
from katakit.checks import assert_close, fail, rng
from katakit.distributed import RankFailure
from katakit.sandbox import probe

MISTAKES = misconceptions.of(__file__)

RTOL, ATOL = 1e-10, 1e-12
RANK_TIMEOUT = 8.0


def t(array):
    return torch.tensor(array, dtype=torch.float64)


# -- data parallel ----------------------------------------------------------------------------
def classification_batch(seed, sizes, features=4, classes=3):
    """Softmax-regression parameters and shards; each device sees a different class mix."""
    gen = rng(seed)
    params = [t(gen.normal(0, 1, (classes, features))), t(gen.normal(0, 1, classes))]
    shards = []
    for n in sizes:
        shift = gen.normal(0, 2, features)
        x = t(shift + gen.normal(0, 1, (n, features)))
        y = torch.tensor(gen.integers(0, classes, n), dtype=torch.long)
        shards.append((x, y))
    return params, shards


def mean_loss_grad(params, x, y):
    """What one device computes: the gradient of the mean cross-entropy over its samples."""
    if x.shape[0] == 0:
        raise ValueError(
            "grad_fn was called with an empty shard: the mean loss over no sample is undefined; "
            "skip shards with no samples"
        )
    weight, bias = (p.detach().clone().requires_grad_(True) for p in params)
    loss = F.cross_entropy(x @ weight.T + bias, y)
    return list(torch.autograd.grad(loss, (weight, bias)))


def full_batch_grad(params, shards):
    x = torch.cat([x for x, _ in shards])
    y = torch.cat([y for _, y in shards])
    return mean_loss_grad(params, x, y)


def shard_mistakes(params, shards):
    used = [mean_loss_grad(params, x, y) for x, y in shards if x.shape[0]]
    return [
        {
            MISTAKES["unweighted-shard-mean"]: sum(g[i] for g in used) / len(used),
            MISTAKES["shard-gradients-summed"]: sum(g[i] for g in used),
        }
        for i in range(len(params))
    ]


def as_tensor_list(result, n, what):
    if not isinstance(result, list | tuple) or len(result) != n:
        fail(f"{what}: expected a list of {n} tensors (one per parameter), got {result!r:.200}")
    return list(result)


def check_grads(actual, params, shards, where):
    expected = full_batch_grad(params, shards)
    actual = as_tensor_list(actual, len(params), "gradients")
    mistakes = shard_mistakes(params, shards)
    for i, name in enumerate(["weight", "bias"]):
        assert_close(
            actual[i],
            expected[i],
            what=f"{name} gradient",
            where=where,
            rtol=RTOL,
            atol=ATOL,
            misconceptions=mistakes[i],
        )


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, sizes", [(401, (1, 5, 2)), (402, (7, 3))])
def test_data_parallel_grad_equals_the_full_batch_gradient(kata, seed, sizes):
    params, shards = classification_batch(seed, sizes)
    result = kata.data_parallel_grad(mean_loss_grad, params, shards)
    check_grads(result, params, shards, f"seed {seed}, shard sizes {list(sizes)}")


@pytest.mark.points(1)
def test_data_parallel_grad_skips_a_shard_with_no_samples(kata):
    seed, sizes = 403, (4, 0, 2)
    params, shards = classification_batch(seed, sizes)
    result = kata.data_parallel_grad(mean_loss_grad, params, shards)
    check_grads(result, params, shards, f"seed {seed}, shard sizes {list(sizes)} (one empty)")


# -- the same over gloo -----------------------------------------------------------------------
@probe
def run_over_gloo(kata, function, per_rank_args, timeout):
    """On the learner's side: rank r calls the learner's ``function(*per_rank_args[r])`` in ranks
    joined by gloo; returns, for each rank, what it returned and the positions of the arguments
    it changed in place. The function is called past katakit's read-only check (inspect.unwrap),
    which would fail the whole run: a changed argument costs only the test of that promise."""
    import inspect

    import torch

    from katakit.distributed import run_ranks

    def copy(value):
        if isinstance(value, torch.Tensor):
            return value.detach().clone()
        return [copy(v) for v in value] if isinstance(value, list | tuple) else value

    def same(before, after):
        if isinstance(before, torch.Tensor):
            return before.shape == after.shape and bool(torch.equal(before, after.detach()))
        if isinstance(before, list):
            return len(before) == len(after) and all(map(same, before, after))
        return before == after

    def one_rank(rank, world_size):
        args = per_rank_args[rank]
        before = [copy(a) for a in args]
        result = inspect.unwrap(getattr(kata, function))(*args)
        changed = [i for i, (b, a) in enumerate(zip(before, args, strict=True)) if not same(b, a)]
        return {"result": result, "changed": changed}

    return run_ranks(one_rank, len(per_rank_args), timeout=timeout)


_RUNS: dict = {}


def cached_run(key, kata, function, per_rank_args):
    """Each rank's {"result", "changed"} (run once, then cached); a failed run fails the test."""
    if key not in _RUNS:
        try:
            _RUNS[key] = run_over_gloo(kata, function, per_rank_args, RANK_TIMEOUT)
        except RankFailure as exc:
            _RUNS[key] = exc
    if isinstance(_RUNS[key], RankFailure):
        fail(str(_RUNS[key]))
    return _RUNS[key]


ALLREDUCE_CASE = (411, (1, 4, 2))


def allreduce_run(kata):
    seed, sizes = ALLREDUCE_CASE
    params, shards = classification_batch(seed, sizes)
    # each rank's mean-loss gradient over its own shard, and its number of samples
    per_rank_args = [(mean_loss_grad(params, x, y), x.shape[0]) for x, y in shards]
    return cached_run(("grads", id(kata)), kata, "allreduce_mean_grads", per_rank_args)


@pytest.mark.points(2)
def test_allreduce_mean_grads_gives_every_rank_the_full_batch_gradient(kata):
    seed, sizes = ALLREDUCE_CASE
    params, shards = classification_batch(seed, sizes)
    for rank, answer in enumerate(allreduce_run(kata)):
        where = (
            f"rank {rank} of {len(sizes)} over gloo, seed {seed}, samples per rank {list(sizes)}"
        )
        check_grads(answer["result"], params, shards, where)


@pytest.mark.points(1)
def test_allreduce_mean_grads_leaves_grads_unchanged(kata):
    _, sizes = ALLREDUCE_CASE
    for rank, answer in enumerate(allreduce_run(kata)):
        if 0 in answer["changed"]:
            fail(
                f"rank {rank} of {len(sizes)} over gloo: allreduce_mean_grads modified its "
                "argument 'grads' in place; dist.all_reduce(t) overwrites t, so reduce new "
                "tensors (grad * count) and leave grads as they were"
            )


def row_blocks(seed, batch=5, in_features=7, out_features=4, sizes=(3, 1, 3)):
    gen = rng(seed)
    x = t(gen.normal(0, 1, (batch, in_features)))
    weight = t(gen.normal(0, 1, (out_features, in_features)))
    bias = t(gen.normal(0, 1, out_features))
    x_parts = list(torch.split(x, list(sizes), dim=-1))
    w_parts = list(torch.split(weight, list(sizes), dim=1))
    return x, weight, bias, x_parts, w_parts


@pytest.mark.points(1)
def test_row_parallel_linear_dist_reduces_partial_products_over_gloo(kata):
    seed = 421
    x, weight, bias, x_parts, w_parts = row_blocks(seed)
    per_rank_args = [
        (x_part, w_part, bias) for x_part, w_part in zip(x_parts, w_parts, strict=True)
    ]
    answers = cached_run(("row", id(kata)), kata, "row_parallel_linear_dist", per_rank_args)
    expected = x @ weight.T + bias
    names = ("x_part", "weight_part", "bias")
    for rank, answer in enumerate(answers):
        if answer["changed"]:
            changed = ", ".join(f"'{names[i]}'" for i in answer["changed"])
            fail(
                f"rank {rank}: row_parallel_linear_dist modified its argument {changed} in "
                "place; leave inputs unchanged (all-reduce a new tensor)"
            )
        partial = x_parts[rank] @ w_parts[rank].T
        assert_close(
            answer["result"],
            expected,
            what=f"rank {rank}: output",
            rtol=RTOL,
            atol=ATOL,
            where=f"3 ranks over gloo, seed {seed}, input features split (3, 1, 3)",
            misconceptions={
                MISTAKES["row-partial-not-reduced"]: partial + bias,
                MISTAKES["bias-before-reduction"]: expected + 2 * bias,
                MISTAKES["row-partials-averaged"]: (expected - bias) / 3 + bias,
            },
        )


# -- model parallel, simulated ----------------------------------------------------------------
def linear(seed, x_shape, out_features):
    gen = rng(seed)
    x = t(gen.normal(0, 1, x_shape))
    weight = t(gen.normal(0, 1, (out_features, x_shape[-1])))
    bias = t(gen.normal(0, 1, out_features))
    return x, weight, bias


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "seed, x_shape, out_sizes",
    [
        (431, (5, 6), (3, 1, 3)),
        (432, (2, 3, 6), (4, 3)),
    ],
)
def test_column_parallel_linear_gathers_to_the_full_layer(kata, seed, x_shape, out_sizes):
    x, weight, bias = linear(seed, x_shape, sum(out_sizes))
    w_shards = list(torch.split(weight, list(out_sizes), dim=0))
    b_shards = list(torch.split(bias, list(out_sizes)))
    y = kata.column_parallel_linear(x.clone(), w_shards, b_shards)
    assert_close(
        y,
        x @ weight.T + bias,
        what="output",
        rtol=RTOL,
        atol=ATOL,
        where=f"seed {seed}, x {x_shape}, output features split {out_sizes}",
    )


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "seed, x_shape, in_sizes, out_features",
    [
        (441, (5, 7), (3, 1, 3), 4),
        (442, (2, 3, 6), (2, 4), 5),
    ],
)
def test_row_parallel_linear_sums_partial_products(kata, seed, x_shape, in_sizes, out_features):
    x, weight, bias = linear(seed, x_shape, out_features)
    x_shards = list(torch.split(x, list(in_sizes), dim=-1))
    w_shards = list(torch.split(weight, list(in_sizes), dim=1))
    y = kata.row_parallel_linear(x_shards, w_shards, bias)
    expected = x @ weight.T + bias
    n = len(in_sizes)
    assert_close(
        y,
        expected,
        what="output",
        rtol=RTOL,
        atol=ATOL,
        where=f"seed {seed}, x {x_shape}, input features split {in_sizes}",
        misconceptions={
            MISTAKES["row-partials-averaged"]: (expected - bias) / n + bias,
            MISTAKES["bias-added-per-device"]: expected + (n - 1) * bias,
        },
    )


@pytest.mark.points(1)
def test_parallel_mlp_equals_the_unsplit_mlp(kata):
    seed = 451
    gen = rng(seed)
    x = t(gen.normal(0, 1, (4, 5)))
    w1, b1 = t(gen.normal(0, 1, (6, 5))), t(gen.normal(0, 1, 6))
    w2, b2 = t(gen.normal(0, 1, (3, 6))), t(gen.normal(0, 1, 3))
    hidden_sizes = [2, 4]
    y = kata.parallel_mlp(
        x.clone(),
        list(torch.split(w1, hidden_sizes, dim=0)),
        list(torch.split(b1, hidden_sizes)),
        list(torch.split(w2, hidden_sizes, dim=1)),
        b2,
    )
    expected = torch.relu(x @ w1.T + b1) @ w2.T + b2
    pieces = [
        x @ w.T + b
        for w, b in zip(torch.split(w1, hidden_sizes), torch.split(b1, hidden_sizes), strict=True)
    ]
    late_relu = torch.relu(
        sum(p @ w.T for p, w in zip(pieces, torch.split(w2, hidden_sizes, dim=1), strict=True)) + b2
    )
    assert_close(
        y,
        expected,
        what="output",
        rtol=RTOL,
        atol=ATOL,
        where=f"seed {seed}, x (4, 5), hidden features split {hidden_sizes}",
        misconceptions={MISTAKES["relu-after-reduction"]: late_relu},
    )
