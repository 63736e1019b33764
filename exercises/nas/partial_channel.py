"""PC-DARTS: a partial-channel mixed operation, channel shuffle, and edge normalisation.

Source question: NAS 前沿工作 (s001-43), the PC-DARTS part.

DARTS runs every candidate op on every channel of every edge, which costs a lot of memory.
PC-DARTS sends only ``1/k`` of the channels through the mixed op and lets the rest bypass it,
then shuffles the channels so that the next edge searches on different ones. Because the
partial sampling makes the edge choice noisy, each node also learns one weight per incoming
edge, ``beta``. Implement, with torch tensors of shape ``(N, C, H, W)``:

1. ``channel_shuffle(x, groups) -> y``: view the ``C`` channels as a ``(groups, C // groups)``
   grid (group-major: channel ``g * (C // groups) + j`` is row ``g``, column ``j``), transpose
   it and flatten it back, so that ``y[:, j * groups + g] = x[:, g * (C // groups) + j]``
   (ShuffleNet's shuffle). ``C`` not divisible by ``groups`` raises ``ValueError``.

2. ``partial_channel_mixed_op(x, alpha, ops, k) -> out``: ``alpha`` has shape ``(K,)``, ``ops``
   is a sequence (a tuple or a list) of ``K`` callables, each mapping a tensor
   ``(N, C', H, W)`` to a tensor of the same shape.

   * The **first** ``C // k`` channels, ``x[:, :C // k]``, go through the mixed op:
     ``mixed = sum_j softmax(alpha)_j * ops[j](x[:, :C // k])``. Call each op exactly once,
     on those channels only.
   * The other channels, ``x[:, C // k:]``, bypass it **unchanged** (no weight, no op).
   * ``out = channel_shuffle(cat([mixed, x[:, C // k:]], dim=1), k)``, same shape as ``x``.
   * ``C`` not divisible by ``k`` raises ``ValueError``. With ``k = 1`` this is the DARTS
     mixed op (and the shuffle with one group changes nothing).

3. ``edge_normalised_node(edge_outputs, beta) -> node``: ``edge_outputs`` has shape
   ``(E, N, C, H, W)``, the outputs of the ``E`` edges entering a node; ``beta`` has shape
   ``(E,)``. Return ``sum_i softmax(beta)_i * edge_outputs[i]``, shape ``(N, C, H, W)``.

The softmaxes must stay finite for logits of ``+-1e4``. Do not modify the inputs.
``torch.nn.functional.channel_shuffle`` / ``torch.channel_shuffle`` and
``torch.nn.ChannelShuffle`` are not allowed.

Example::

    >>> x = torch.arange(6.0).reshape(1, 6, 1, 1)
    >>> channel_shuffle(x, 2).flatten()                  # grid [[0, 1, 2], [3, 4, 5]] transposed
    tensor([0., 3., 1., 4., 2., 5.])
    >>> ops = [lambda t: 10 * t, lambda t: 0 * t]        # weights 1/2, 1/2 for alpha = 0
    >>> partial_channel_mixed_op(x, torch.zeros(2), ops, 2).flatten()
    tensor([0., 3., 5., 4., 10., 5.])                    # mixed = 5 * [0, 1, 2], bypass [3, 4, 5]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    """``y[:, j * groups + g] = x[:, g * (C // groups) + j]``."""
    raise NotImplementedError("channel_shuffle")


def partial_channel_mixed_op(
    x: torch.Tensor,
    alpha: torch.Tensor,
    ops: Sequence[Callable[[torch.Tensor], torch.Tensor]],
    k: int,
) -> torch.Tensor:
    """Mixed op on the first C // k channels, the rest bypassed, then a shuffle with k groups."""
    raise NotImplementedError("partial_channel_mixed_op")


def edge_normalised_node(edge_outputs: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
    """``sum_i softmax(beta)_i * edge_outputs[i]``."""
    raise NotImplementedError("edge_normalised_node")
