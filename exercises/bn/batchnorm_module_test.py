"""Public examples for bn/batchnorm_module: a taste of the grading, small enough to read.

Run them with ``pytest exercises/bn/batchnorm_module_test.py``; the hidden grader compares your
module with torch.nn.BatchNorm2d over many more cases when you run ``pytest exercises/bn``.
"""

import torch


def column(*values):
    """One channel, one pixel per sample: shape (N, 1, 1, 1)."""
    return torch.tensor(values).reshape(-1, 1, 1, 1)


def test_one_training_step_normalises_and_updates_running_stats(kata):
    bn = kata.BatchNorm2d(1, momentum=0.1)
    out = bn(column(0.0, 2.0))  # mean 1, biased variance 1, unbiased variance 2
    torch.testing.assert_close(out.detach(), column(-1.0, 1.0), rtol=0, atol=1e-4)
    torch.testing.assert_close(bn.running_mean, torch.tensor([0.9 * 0.0 + 0.1 * 1.0]))
    torch.testing.assert_close(bn.running_var, torch.tensor([0.9 * 1.0 + 0.1 * 2.0]))
    assert int(bn.num_batches_tracked) == 1


def test_momentum_none_averages_every_batch_equally(kata):
    bn = kata.BatchNorm2d(1, momentum=None)
    bn(column(0.0, 2.0))  # mean 1, unbiased variance 2
    bn(column(3.0, 5.0))  # mean 4, unbiased variance 2
    bn(column(1.0, 1.0, 4.0))  # mean 2, unbiased variance 3
    torch.testing.assert_close(bn.running_mean, torch.tensor([(1.0 + 4.0 + 2.0) / 3]))
    torch.testing.assert_close(bn.running_var, torch.tensor([(2.0 + 2.0 + 3.0) / 3]))


def test_eval_uses_running_stats_and_the_state_dict_has_torch_keys(kata):
    bn = kata.BatchNorm2d(1)
    bn.load_state_dict(
        {
            "weight": torch.tensor([2.0]),
            "bias": torch.tensor([1.0]),
            "running_mean": torch.tensor([5.0]),
            "running_var": torch.tensor([4.0]),
            "num_batches_tracked": torch.tensor(7),
        }
    )
    bn.eval()
    out = bn(column(4.0, 6.0))  # 2 * (x - 5) / sqrt(4) + 1
    torch.testing.assert_close(out.detach(), column(0.0, 2.0), rtol=0, atol=1e-4)
    assert int(bn.num_batches_tracked) == 7  # evaluation changes nothing
