"""ShuffleNet's building blocks: channel shuffle, its inverse, and the grouped 1x1 convolution.

Source question: Q28: 分类网络的发展史 (s001-28), the MobileNet / ShuffleNet part.

A grouped convolution with ``g`` groups splits the ``C`` channels into ``g`` contiguous blocks of
``C // g`` channels and convolves each block on its own: it costs ``g`` times fewer weights, but
no information crosses between groups. ShuffleNet puts a *channel shuffle* after a grouped 1x1
convolution so that the next grouped convolution sees channels from every group.

Implement, on ``torch`` tensors of shape ``(N, C, H, W)``:

1. ``channel_shuffle(x, groups)``: view the channel axis as a ``(groups, C // groups)`` grid
   (channel ``c`` sits at row ``c // (C // groups)``, column ``c % (C // groups)``), transpose
   the grid and flatten it back. Output channel ``k`` is input channel
   ``(k % groups) * (C // groups) + k // groups``. Spatial positions and the batch are untouched.
2. ``channel_unshuffle(x, groups)``: the inverse permutation, so that
   ``channel_unshuffle(channel_shuffle(x, g), g)`` and ``channel_shuffle(channel_unshuffle(x, g),
   g)`` both give ``x`` back.
3. ``grouped_pointwise_conv(x, weight, bias, groups)``: a 1x1 convolution with ``groups``
   groups, as ``torch.nn.Conv2d(C_in, C_out, 1, groups=groups)`` computes it. ``weight`` has
   shape ``(C_out, C_in // groups)`` (the conv weight without its two 1x1 axes), ``bias`` has
   shape ``(C_out,)`` or is ``None``. Output channel ``o`` belongs to group
   ``o // (C_out // groups)`` and is a weighted sum of that group's input channels
   ``[gi * (C_in // groups), (gi + 1) * (C_in // groups))`` only. Returns ``(N, C_out, H, W)``.
4. ``grouped_pointwise_params(c_in, c_out, groups, bias=True)``: the number of parameters of
   that layer, a Python ``int``.

Every function raises ``ValueError`` when a channel count it is given is not divisible by
``groups``. ``groups=1`` leaves a shuffle with nothing to do (the identity). Do not modify the
inputs. ``torch.nn.functional.channel_shuffle`` / ``torch.nn.ChannelShuffle`` and torch's
convolutions (``conv1d``, ``conv2d``, ``nn.Conv2d``) are not allowed in this kata: write the
reshapes and the product yourself.

Example::

    >>> x = torch.arange(6.0).reshape(1, 6, 1, 1)
    >>> channel_shuffle(x, 2).flatten()          # grid [[0, 1, 2], [3, 4, 5]] read by columns
    tensor([0., 3., 1., 4., 2., 5.])
    >>> channel_unshuffle(channel_shuffle(x, 2), 2).flatten()
    tensor([0., 1., 2., 3., 4., 5.])
    >>> grouped_pointwise_params(8, 16, 4)       # 16 * (8 / 4) weights + 16 biases
    48
"""

from __future__ import annotations

import torch


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    """Interleave the ``groups`` channel blocks of ``x`` (N, C, H, W)."""
    raise NotImplementedError("channel_shuffle")


def channel_unshuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    """Undo ``channel_shuffle(x, groups)``."""
    raise NotImplementedError("channel_unshuffle")


def grouped_pointwise_conv(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, groups: int
) -> torch.Tensor:
    """1x1 convolution with ``groups`` groups; ``weight`` is (C_out, C_in // groups)."""
    raise NotImplementedError("grouped_pointwise_conv")


def grouped_pointwise_params(c_in: int, c_out: int, groups: int, bias: bool = True) -> int:
    """Number of parameters of ``nn.Conv2d(c_in, c_out, 1, groups=groups, bias=bias)``."""
    raise NotImplementedError("grouped_pointwise_params")
