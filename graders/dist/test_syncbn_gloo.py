"""Hidden grader for dist/syncbn_gloo.

Each case forks 2-4 ranks joined by the gloo backend (katakit.distributed.run_ranks, called in a
probe on the learner's side), runs the learner's SyncBatchNorm on uneven shards in every rank
(training forward, backward, then one evaluation forward) and brings the results back as plain
tensors; the tests then compare them with the oracle, torch.nn.functional.batch_norm of the
concatenated batch in float64, run here in the grader. One run serves several tests (it is cached
per case), so a rank that hangs costs its timeout once.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.nn.functional as F

from katakit import misconceptions
from katakit.checks import assert_close, fail, rng
from katakit.distributed import RankFailure
from katakit.sandbox import probe

MISTAKES = misconceptions.of(__file__)

RANK_TIMEOUT = 8.0  # below the 10 s per test, so the learner reads run_ranks' message
RTOL, ATOL = 1e-7, 1e-9

# name -> (seed, per-rank batch sizes, sample shape (C, ...), eps, momentum)
CASES = {
    "2 ranks, (n, C)": (201, (1, 6), (3,), 1e-5, 0.1),
    "3 ranks, (n, C, H, W)": (202, (2, 1, 3), (2, 2, 3), 1e-3, 0.3),
}


def draw(seed, sizes, sample_shape):
    """Per-rank shards from different distributions (ranks see different data), and dy."""
    gen = rng(seed)
    channels = sample_shape[0]
    per_channel = (1, channels) + (1,) * (len(sample_shape) - 1)
    shards, douts = [], []
    for n in sizes:
        offset = gen.normal(0, 3, channels).reshape(per_channel)
        scale = gen.uniform(0.3, 2.0, channels).reshape(per_channel)
        shards.append(torch.tensor(offset + scale * gen.normal(0, 1, (n, *sample_shape))))
        douts.append(torch.tensor(gen.normal(0, 1, (n, *sample_shape))))
    weight = torch.tensor(gen.uniform(0.5, 1.5, channels))
    bias = torch.tensor(gen.normal(0, 1, channels))
    return shards, douts, weight, bias


@probe
def run_syncbn_ranks(kata, shards, douts, weight, bias, eps, momentum, timeout, backend, device):
    """On the learner's side: every rank runs the learner's module on its shard (training
    forward, backward, then one evaluation forward, and a float32 training forward); returns each
    rank's results as CPU tensors. A phase that raises is recorded under "errors" and the run goes
    on, so that only the tests of what that phase produces fail (a rank whose peers raise at
    another point hangs in a collective, and the whole run fails with the timeout)."""
    import os
    import traceback

    from katakit.distributed import run_ranks

    def failure(exc):
        frames = [
            frame
            for frame in traceback.extract_tb(exc.__traceback__)
            if frame.filename.endswith(".py")
            and f"{os.sep}torch{os.sep}" not in frame.filename
            and f"{os.sep}katakit{os.sep}" not in frame.filename
            and f"{os.sep}site-packages{os.sep}" not in frame.filename
        ]
        where = ""
        if frames:
            frame = frames[-1]
            where = f" (in {frame.name}, line {frame.lineno} of {os.path.basename(frame.filename)})"
        return f"{type(exc).__name__}: {exc}{where}"

    def one_rank(rank, world_size):
        bn = kata.SyncBatchNorm(weight.numel(), eps=eps, momentum=momentum).double().to(device)
        answer = {
            "errors": {},
            "start": {
                "parameters": sorted(name for name, _ in bn.named_parameters()),
                "weight": bn.weight.detach().cpu().clone(),
                "bias": bn.bias.detach().cpu().clone(),
            },
            "buffers": sorted(name for name, _ in bn.named_buffers()),
        }
        with torch.no_grad():
            bn.weight.copy_(weight)
            bn.bias.copy_(bias)
        bn.train()
        x = shards[rank].to(device).requires_grad_(True)
        try:
            out = bn(x)
            answer["out"] = out
        except Exception as exc:
            answer["errors"]["forward"] = failure(exc)
        answer["buffers"] = sorted(name for name, _ in bn.named_buffers())
        for name in ("running_mean", "running_var"):
            value = getattr(bn, name, None)
            answer[name] = value.clone() if isinstance(value, torch.Tensor) else None
        answer["buffers_need_grad"] = sorted(
            name
            for name in ("running_mean", "running_var")
            if getattr(getattr(bn, name, None), "requires_grad", False)
        )
        if "out" in answer:
            try:
                out.backward(douts[rank].to(device))
                answer |= {"dx": x.grad, "dweight": bn.weight.grad, "dbias": bn.bias.grad}
            except Exception as exc:
                answer["errors"]["backward"] = failure(exc)
        bn.eval()
        try:
            with torch.no_grad():
                answer["eval_out"] = bn(shards[rank].to(device))
        except Exception as exc:
            answer["errors"]["eval"] = failure(exc)
        # The same module in float32 (no .double()): one more training step, in every rank.
        try:
            bn32 = kata.SyncBatchNorm(weight.numel(), eps=eps, momentum=momentum).to(device)
            bn32.train()
            out32 = bn32(shards[rank].float().to(device))
            answer["float32"] = {
                "output": str(out32.dtype),
                "running_mean": str(bn32.running_mean.dtype),
                "running_var": str(bn32.running_var.dtype),
            }
        except Exception as exc:
            answer["errors"]["float32"] = failure(exc)
        return answer

    return run_ranks(one_rank, len(shards), timeout=timeout, backend=backend)


_RUNS: dict = {}


def run_case(kata, name, backend="gloo", device="cpu"):
    """The ranks' answers for a case (run once, then cached); a failed run fails every test."""
    key = (id(kata), name, backend)
    hung = [
        run
        for run in _RUNS.values()
        if isinstance(run, RankFailure) and "did not finish" in str(run)
    ]
    if key not in _RUNS and hung:  # one hang is enough: do not wait for another timeout
        _RUNS[key] = RankFailure(f"not run, because an earlier case hung: {hung[0]}")
    if key not in _RUNS:
        seed, sizes, sample_shape, eps, momentum = CASES[name]
        shards, douts, weight, bias = draw(seed, sizes, sample_shape)
        # CUDA and nccl take a few seconds to start in each rank
        timeout = RANK_TIMEOUT if backend == "gloo" else 9.5
        try:
            _RUNS[key] = run_syncbn_ranks(
                kata, shards, douts, weight, bias, eps, momentum, timeout, backend, device
            )
        except RankFailure as exc:
            _RUNS[key] = exc
    answers = _RUNS[key]
    if isinstance(answers, RankFailure):
        fail(f"{name}: {answers}")
    if not isinstance(answers, list) or len(answers) != len(CASES[name][1]):
        fail(f"{name}: the ranks returned no results")
    for rank, answer in enumerate(answers):
        if not isinstance(answer, dict):
            fail(f"{name}: rank {rank} returned no results")
    return answers


