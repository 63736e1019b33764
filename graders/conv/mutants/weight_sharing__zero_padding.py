"""Mutant of conv/weight_sharing: circular_conv2d pads with zeros instead of wrapping around."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor, nn

IntOrPair = int | tuple[int, int]


def _pair(value: IntOrPair) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


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
    (kh, kw), (sh, sw), (ph, pw) = _pair(kernel_size), _pair(stride), _pair(padding)
    positions = ((height + 2 * ph - kh) // sh + 1) * ((width + 2 * pw - kw) // sw + 1)
    kernel = c_out * c_in * kh * kw
    outputs = c_out * positions
    return {
        # one kernel, shared by every output position
        "conv": kernel + (c_out if bias else 0),
        # the same local connections, but a kernel (and a bias) of its own at each position
        "locally_connected": kernel * positions + (outputs if bias else 0),
        # neither local nor shared: every input feature reaches every output feature
        "dense": c_in * height * width * outputs + (outputs if bias else 0),
    }


def circular_shift(x: Tensor, shift: tuple[int, int]) -> Tensor:
    return torch.roll(x, shifts=(int(shift[0]), int(shift[1])), dims=(-2, -1))


def equivariance_error(op: Callable[[Tensor], Tensor], x: Tensor, shift: tuple[int, int]) -> float:
    # Equivariance, not invariance: the output must move with the input, not stay put.
    difference = op(circular_shift(x, shift)) - circular_shift(op(x), shift)
    return float(difference.abs().max())


def circular_conv2d(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    kh, kw = weight.shape[-2:]
    ph, pw = kh // 2, kw // 2
    out = torch.zeros(x.shape[0], weight.shape[0], *x.shape[-2:], dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            # roll by (ph - i, pw - j) puts x[h + i - ph, w + j - pw] at (h, w), wrapping around.
            # A conv is a sum of shifted copies of x, so it commutes with shifts exactly.
            padded = torch.nn.functional.pad(x, (pw, pw, ph, ph))
            h, w = x.shape[-2:]
            shifted = padded[:, :, i : i + h, j : j + w]
            out = out + torch.einsum("oc,nchw->nohw", weight[:, :, i, j], shifted)
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1)
    return out


def absorb_permutation(linear: nn.Linear, perm: Sequence[int] | Tensor) -> nn.Linear:
    index = torch.as_tensor(perm, dtype=torch.long)
    new = nn.Linear(
        linear.in_features,
        linear.out_features,
        bias=linear.bias is not None,
        dtype=linear.weight.dtype,
    )
    with torch.no_grad():
        # new input feature j is old feature perm[j], so it must meet the old column perm[j]:
        # sum_j W[:, perm[j]] * x[perm[j]] = sum_i W[:, i] * x[i].
        new.weight.copy_(linear.weight[:, index])
        if linear.bias is not None:
            new.bias.copy_(linear.bias)
    return new


def conv1d_matrix(kernel: Tensor, length: int) -> Tensor:
    size = kernel.shape[0]
    p = size // 2
    matrix = torch.zeros(length, length, dtype=kernel.dtype)
    rows = torch.arange(length)
    for t in range(size):
        # row i reads v[(i + t - p) % length] with weight kernel[t]: one diagonal per tap
        matrix[rows, (rows + t - p) % length] += kernel[t]
    return matrix


def is_small_kernel_conv(matrix: Tensor, kernel_size: int) -> bool:
    length = matrix.shape[0]
    p = kernel_size // 2
    # The only candidate kernel is what row 0 holds at the offsets -p .. p; rebuilding the
    # matrix from it checks sharing (every row alike) and locality (zeros elsewhere) at once.
    kernel = matrix[0, [(t - p) % length for t in range(kernel_size)]]
    return bool(torch.equal(conv1d_matrix(kernel, length), matrix))
