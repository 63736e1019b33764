"""Initialise a whole torch model: He where ReLU follows, Xavier elsewhere, and the biases.

Source questions (s004-06, and the note under s001-17):

* 36. 初始化权重过程中，权重大小在各种网络结构中的影响，以及一些初始化的方法；偏置的初始化
* Q17: 常见激活函数及其特性 -- its note: ReLU is not zero-centred, so it wants He's
  initialisation rather than Xavier's.

Implement ``initialize(model, generator)``: walk every module of ``model`` (``model.modules()``)
and overwrite its parameters **in place** by these rules.

1. ``nn.Conv1d`` / ``nn.Conv2d`` / ``nn.Conv3d`` / ``nn.Linear`` -- the weight:

   * **followed by ReLU** -> He normal: ``N(0, 2 / fan_in)``;
   * otherwise -> Xavier normal: ``N(0, 2 / (fan_in + fan_out))``.

   A layer counts as *followed by ReLU* when it is a child of an ``nn.Sequential`` and the next
   child of that same ``Sequential`` that is not a ``BatchNorm1d/2d/3d`` is an ``nn.ReLU``
   (``Conv -> ReLU`` and ``Conv -> BatchNorm -> ReLU`` both count). The last child of a
   ``Sequential``, a layer followed by anything else (``Tanh``, another ``Linear``), and a layer
   that is not inside a ``Sequential`` at all get Xavier. Fans as in torch: ``(out, in,
   *kernel)``, ``fan_in = in * prod(kernel)``, ``fan_out = out * prod(kernel)``.
   Their bias, when there is one (``bias=False`` layers have ``bias is None``), becomes 0.
2. ``nn.BatchNorm1d/2d/3d`` -- weight (gamma) 1, bias (beta) 0.
3. ``nn.LSTM`` (any number of layers, either direction) -- for every parameter of the LSTM:

   * ``weight_ih_*`` and ``weight_hh_*``: Xavier uniform over the whole matrix, ``U(-b, b)`` with
     ``b = sqrt(6 / (fan_in + fan_out))``, ``fan_in`` = its columns, ``fan_out`` = its ``4 * H``
     rows;
   * ``bias_ih_*``: 0, except the **forget gate's slice set to 1**. torch stacks the four gates in
     the order input, forget, cell, output (i, f, g, o), so for hidden size ``H`` the forget gate
     is ``bias[H:2H]``;
   * ``bias_hh_*``: 0 everywhere. The LSTM adds ``bias_ih + bias_hh``, so the forget gate starts
     with a total bias of exactly 1: ``sigmoid(1) = 0.73`` of the cell state is kept at first,
     instead of half, which helps gradients flow through time early in training.
4. Any other parameter (an ``nn.Embedding``'s table, say) stays exactly as it is.

Conventions:

* Change the existing ``Parameter`` tensors in place under ``torch.no_grad()`` (``normal_``,
  ``uniform_``, ``zero_``, ``fill_``, slicing); do not replace them with new ``Parameter``
  objects -- an optimiser built before the call would keep training the old ones.
* Draw every random number from ``generator`` (a ``torch.Generator``), e.g.
  ``weight.normal_(0.0, std, generator=generator)``: the same seed gives the same model.
* ``torch.nn.init``'s ``kaiming_*`` / ``xavier_*`` initialisers and its gain and fan helpers are
  not allowed in this kata; calling a layer's ``reset_parameters()`` uses them too. The grader
  scrambles every parameter before your call, then checks each one: exact values for biases,
  BatchNorm and untouched parameters, and 6-standard-error statistical bounds for the weights.

Example::

    >>> head = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 4))
    >>> initialize(head, torch.Generator().manual_seed(0))
    >>> # head[0].weight ~ N(0, 2/8)        (He: followed by ReLU)
    >>> # head[2].weight ~ N(0, 2/(32+4))   (Xavier: last layer)
    >>> bool((head[0].bias == 0).all() and (head[2].bias == 0).all())
    True
"""

from __future__ import annotations

import torch
from torch import nn


def initialize(model: nn.Module, generator: torch.Generator) -> None:
    """Initialise every Conv/Linear, BatchNorm and LSTM parameter of ``model`` in place."""
    # TODO: find which Conv/Linear layers are followed by a ReLU (look inside each
    # nn.Sequential), then apply the rules module by module.
    raise NotImplementedError("initialize")