PHASES = {
    "forward": "the training forward pass",
    "backward": "the backward pass (out.backward(dy))",
    "eval": "the evaluation forward pass (after one training step)",
    "float32": "a training forward pass of SyncBatchNorm(C) in float32 (no .double())",
}


def ranks_ran(answers, name, *phases):
    """Fail, with the learner's exception, if a phase this test needs raised in some rank."""
    for rank, answer in enumerate(answers):
        for phase in phases:
            error = answer["errors"].get(phase)
            if error:
                fail(f"{name}: rank {rank}: {PHASES[phase]} raised {error}")


def oracle(name):
    """Full-batch BN by torch: outputs, dx split by rank, each rank's share of the parameter
    gradients, running statistics after one step, and the evaluation output."""
    seed, sizes, sample_shape, eps, momentum = CASES[name]
    shards, douts, weight, bias = draw(seed, sizes, sample_shape)
    x = torch.cat(shards).requires_grad_(True)
    w, b = weight.clone().requires_grad_(True), bias.clone().requires_grad_(True)
    channels = weight.numel()
    running_mean = torch.zeros(channels, dtype=torch.float64)
    running_var = torch.ones(channels, dtype=torch.float64)
    out = F.batch_norm(x, running_mean, running_var, w, b, True, momentum, eps)
    bounds = np.cumsum([0, *sizes])
    pieces = [slice(int(lo), int(hi)) for lo, hi in itertools.pairwise(bounds)]
    dx = torch.autograd.grad(out, x, torch.cat(douts), retain_graph=True)[0]
    shares = []
    for piece, dy in zip(
        pieces, douts, strict=True
    ):  # the gradient of this rank's part of the loss
        dw, db = torch.autograd.grad(out[piece], (w, b), dy, retain_graph=True)
        shares.append((dw, db))
    eval_out = F.batch_norm(x.detach(), running_mean, running_var, weight, bias, False, 0.0, eps)
    return {
        "shards": shards,
        "douts": douts,
        "weight": weight,
        "eps": eps,
        "out": [out.detach()[p] for p in pieces],
        "dx": [dx[p] for p in pieces],
        "shares": shares,
        "running_mean": running_mean,
        "running_var": running_var,
        "eval_out": [eval_out[p] for p in pieces],
    }


