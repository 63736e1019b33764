"""Transfer learning and BN statistics: recompute them exactly on the target data, or blend.

Source question: Q12: 迁移学习时 BN 的均值与方差如何处理 (s001-12; also s000-15).

A network trained on a source dataset carries, in every BN layer, running statistics of the
*source* activations. On a new (target) dataset there is no single right answer: most
frameworks recompute the statistics on the target data, but the new statistics may no longer
fit the other trained parameters, so keeping the old ones, or a compromise between the two,
is also used. This kata implements both tools.

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
   Because the input of a layer depends on the statistics of the BN layers before it, those
   earlier layers must already use their *new* statistics when a later layer's statistics
   are measured. One pass in which every layer is measured while the layers before it still
   normalise with their old (source) statistics gets every layer but the first wrong.

   * ``batches`` is a list of tensors ``(N_b, ...)`` that you may iterate as often as you need.
     Sizes differ from batch to batch, and a batch may hold a single sample (so a
     ``BatchNorm1d`` on ``(N, C)`` inputs may see one value per channel in a batch).
   * Do not concatenate the whole dataset: reduce each batch to per-channel
     ``(count, mean, M2)`` (``M2`` = sum of squared deviations from the batch mean) and merge
     those exactly (Chan et al.'s parallel form of Welford's algorithm). Averaging per-batch
     means or variances is *not* exact when batches differ in size or in mean.
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
    >>> # batch 1: count 2, mean 1, M2 2;  batch 2: count 1, mean 7, M2 0
    >>> # merged: count 3, mean 1 + (7 - 1) * 1/3 = 3, M2 = 2 + 0 + 6**2 * 2 * 1 / 3 = 26
    >>> model = nn.Sequential(nn.BatchNorm1d(1))
    >>> recompute_bn_stats(model, batches)
    >>> model[0].running_mean, model[0].running_var        # var = 26 / (3 - 1)
    (tensor([3.]), tensor([13.]))

(The mean of the two batch means would be 4; leaving out the between-batch term of M2 would
give a variance of 1.)
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


def recompute_bn_stats(model: nn.Module, batches: Sequence[torch.Tensor]) -> None:
    """Set every BN layer's running statistics to the exact statistics of ``batches``."""
    # TODO: measure each BN layer's inputs batch by batch, merge the per-batch statistics
    # exactly, and make sure later layers are measured with earlier layers already updated.
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
