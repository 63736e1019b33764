"""Public examples for dist/parallelism: a taste of the grading, small enough to read.

Run them with ``pytest exercises/dist/parallelism_test.py``; the hidden grader runs many more
cases (and real processes over gloo) when you run ``pytest exercises/dist``.
"""

import torch


def test_shard_gradients_are_weighted_by_shard_size(kata):
    # a "gradient" that is just the mean of x over the shard's samples
    def grad_fn(params, x, y):
        return [x.mean(dim=0)]

    shards = [(torch.tensor([[4.0]]), torch.zeros(1)), (torch.zeros(3, 1), torch.zeros(3))]
    (grad,) = kata.data_parallel_grad(grad_fn, [torch.zeros(1)], shards)
    torch.testing.assert_close(grad, torch.tensor([1.0]))  # (1 * 4 + 3 * 0) / 4, not 2


def test_column_and_row_splits_reproduce_the_full_layer(kata):
    x = torch.tensor([[1.0, 2.0, 3.0]])
    weight = torch.tensor([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
    bias = torch.tensor([0.5, -0.5])
    full = x @ weight.T + bias  # [[-1.5, 3.5]]
    by_columns = kata.column_parallel_linear(x, [weight[:1], weight[1:]], [bias[:1], bias[1:]])
    torch.testing.assert_close(by_columns, full)
    by_rows = kata.row_parallel_linear([x[:, :2], x[:, 2:]], [weight[:, :2], weight[:, 2:]], bias)
    torch.testing.assert_close(by_rows, full)
