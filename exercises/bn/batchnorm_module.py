"""A BatchNorm2d module from scratch: parameters, buffers, modes and state_dict.

Source question: 深度学习框架中一般 BN 有哪些参数，有什么用 (s001-46; also s000-10, s000-11,
s002-30).

Write ``BatchNorm2d``, a ``torch.nn.Module`` that behaves exactly like
``torch.nn.BatchNorm2d(num_features, eps, momentum, affine, track_running_stats)``, using basic
tensor operations (``mean``, ``var``, ``sqrt``, arithmetic). Autograd computes the backward pass.

Input and output: ``x`` has shape ``(N, C, H, W)`` with ``C == num_features``; the output has the
same shape and dtype. Every statistic is per channel, taken over the ``m = N * H * W`` values of
that channel. A float32 module stays float32: its output and its buffers keep that dtype after any
number of steps, and its variance stays accurate for inputs with a large mean and a small spread
(say mean 100 and standard deviation 0.1), where the one-pass formula ``E[x^2] - E[x]^2`` loses
every digit.

What the constructor sets up (names, shapes and dtypes must match torch's, so that
``state_dict()`` has the same keys and ``load_state_dict`` works in both directions):

* ``affine=True``: learnable parameters ``weight`` (ones) and ``bias`` (zeros), shape ``(C,)``.
  With ``affine=False`` there are no parameters at all (``weight`` and ``bias`` are ``None``).
* ``track_running_stats=True``: buffers -- saved in ``state_dict``, never trained -- called
  ``running_mean`` (zeros, ``(C,)``), ``running_var`` (ones, ``(C,)``) and
  ``num_batches_tracked`` (a 0-d ``torch.long`` tensor, 0). With ``track_running_stats=False``
  there are none of these (the attributes are ``None``).

``forward(x)``:

* Training mode (``module.train()``): normalise with the batch's mean and *biased* variance
  (divide by ``m``): ``out = (x - mean) / sqrt(var + eps)``, then ``out * weight + bias`` when
  affine. When tracking, also add 1 to ``num_batches_tracked`` and update::

      running_mean = (1 - f) * running_mean + f * mean
      running_var  = (1 - f) * running_var  + f * var * m / (m - 1)    # the unbiased estimate

  where ``f = momentum``, or, when ``momentum is None``, ``f = 1 / num_batches_tracked`` (the
  count after this batch): a cumulative moving average in which every batch so far has the same
  weight. The running statistics are estimates, not part of the graph: they never require grad.
* Evaluation mode (``module.eval()``): normalise with ``running_mean`` and ``running_var`` and
  change nothing. Without running statistics (``track_running_stats=False``) evaluation uses the
  batch statistics, as training does.
* Whenever batch statistics are used and a channel has a single value (``m == 1``), raise
  ``ValueError`` -- torch says "Expected more than 1 value per channel when training". One sample
  with ``H * W > 1`` is fine.
* Gradients reach ``x``, ``weight`` and ``bias``.

``reset_running_stats()`` puts the buffers back to their initial values (zeros, ones, 0) and
leaves ``weight`` and ``bias`` alone; it does nothing without running statistics.

Not allowed: ``torch.nn.functional.batch_norm``, ``torch.batch_norm`` (and torch's other batch
norm kernels such as ``torch.native_batch_norm``), torch's BatchNorm modules, and subclassing
them -- derive from ``torch.nn.Module``.

Example (one channel; the outputs are -1 and 1 up to eps)::

    >>> bn = BatchNorm2d(1, momentum=None)
    >>> bn(torch.tensor([0.0, 2.0]).reshape(2, 1, 1, 1)).flatten()   # mean 1, biased var 1
    tensor([-1.0000,  1.0000], grad_fn=<ViewBackward0>)
    >>> bn.running_mean, bn.running_var, bn.num_batches_tracked     # f = 1: unbiased var 2
    (tensor([1.]), tensor([2.]), tensor(1))
    >>> _ = bn(torch.tensor([3.0, 5.0]).reshape(2, 1, 1, 1))        # mean 4, unbiased var 2
    >>> bn.running_mean, bn.running_var, bn.num_batches_tracked     # f = 1/2
    (tensor([2.5000]), tensor([2.]), tensor(2))
    >>> sorted(bn.state_dict())
    ['bias', 'num_batches_tracked', 'running_mean', 'running_var', 'weight']
"""

from __future__ import annotations

import torch
from torch import nn


class BatchNorm2d(nn.Module):
    """Batch normalisation over the channels of (N, C, H, W) inputs, compatible with torch's."""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
    ) -> None:
        super().__init__()
        # TODO: keep the settings and create the parameters and buffers described above, with
        # torch's names, so that state_dict() matches torch.nn.BatchNorm2d's.
        raise NotImplementedError("BatchNorm2d.__init__")

    def reset_running_stats(self) -> None:
        """Set running_mean to 0, running_var to 1 and num_batches_tracked to 0."""
        # TODO
        raise NotImplementedError("BatchNorm2d.reset_running_stats")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise ``x`` of shape (N, C, H, W) per channel; the output has the same shape."""
        # TODO: choose batch or running statistics from the mode, update the running statistics
        # in training, normalise, then scale and shift when affine. No batch_norm calls.
        raise NotImplementedError("BatchNorm2d.forward")