def axes(x):
    return [0, *range(2, x.dim())]


def per_channel(x):
    return (1, x.shape[1]) + (1,) * (x.dim() - 2)


def averaged_statistics_output(shards, weight, bias, eps):
    """Outputs when the ranks all-reduce (average) their means and variances."""
    world = len(shards)
    mean = sum(x.mean(axes(x)) for x in shards) / world
    var = sum(x.var(axes(x), unbiased=False) for x in shards) / world
    return [
        (x - mean.reshape(per_channel(x)))
        / torch.sqrt(var.reshape(per_channel(x)) + eps)
        * weight.reshape(per_channel(x))
        + bias.reshape(per_channel(x))
        for x in shards
    ]


def local_sums_dx(shards, douts, weight, eps, global_count):
    """dx when the backward uses this rank's sums only (the backward all-reduce is missing)."""
    full = torch.cat(shards)
    mean, var = full.mean(axes(full)), full.var(axes(full), unbiased=False)
    m_total = full.numel() // full.shape[1]
    result = []
    for x, dy in zip(shards, douts, strict=True):
        shape = per_channel(x)
        inv_std = torch.rsqrt(var + eps).reshape(shape)
        x_hat = (x - mean.reshape(shape)) * inv_std
        m = m_total if global_count else x.numel() // x.shape[1]
        sum_dy = dy.sum(axes(x)).reshape(shape)
        sum_dy_xhat = (dy * x_hat).sum(axes(x)).reshape(shape)
        result.append(weight.reshape(shape) * inv_std * (dy - sum_dy / m - x_hat * sum_dy_xhat / m))
    return result


