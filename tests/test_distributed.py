"""katakit.distributed.run_ranks: answers come back by rank, and every failure stops every rank."""

from __future__ import annotations

import os
import sys
import time

import pytest

torch = pytest.importorskip("torch")
dist = pytest.importorskip("torch.distributed")
if not dist.is_available() or not hasattr(os, "fork"):
    pytest.skip("needs torch.distributed and os.fork", allow_module_level=True)

from katakit.distributed import RankFailure, run_ranks  # noqa: E402


def assert_no_children_left() -> None:
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


def gone(pid: int) -> bool:
    """True once ``pid`` no longer runs (a zombie waiting for init to reap it counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


def sum_of_ranks(rank, world_size, offset):
    value = torch.tensor([float(rank + offset)], requires_grad=True) * 1.0
    total = value.detach().clone()
    dist.all_reduce(total)
    return {"rank": rank, "total": total, "value": value, "pair": (rank, [total])}


@pytest.mark.parametrize("world_size", [1, 2, 4])
def test_all_reduce_answers_come_back_in_rank_order(world_size):
    answers = run_ranks(sum_of_ranks, world_size, args=(1,), timeout=20)
    expected = sum(range(1, world_size + 1))
    assert [answer["rank"] for answer in answers] == list(range(world_size))
    for answer in answers:
        assert answer["total"].item() == expected
        assert not answer["value"].requires_grad  # detached on the way back
        assert answer["pair"][1][0].item() == expected
    assert_no_children_left()


def test_a_closure_over_local_state_runs_in_every_rank():
    shards = [torch.arange(3.0), torch.arange(5.0) * 2]

    def local_sum(rank, world_size):
        total = shards[rank].sum().reshape(1)
        dist.all_reduce(total)
        return total

    assert [t.item() for t in run_ranks(local_sum, 2, timeout=20)] == [23.0, 23.0]


def raises_in_rank_one(rank, world_size):
    if rank == 1:
        raise ValueError("boom from the learner")
    dist.all_reduce(torch.ones(1))  # waits for rank 1 forever: run_ranks must not
    return rank


def test_a_rank_that_raises_stops_every_rank_and_names_itself():
    start = time.monotonic()
    with pytest.raises(RankFailure, match=r"rank 1 of 3 raised ValueError: boom from the learner"):
        run_ranks(raises_in_rank_one, 3, timeout=20)
    assert time.monotonic() - start < 10
    assert_no_children_left()


def test_the_failure_message_points_at_the_line_that_raised():
    with pytest.raises(RankFailure) as info:
        run_ranks(raises_in_rank_one, 2, timeout=20)
    assert "in raises_in_rank_one, line" in str(info.value)
    assert "test_distributed.py" in str(info.value)
    assert isinstance(info.value, AssertionError)  # katakit shows its message as is


def hangs_in_rank_one(rank, world_size):
    if rank == 1:
        while True:
            time.sleep(0.05)
    dist.all_reduce(torch.ones(1))
    return rank


def test_a_rank_that_hangs_is_killed_within_the_timeout_and_nothing_is_left():
    start = time.monotonic()
    with pytest.raises(RankFailure, match=r"ranks? .*1.* did not finish within 1 s"):
        run_ranks(hangs_in_rank_one, 2, timeout=1.0)
    assert time.monotonic() - start < 5
    assert_no_children_left()


def test_a_collective_only_some_ranks_reach_times_out_with_a_hint():
    def only_rank_zero_reduces(rank, world_size):
        if rank == 0:
            dist.all_reduce(torch.ones(1))
        return rank

    with pytest.raises(RankFailure, match="a collective that not every rank reaches"):
        run_ranks(only_rank_zero_reduces, 2, timeout=1.0)
    assert_no_children_left()


def exits_in_rank_one(rank, world_size):
    if rank == 1:
        os._exit(3)
    dist.all_reduce(torch.ones(1))
    return rank


def test_a_rank_that_calls_os_exit_is_reported_and_the_others_are_stopped():
    start = time.monotonic()
    with pytest.raises(RankFailure, match=r"rank 1 of 2 ended its process with exit status 3"):
        run_ranks(exits_in_rank_one, 2, timeout=20)
    assert time.monotonic() - start < 10
    assert_no_children_left()


def test_sys_exit_in_a_rank_is_named():
    def calls_sys_exit(rank, world_size):
        sys.exit(2)

    with pytest.raises(RankFailure, match=r"called sys.exit\(2\)"):
        run_ranks(calls_sys_exit, 2, timeout=20)
    assert_no_children_left()


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc")
def test_processes_a_rank_started_are_stopped_too():
    read_end, write_end = os.pipe()

    def starts_a_sleeper(rank, world_size):
        pid = os.fork()
        if pid == 0:
            time.sleep(60)
            os._exit(0)
        os.write(write_end, f"{pid}\n".encode())
        dist.barrier()  # both sleepers exist before rank 1 gives up
        if rank == 1:
            raise RuntimeError("give up")
        dist.all_reduce(torch.ones(1))

    with pytest.raises(RankFailure, match="give up"):
        run_ranks(starts_a_sleeper, 2, timeout=20)
    os.close(write_end)
    with os.fdopen(read_end) as lines:
        sleepers = [int(line) for line in lines.read().split()]
    assert len(sleepers) == 2
    deadline = time.monotonic() + 5
    while not all(map(gone, sleepers)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(map(gone, sleepers))
    assert_no_children_left()


def test_a_value_that_cannot_be_sent_back_is_reported():
    def returns_a_lambda(rank, world_size):
        return lambda: rank

    with pytest.raises(RankFailure, match="cannot be sent back"):
        run_ranks(returns_a_lambda, 2, timeout=20)


def test_a_bad_world_size_is_refused():
    with pytest.raises(ValueError, match="world_size"):
        run_ranks(sum_of_ranks, 0, args=(0,))
