"""Convolution arithmetic: output sizes and receptive fields, exactly as PyTorch computes them.

Source question: Q3: 卷积扩张卷积的输出 size 的计算 (s001-03; also s000-03);
and 如何计算卷积神经网络输出值 (s003-14).

Every function works on ONE spatial axis: a 2-D layer with a non-square kernel, stride or
padding simply applies the same rule to the height and to the width separately. All arguments
are Python ints; every function returns a Python int.

Notation: input length ``W``, kernel size ``K``, stride ``S``, padding ``P`` (zeros added on
*each* side), dilation ``D`` (a dilated kernel samples every ``D``-th input position, so its
taps span ``D * (K - 1) + 1`` positions).

1. ``conv_output_size(W, K, S=1, P=0, D=1)``: the output length of ``torch.nn.Conv2d`` along
   one axis: how many windows fit when the window start moves by ``S`` over the padded input.
   A partial window at the end is dropped.
2. ``pool_output_size(W, K, S=None, P=0, D=1, ceil_mode=False)``: the output length of
   ``torch.nn.MaxPool2d``. ``S=None`` means ``S = K``. With ``ceil_mode=False`` it is the conv
   rule. With ``ceil_mode=True`` a last, partial window is kept when it *starts* inside the
   input or the left padding; a window that would start in the right padding is never counted.
3. ``conv_transpose_output_size(W, K, S=1, P=0, D=1, output_padding=0)``: the output length of
   ``torch.nn.ConvTranspose2d``, the inverse shape map of a conv (``output_padding`` picks one
   of the several input lengths that a strided conv maps to the same output length; it adds
   rows at the end only).
4. ``receptive_field(layers)``: how many input positions (first to last, inclusive) can
   influence one output position after a stack of layers. ``layers`` is a sequence of tuples
   ``(K, S)`` or ``(K, S, D)`` (``D`` defaults to 1), first layer first. Padding does not change
   it. An empty stack has receptive field 1.

Impossible configurations raise ``ValueError`` (where PyTorch would refuse the layer):

* any of ``W, K, S, D`` below 1, or ``P`` or ``output_padding`` below 0;
* an output length below 1 (the dilated kernel does not fit in the padded input, or the
  transposed conv's padding removes everything);
* pooling with ``P > K // 2`` (PyTorch: "pad should be at most half of kernel size");
* transposed conv with ``output_padding >= max(S, D)``;
* in ``receptive_field``, a layer with ``K, S`` or ``D`` below 1.

Example::

    >>> conv_output_size(7, 3, 2, 1)          # windows start at -1, 1, 3, 5 of the padded input
    4
    >>> conv_output_size(8, 3, 2, 1)          # the window starting at 7 would need position 9
    4
    >>> conv_output_size(7, 3, 1, 0, 2)       # a 3-tap kernel with dilation 2 spans 5 positions
    3
    >>> pool_output_size(5, 2, 2, 0, ceil_mode=True)   # the last window starts at 4, inside
    3
    >>> receptive_field([(3, 1), (3, 1)])     # two 3x3 convs see as far as one 5x5
    5

Pure Python arithmetic; no torch needed (the grader checks you against torch's own shapes).
"""

from __future__ import annotations

from collections.abc import Sequence


def conv_output_size(W: int, K: int, S: int = 1, P: int = 0, D: int = 1) -> int:
    """Output length of a convolution along one axis (PyTorch's Conv2d rule)."""
    raise NotImplementedError("conv_output_size")


def pool_output_size(
    W: int, K: int, S: int | None = None, P: int = 0, D: int = 1, ceil_mode: bool = False
) -> int:
    """Output length of max pooling along one axis (PyTorch's MaxPool2d rule)."""
    raise NotImplementedError("pool_output_size")


def conv_transpose_output_size(
    W: int, K: int, S: int = 1, P: int = 0, D: int = 1, output_padding: int = 0
) -> int:
    """Output length of a transposed convolution along one axis (ConvTranspose2d's rule)."""
    raise NotImplementedError("conv_transpose_output_size")


def receptive_field(layers: Sequence[tuple[int, ...]]) -> int:
    """Receptive field, in input positions, of one output position of a stack of layers."""
    raise NotImplementedError("receptive_field")
