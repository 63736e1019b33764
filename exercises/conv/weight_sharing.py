"""Weight sharing and locality: what a convolution assumes about its input, and what it buys.

Source questions: CNN 权值共享问题 (s003-15); 31. 共享参数的概念及在深度学习中的广泛影响
(s004-01); 40. 卷积网络中的平移等变性的原因，常见的一些卷积形式 (s004-10); 5. CNN在NLP、Speech、
AlphaGo上的应用 (s002-13); 5.1 哪些数据不适合用深度学习 (s002-14).

A convolution makes two assumptions. **Locality**: an output depends only on a small
neighbourhood of the input. **Weight sharing**: the same kernel is used at every position.
Together they cut the parameter count by orders of magnitude, and they make the layer
*translation-equivariant*: shifting the input shifts the output. They are also a prior: an MLP
does not care in which order its input features come, a small convolution does -- which is why
CNNs suit images and audio (where neighbouring values belong together) and not tabular data
whose columns could be listed in any order. Implement, with torch (float64 tensors):

1. ``parameter_counts(c_in, c_out, height, width, kernel_size, stride=1, padding=0, bias=True)``:
   a dict of three ``int``s for layers mapping a ``(c_in, height, width)`` input to a
   ``(c_out, H_out, W_out)`` output, ``H_out = (height + 2 pH - kH) // sH + 1`` (same for W):

   * ``"conv"``: a ``Conv2d``: ``c_out * c_in * kH * kW`` weights, ``c_out`` biases;
   * ``"locally_connected"``: the same connections but no sharing -- a separate
     ``c_out x c_in x kH x kW`` kernel at each of the ``H_out * W_out`` output positions (the
     full kernel, even where it overlaps padding), and one bias per output value
     (``c_out * H_out * W_out``);
   * ``"dense"``: a ``Linear`` from the flattened input (``c_in * height * width`` features) to
     the flattened output (``c_out * H_out * W_out`` features), with one bias per output feature.

   Without biases (``bias=False``) only the weights count. ``kernel_size``, ``stride`` and
   ``padding`` are ints or ``(for H, for W)`` pairs.
2. ``circular_shift(x, shift)``: ``x`` rolled by ``shift = (dy, dx)`` along its last two axes
   (H and W of ``(N, C, H, W)``): content moves ``dy`` rows down and ``dx`` columns right and
   wraps around; negative values move it up / left.
3. ``equivariance_error(op, x, shift)``: the float
   ``max |op(circular_shift(x, shift)) - circular_shift(op(x), shift)|`` over all elements: 0 when
   ``op`` commutes with that shift. ``op`` maps an ``(N, C, H, W)`` tensor to an
   ``(N, C', H', W')`` tensor; the output is shifted by the same ``(dy, dx)``.
4. ``circular_conv2d(x, weight, bias=None)``: a stride-1 convolution with *circular* padding
   that keeps the size: ``x`` is ``(N, C_in, H, W)``, ``weight`` ``(C_out, C_in, kH, kW)`` with
   odd ``kH, kW``, ``bias`` ``(C_out,)`` or ``None``; the output ``(N, C_out, H, W)`` is::

       out[n, o, h, w] = bias[o] + sum over c, i, j of
           weight[o, c, i, j] * x[n, c, (h + i - kH // 2) % H, (w + j - kW // 2) % W]

   (cross-correlation, as torch's ``conv2d`` computes it). Shifts commute with it exactly.
   ``torch``'s ``conv2d`` / ``nn.Conv2d`` are not allowed in this kata: build it from the
   shifted copies of ``x`` that the formula reads.
5. ``absorb_permutation(linear, perm)``: an MLP can undo any fixed reordering of its input
   features. ``linear`` is an ``nn.Linear`` (the first layer of an MLP) and ``perm`` a
   permutation of ``range(in_features)`` (a list or a tensor); the input the network will see
   from now on is ``x[..., perm]``. Return a **new** ``nn.Linear`` such that
   ``new(x[..., perm]) == linear(x)`` for every ``x`` (so the whole MLP's outputs are unchanged).
   Do not modify ``linear``.
6. ``conv1d_matrix(kernel, length)``: the ``(length, length)`` matrix ``M`` of the 1-D circular
   cross-correlation with an odd-sized ``kernel`` (a 1-D tensor, ``K <= length``, ``p = K // 2``):
   ``(M @ v)[i] = sum over t of kernel[t] * v[(i + t - p) % length]``.
7. ``is_small_kernel_conv(matrix, kernel_size)``: ``True`` iff the square ``matrix`` equals
   ``conv1d_matrix(k, L)`` exactly for some kernel ``k`` of length ``kernel_size`` (odd,
   ``<= L``): the same weights in every row, each row the previous one rolled one step right
   (sharing), and nothing further than ``kernel_size // 2`` from the diagonal, cyclically
   (locality). A conv's matrix with its columns permuted (``M[:, perm]``, what the conv would
   need to serve the permuted input) is generally not one, unlike the MLP's.

Example::

    >>> parameter_counts(1, 1, 4, 4, 3, padding=1)
    {'conv': 10, 'locally_connected': 160, 'dense': 272}      # 9 + 1, 16 * 9 + 16, 16 * 16 + 16
    >>> x = torch.tensor([1.0, 2.0, 3.0, 4.0]).reshape(1, 1, 1, 4)
    >>> circular_shift(x, (0, 1)).flatten()
    tensor([4., 1., 2., 3.])
    >>> circular_conv2d(x, torch.tensor([0.0, 0.0, 1.0]).reshape(1, 1, 1, 3)).flatten()
    tensor([2., 3., 4., 1.])                                   # out[w] = x[(w + 1) % 4]
    >>> conv1d_matrix(torch.tensor([0.0, 0.0, 1.0]), 4)        # the same map as a matrix
    tensor([[0., 1., 0., 0.],
            [0., 0., 1., 0.],
            [0., 0., 0., 1.],
            [1., 0., 0., 0.]])
    >>> linear.weight.tolist()                                 # in_features = 3
    [[1.0, 2.0, 3.0]]
    >>> absorb_permutation(linear, [2, 0, 1]).weight.tolist()  # 3 * x2 + 1 * x0 + 2 * x1
    [[3.0, 1.0, 2.0]]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from torch import Tensor, nn

IntOrPair = int | tuple[int, int]


def parameter_counts(
    c_in: int,
    c_out: int,
    height: int,
    width: int,
    kernel_size: IntOrPair,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    bias: bool = True,
) -> dict[str, int]:
    """``{"conv": ..., "locally_connected": ..., "dense": ...}`` parameter counts."""
    # TODO
    raise NotImplementedError("parameter_counts")


def circular_shift(x: Tensor, shift: tuple[int, int]) -> Tensor:
    """``x`` rolled by ``(dy, dx)`` along its last two axes, wrapping around."""
    # TODO
    raise NotImplementedError("circular_shift")


def equivariance_error(op: Callable[[Tensor], Tensor], x: Tensor, shift: tuple[int, int]) -> float:
    """``max |op(shift(x)) - shift(op(x))|`` with circular shifts along H and W."""
    # TODO
    raise NotImplementedError("equivariance_error")


def circular_conv2d(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """Stride-1 cross-correlation with circular padding; the output keeps H and W."""
    # TODO
    raise NotImplementedError("circular_conv2d")


def absorb_permutation(linear: nn.Linear, perm: Sequence[int] | Tensor) -> nn.Linear:
    """A new Linear with ``new(x[..., perm]) == linear(x)``."""
    # TODO
    raise NotImplementedError("absorb_permutation")


def conv1d_matrix(kernel: Tensor, length: int) -> Tensor:
    """The (length, length) matrix of the 1-D circular cross-correlation with ``kernel``."""
    # TODO
    raise NotImplementedError("conv1d_matrix")


def is_small_kernel_conv(matrix: Tensor, kernel_size: int) -> bool:
    """Whether ``matrix`` is ``conv1d_matrix(k, L)`` for some kernel ``k`` of ``kernel_size``."""
    # TODO
    raise NotImplementedError("is_small_kernel_conv")
