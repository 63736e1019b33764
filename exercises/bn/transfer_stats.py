"""Transfer learning and BN statistics: recompute them exactly on the target data, or blend.

Source question: Q12: 迁移学习时 BN 的均值与方差如何处理 (s001-12; also s000-15).

Every BN layer of a pretrained network remembers running statistics measured on the data it
was trained on (the *source*). When the network moves to another dataset (the *target*), those
remembered statistics describe the wrong inputs. Measuring them again on the target is the usual
move, yet the other weights were tuned around the source statistics, so a mix of old and new can
be the better trade. This kata gives you a tool for each option.

1. ``recompute_bn_stats(model, batches)`` replaces, in place, the running statistics of every
   BN layer of ``model`` (every ``nn.BatchNorm1d/2d/3d``, i.e. every subclass of
   ``nn.modules.batchnorm._BatchNorm`` with ``track_running_stats=True``) by the **exact**
   statistics of the target dataset ``batches``.

   *Exact* means: when the updated model runs in **evaluation mode** over all the batches, each
   BN layer receives inputs whose per-channel mean and unbiased variance are precisely the
   layer's ``running_mean`` and ``running_var``. Per channel ``c``, over the ``M`` values of
   channel ``c`` that the layer receives from the whole dataset (``M`` = the sum over batches
   of ``N_b`` times the spatial size)::

       running_mean[c] = (1 / M) * sum(x)
       running_var[c]  = (1 / (M - 1)) * sum((x - running_mean[c]) ** 2)

   which is what torch would store (with momentum 1) for one giant batch of those inputs.

   * ``batches`` is a list of tensors ``(N_b, ...)`` that you may iterate as often as you need.
     Sizes differ from batch to batch, and a batch may hold a single sample (so a
     ``BatchNorm1d`` on ``(N, C)`` inputs may see one value per channel in a batch).
   * Work one batch at a time, as if the dataset did not fit in memory: do not concatenate
     the batches (or a layer's inputs from all of them) into one tensor.
   * Each BN layer is called once per forward. Layers may be registered in the model in a
     different order than the order in which ``forward`` calls them.
   * Leave every parameter and the batches unchanged, keep the buffers' dtype, and restore the
     ``training`` flag of every submodule (a model may mix modes, e.g. a frozen BN in eval
     mode inside a model in training mode). ``num_batches_tracked`` is not graded.
   * Return ``None``.

2. ``blend_stats(source_mean, source_var, target_mean, target_var, alpha)`` returns new
   tensors ``(mean, var)``: the mean and variance of the mixture that draws a value from the
   target distribution with probability ``alpha`` and from the source distribution otherwise.
   ``alpha = 0`` keeps the source statistics, ``alpha = 1`` gives the target's. All four
   inputs have the same shape ``(C,)``; do not modify them. Raise ``ValueError`` unless
   ``0 <= alpha <= 1``.

Example (one ``BatchNorm1d(1)``, two batches of unequal size)::

    >>> batches = [torch.tensor([[0.0], [2.0]]), torch.tensor([[7.0]])]
    >>> model = nn.Sequential(nn.BatchNorm1d(1))
    >>> recompute_bn_stats(model, batches)
    >>> model[0].running_mean, model[0].running_var
    (tensor([3.]), tensor([13.]))

The layer receives the values 0, 2 and 7 in all: their mean is 3, and their unbiased variance
is ((0 - 3)**2 + (2 - 3)**2 + (7 - 3)**2) / (3 - 1) = 13.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


def recompute_bn_stats(model: nn.Module, batches: Sequence[torch.Tensor]) -> None:
    """Set every BN layer's running statistics to the exact statistics of ``batches``."""
    # TODO: set each BN layer's running_mean and running_var as the statement defines them.
    raise NotImplementedError("recompute_bn_stats")


def blend_stats(
    source_mean: torch.Tensor,
    source_var: torch.Tensor,
    target_mean: torch.Tensor,
    target_var: torch.Tensor,
    alpha: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and variance of the source/target mixture with target weight ``alpha``; (C,) each."""
    # TODO: the mixture's mean and variance.
    raise NotImplementedError("blend_stats")
