"""Public examples for bn/transfer_stats: a taste of the grading, small enough to read.

Run them with ``pytest exercises/bn/transfer_stats_test.py``; the hidden grader runs many
more cases when you run ``pytest exercises/bn``. katakit runs your code in a process of its own,
and a torch model cannot travel between processes: each ``@probe`` function below is sent to
your code's process, builds the model there, calls your function and returns plain data.
"""

import torch

from katakit.sandbox import probe


@probe
def recomputed_one_layer(kata):
    from torch import nn

    model = nn.Sequential(nn.BatchNorm1d(1))
    kata.recompute_bn_stats(model, [torch.tensor([[0.0], [2.0]]), torch.tensor([[7.0]])])
    return model[0].running_mean, model[0].running_var


@probe
def flags_after_recompute(kata):
    from torch import nn

    model = nn.Sequential(nn.BatchNorm1d(2)).train()
    kata.recompute_bn_stats(model, [torch.randn(4, 2), torch.randn(3, 2)])
    return model.training, model[0].training


def test_one_layer_gets_the_mean_and_unbiased_variance_of_all_values(kata):
    # The values are 0, 2 and 7: mean 3, squared deviations 9 + 1 + 16 = 26, over 3 - 1.
    running_mean, running_var = recomputed_one_layer(kata)
    torch.testing.assert_close(running_mean, torch.tensor([3.0]))
    torch.testing.assert_close(running_var, torch.tensor([13.0]))


def test_the_training_flag_is_restored(kata):
    assert flags_after_recompute(kata) == (True, True)


def test_blending_two_point_masses_halfway(kata):
    # Half the values at 0, half at 2: the mixture has mean 1 and variance 1.
    mean, var = kata.blend_stats(
        torch.tensor([0.0]), torch.tensor([0.0]), torch.tensor([2.0]), torch.tensor([0.0]), 0.5
    )
    torch.testing.assert_close(mean, torch.tensor([1.0]))
    torch.testing.assert_close(var, torch.tensor([1.0]))
