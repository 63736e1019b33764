"""1x1 (pointwise) convolution as a per-pixel matrix product, and what it costs.

Source question: 8. 卷积神经网络中$1\\times 1$卷积的作用 (s002-31).

A 1x1 convolution looks at one pixel at a time: at every position ``(h, w)`` it takes the
``C_in`` channel values of that pixel and maps them linearly to ``C_out`` values. That is the
same fully connected layer applied to every pixel, so the whole layer is one matrix product,
it mixes information across channels only, and it changes the depth of a feature map cheaply
(which is why networks use it to shrink the channels before an expensive KxK convolution).

Implement with NumPy:

1. ``pointwise_conv(x, weight, bias=None)``:

   * ``x`` has shape ``(N, C_in, H, W)``; ``weight`` has shape ``(C_out, C_in, 1, 1)``, the
     layout torch uses for a 1x1 ``Conv2d`` kernel (output channel first); ``bias`` is
     ``(C_out,)`` or ``None`` (no bias).
   * Return ``out`` of shape ``(N, C_out, H, W)`` with
     ``out[n, o, h, w] = sum_c weight[o, c, 0, 0] * x[n, c, h, w] + bias[o]``, in the dtype of
     ``x`` (float32 or float64). Do not modify the inputs.
   * Write it as a matrix product (``np.einsum``, ``np.tensordot`` or ``@`` after moving the
     channel axis); ``torch``'s convolutions (``conv1d``, ``conv2d``, ``nn.Conv2d``) are not
     allowed in this kata.

2. ``pointwise_params(c_in, c_out, bias=True)``: the number of learnable parameters of that
   layer (weights, plus one bias per output channel when ``bias`` is true), as an ``int``.

3. ``bottleneck_params(c_in, c_mid, c_out, kernel_size, bias=True)``: a pair of ``int``s
   ``(direct, reduced)``: the parameters of one ``kernel_size`` convolution from ``c_in`` to
   ``c_out`` channels, and of a 1x1 convolution from ``c_in`` down to ``c_mid`` channels
   followed by a ``kernel_size`` convolution from ``c_mid`` to ``c_out``. ``kernel_size`` is an
   int (square kernel) or a pair ``(kH, kW)``; ``bias`` applies to every convolution (each has
   one bias per output channel, or none).

Example::

    >>> x = np.array([[[[1.0, 2.0]], [[3.0, 4.0]]]])          # N=1, C_in=2, H=1, W=2
    >>> weight = np.array([10.0, 1.0]).reshape(1, 2, 1, 1)    # C_out=1
    >>> pointwise_conv(x, weight, np.array([0.5]))            # 10 * [1, 2] + 1 * [3, 4] + 0.5
    array([[[[13.5, 24.5]]]])
    >>> pointwise_params(2, 1)                                # 2 weights + 1 bias
    3
    >>> bottleneck_params(256, 64, 256, 3, bias=False)        # 256*256*9 vs 256*64 + 64*256*9
    (589824, 163840)
"""

from __future__ import annotations

import numpy as np


def pointwise_conv(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
    """1x1 convolution of ``x`` (N, C_in, H, W) with ``weight`` (C_out, C_in, 1, 1)."""
    # TODO: apply the same (C_out, C_in) matrix to the channel vector of every pixel.
    raise NotImplementedError("pointwise_conv")


def pointwise_params(c_in: int, c_out: int, bias: bool = True) -> int:
    """Learnable parameters of a 1x1 convolution from ``c_in`` to ``c_out`` channels."""
    # TODO: count the weights and the biases.
    raise NotImplementedError("pointwise_params")


def bottleneck_params(
    c_in: int, c_mid: int, c_out: int, kernel_size: int | tuple[int, int], bias: bool = True
) -> tuple[int, int]:
    """``(direct, reduced)``: one KxK conv c_in -> c_out vs 1x1 c_in -> c_mid then KxK -> c_out."""
    # TODO: count both designs.
    raise NotImplementedError("bottleneck_params")