@pytest.mark.points(1)
@pytest.mark.parametrize("name", list(CASES))
def test_outputs_in_every_rank_equal_full_batch_batch_norm(kata, name):
    answers = run_case(kata, name)
    ranks_ran(answers, name, "forward")
    expected = oracle(name)
    seed, sizes, *_ = CASES[name]
    _, _, weight, bias = draw(seed, sizes, CASES[name][2])
    wrong_avg = averaged_statistics_output(expected["shards"], weight, bias, CASES[name][3])
    for rank, answer in enumerate(answers):
        plain = expected["shards"][rank]
        plain_out = (
            F.batch_norm(plain, None, None, weight, bias, True, 0.0, CASES[name][3])
            if (plain.numel() // plain.shape[1] > 1)
            else None
        )
        wrong = {
            MISTAKES["averaged-variances"]: wrong_avg[rank],
        }
        if plain_out is not None:
            wrong[
                "each rank normalised with its own statistics, as plain batch norm does: no "
                "all-reduce in the forward pass"
            ] = plain_out
        assert_close(
            answer.get("out"),
            expected["out"][rank],
            what=f"rank {rank}: output",
            where=f"{name}, seed {seed}, shard sizes {list(sizes)}",
            rtol=RTOL,
            atol=ATOL,
            misconceptions=wrong,
        )


@pytest.mark.points(2)
@pytest.mark.parametrize("name", list(CASES))
def test_input_gradients_in_every_rank_equal_full_batch_autograd(kata, name):
    answers = run_case(kata, name)
    ranks_ran(answers, name, "forward", "backward")
    expected = oracle(name)
    seed, sizes, _, eps, _ = CASES[name]
    args = (expected["shards"], expected["douts"], expected["weight"], eps)
    wrong_global, wrong_local = local_sums_dx(*args, True), local_sums_dx(*args, False)
    for rank, answer in enumerate(answers):
        assert_close(
            answer.get("dx"),
            expected["dx"][rank],
            what=f"rank {rank}: input gradient dx",
            where=f"{name}, seed {seed}, shard sizes {list(sizes)}",
            rtol=RTOL,
            atol=ATOL,
            misconceptions={
                MISTAKES["backward-local-sums"]: wrong_global[rank],
                MISTAKES["backward-local-sums-and-count"]: wrong_local[rank],
            },
        )


@pytest.mark.points(1)
@pytest.mark.parametrize("name", list(CASES))
def test_parameter_gradients_are_each_ranks_share(kata, name):
    answers = run_case(kata, name)
    ranks_ran(answers, name, "forward", "backward")
    expected = oracle(name)
    seed, sizes, *_ = CASES[name]
    world = len(sizes)
    total_dw = sum(dw for dw, _ in expected["shares"])
    total_db = sum(db for _, db in expected["shares"])
    where = f"{name}, seed {seed}, shard sizes {list(sizes)}"
    for rank, answer in enumerate(answers):
        dw, db = expected["shares"][rank]
        full = MISTAKES["grad-share-all-reduced"]
        mean = MISTAKES["grad-share-averaged"]
        assert_close(
            answer.get("dbias"),
            db,
            what=f"rank {rank}: bias.grad",
            where=where,
            rtol=RTOL,
            atol=ATOL,
            misconceptions={full: total_db, mean: total_db / world},
        )
        assert_close(
            answer.get("dweight"),
            dw,
            what=f"rank {rank}: weight.grad",
            where=where,
            rtol=RTOL,
            atol=ATOL,
            misconceptions={full: total_dw, mean: total_dw / world},
        )


@pytest.mark.points(1)
def test_running_statistics_follow_the_whole_batch(kata):
    name = "3 ranks, (n, C, H, W)"
    answers = run_case(kata, name)
    ranks_ran(answers, name, "forward")
    expected = oracle(name)
    seed, sizes, _, _, momentum = CASES[name]
    full = torch.cat(expected["shards"])
    biased = 0.7 + momentum * full.var(axes(full), unbiased=False)
    where = f"{name}, seed {seed}, shard sizes {list(sizes)}, momentum {momentum}, one step"
    for rank, answer in enumerate(answers):
        assert_close(
            answer.get("running_mean"),
            expected["running_mean"],
            what=f"rank {rank}: running_mean",
            where=where,
            rtol=RTOL,
            atol=ATOL,
        )
        assert_close(
            answer.get("running_var"),
            expected["running_var"],
            what=f"rank {rank}: running_var",
            where=where,
            rtol=RTOL,
            atol=ATOL,
            misconceptions={MISTAKES["biased-running-var"]: biased},
        )


@pytest.mark.points(1)
def test_weight_and_bias_are_parameters_starting_at_ones_and_zeros(kata):
    name = "2 ranks, (n, C)"
    answers = run_case(kata, name)
    channels = CASES[name][2][0]
    start = answers[0].get("start", {})
    parameters = start.get("parameters", [])
    missing = [p for p in ("weight", "bias") if p not in parameters]
    if missing:
        fail(
            f"{', '.join(missing)} is not an nn.Parameter of the module (its parameters: "
            f"{parameters}); wrap them in nn.Parameter so the optimizer and DDP see them"
        )
    assert_close(start.get("weight"), np.ones(channels), what="weight of a new SyncBatchNorm(3)")
    assert_close(start.get("bias"), np.zeros(channels), what="bias of a new SyncBatchNorm(3)")


@pytest.mark.points(1)
def test_running_statistics_are_buffers_that_need_no_grad(kata):
    name = "2 ranks, (n, C)"
    answers = run_case(kata, name)
    for rank, answer in enumerate(answers):
        buffers = answer.get("buffers", [])
        missing = [b for b in ("running_mean", "running_var") if b not in buffers]
        if missing:
            fail(
                f"rank {rank}: {', '.join(missing)} is not a registered buffer of the module "
                f"(its buffers: {buffers}); create it with register_buffer, so that .double() "
                "and .to(device) convert it and state_dict() saves it"
            )
        if answer.get("buffers_need_grad"):
            fail(
                f"rank {rank}: after a training step {', '.join(answer['buffers_need_grad'])} "
                "requires grad; running statistics are not trained: update them under "
                "torch.no_grad() from detached (non-differentiable) mean and var"
            )


@pytest.mark.points(1)
def test_a_float32_module_stays_float32(kata):
    name = "2 ranks, (n, C)"
    answers = run_case(kata, name)
    ranks_ran(answers, name, "float32")
    for rank, answer in enumerate(answers):
        dtypes = answer.get("float32", {})
        wrong = {k: v for k, v in dtypes.items() if v != "torch.float32"}
        if wrong or not dtypes:
            fail(
                f"rank {rank}: SyncBatchNorm(C) without .double(), on a float32 input, gave "
                f"dtypes {dtypes}; expected torch.float32 throughout. Build the count and the "
                "all-reduced statistics with the input's dtype (x.new_full, torch.cat of "
                "float32 pieces) and update the buffers in place"
            )


@pytest.mark.points(1)
def test_evaluation_uses_the_running_statistics(kata):
    # The oracle is the normalisation with each rank's own running buffers, whatever their
    # values: test_running_statistics_follow_the_whole_batch judges those. The tolerance is that
    # of float32 arithmetic, so that buffers left in float32 by a .double() that could not reach
    # them cost test_running_statistics_are_buffers_that_need_no_grad only; a misplaced eps
    # (about 5e-6 here) still shows.
    name = "2 ranks, (n, C)"
    answers = run_case(kata, name)
    ranks_ran(answers, name, "eval")
    seed, _, _, eps, _ = CASES[name]
    shards, _, weight, bias = draw(seed, *CASES[name][1:3])
    for rank, answer in enumerate(answers):
        buffers = [answer.get(b) for b in ("running_mean", "running_var")]
        if any(b is None for b in buffers):
            fail(f"{name}: rank {rank}: the module has no running_mean and running_var tensors")
        x = shards[rank]
        mean, var = (b.double().reshape(per_channel(x)) for b in buffers)
        expected = (x - mean) / torch.sqrt(var + eps) * weight.reshape(per_channel(x)) + (
            bias.reshape(per_channel(x))
        )
        mistakes = {}
        if answer.get("out") is not None:
            mistakes[MISTAKES["eval-uses-batch-stats"]] = answer["out"]
        assert_close(
            answer.get("eval_out"),
            expected,
            what=f"rank {rank}: evaluation output (after one training step)",
            where=f"{name}, seed {seed}; expected the input normalised with this rank's "
            f"running_mean {buffers[0].tolist()} and running_var {buffers[1].tolist()}",
            rtol=1e-6,
            atol=1e-7,
            misconceptions=mistakes,
        )


@pytest.mark.gpu
@pytest.mark.points(1)
def test_nccl_ranks_on_cuda_devices_equal_full_batch_batch_norm(kata):
    # Counted only where two or more CUDA devices are visible; the grader itself never touches
    # CUDA before forking (device_count is NVML-based), so the ranks can initialise it.
    if not dist.is_nccl_available() or torch.cuda.device_count() < 2:
        pytest.skip("needs nccl and two CUDA devices; these points are not counted here")
    name = "2 ranks, (n, C)"
    answers = run_case(kata, name, backend="nccl", device="cuda")
    ranks_ran(answers, name, "forward", "backward", "eval")
    expected = oracle(name)
    for rank, answer in enumerate(answers):
        for key in ("out", "dx", "eval_out"):
            assert_close(
                answer.get(key),
                expected[key][rank],
                what=f"nccl rank {rank}: {key}",
                where=name,
                rtol=1e-6,
                atol=1e-8,
            )
        assert_close(
            answer.get("dbias"),
            expected["shares"][rank][1],
            what=f"nccl rank {rank}: bias.grad",
            where=name,
            rtol=1e-6,
            atol=1e-8,
        )
