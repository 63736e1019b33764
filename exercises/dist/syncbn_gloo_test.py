"""Public examples for dist/syncbn_gloo: a taste of the grading, small enough to read.

Run them with ``pytest exercises/dist/syncbn_gloo_test.py``. They start two processes with the
gloo backend through ``katakit.distributed.run_ranks``, as the hidden grader does. katakit runs
your code in a process of its own, so the ranks start there: each ``@probe`` function below is
sent to that process with its arguments, and only the ranks' results come back.
"""

import math

import torch

from katakit.sandbox import probe


@probe
def forward_in_two_ranks(kata, shards):
    from katakit.distributed import run_ranks

    def one_rank(rank, world_size):
        bn = kata.SyncBatchNorm(1, eps=0.0).double()
        return bn(shards[rank].double())

    return run_ranks(one_rank, 2, timeout=8.0)


@probe
def backward_of_a_sum_in_two_ranks(kata, shards):
    from katakit.distributed import run_ranks

    def one_rank(rank, world_size):
        bn = kata.SyncBatchNorm(2).double()
        x = shards[rank].double().requires_grad_()
        bn(x).sum().backward()
        return x.grad, bn.bias.grad

    return run_ranks(one_rank, 2, timeout=8.0)


def test_two_uneven_ranks_normalise_with_the_whole_batch(kata):
    shards = [torch.tensor([[0.0], [2.0]]), torch.tensor([[4.0]])]
    outs = forward_in_two_ranks(kata, shards)
    std = math.sqrt(8.0 / 3.0)  # whole batch [0, 2, 4]: mean 2, biased variance 8/3
    torch.testing.assert_close(outs[0], torch.tensor([[-2.0 / std], [0.0]], dtype=torch.float64))
    torch.testing.assert_close(outs[1], torch.tensor([[2.0 / std]], dtype=torch.float64))


def test_backward_of_a_sum_gives_zero_input_gradients(kata):
    # d/dx of sum(out) is 0 for batch norm: every output shifts with the mean.
    shards = [torch.tensor([[1.0, 5.0]]), torch.tensor([[2.0, 1.0], [6.0, 0.0]])]
    (dx0, db0), (dx1, db1) = backward_of_a_sum_in_two_ranks(kata, shards)
    torch.testing.assert_close(dx0, torch.zeros(1, 2, dtype=torch.float64))
    torch.testing.assert_close(dx1, torch.zeros(2, 2, dtype=torch.float64))
    # bias.grad is each rank's share: the number of its own samples
    torch.testing.assert_close(db0, torch.tensor([1.0, 1.0], dtype=torch.float64))
    torch.testing.assert_close(db1, torch.tensor([2.0, 2.0], dtype=torch.float64))
