"""One-shot supernets: single-path sampling (SPOS), elastic width and kernel (Once-for-All).

Source question: NAS 前沿工作 (s001-43), the ENAS / SPOS / Once-for-All part.

A one-shot supernet holds every candidate at once; sub-networks share its weights. Implement,
with torch tensors:

1. ``sample_single_path(num_choices, n, generator) -> paths``: Single Path One-Shot training
   samples one candidate per layer, **uniformly and independently** for every layer:
   layer ``l`` has ``num_choices[l]`` candidates ``0 .. num_choices[l] - 1``. Return ``n``
   paths as an int64 tensor of shape ``(n, L)``, drawing every random number from
   ``generator`` (the same seed gives the same paths).

2. ``elastic_width(weight, next_weight, k) -> (weight_k, next_weight_k, index)``: Once-for-All
   shrinks a conv layer to ``k`` output channels by keeping the **most important** ones, where
   the importance of output channel ``c`` is the L1 norm of its weights,
   ``sum |weight[c, :, :, :]|``. ``weight`` is ``(C_out, C_in, kh, kw)``; ``next_weight`` is the
   following conv's weight, ``(C_next, C_out, kh2, kw2)``, which reads those channels.

   * ``index``: the kept channels as an int64 tensor of shape ``(k,)`` (or a list of ints),
     in order of **decreasing** importance; equal importances keep the lower channel first.
   * ``weight_k = weight[index]`` of shape ``(k, C_in, kh, kw)``;
     ``next_weight_k = next_weight[:, index]`` of shape ``(C_next, k, kh2, kw2)``.
   * ``k`` outside ``1 .. C_out`` raises ``ValueError``.

3. ``elastic_kernel(weight, k) -> weight_k``: a smaller kernel is the **centre** ``k x k``
   window of the largest kernel: for ``weight`` of shape ``(..., K, K)`` with odd ``K``, return
   the ``(..., k, k)`` centre crop (its centre is the centre of the ``K x K`` kernel). ``k``
   even, ``k > K``, ``k < 1``, an even ``K`` or a non-square kernel raise ``ValueError``.

Do not modify the inputs.

Example::

    >>> w = torch.zeros(3, 1, 1, 1); w[:, 0, 0, 0] = torch.tensor([0.5, -2.0, 1.0])
    >>> elastic_width(w, torch.ones(4, 3, 1, 1), 2)[2]    # |-2| > |1| > |0.5|
    tensor([1, 2])
    >>> elastic_kernel(torch.arange(25.0).reshape(5, 5), 3)
    tensor([[ 6.,  7.,  8.],
            [11., 12., 13.],
            [16., 17., 18.]])
"""

from __future__ import annotations

import torch


def sample_single_path(num_choices: list[int], n: int, generator: torch.Generator) -> torch.Tensor:
    """``n`` paths, one uniform independent choice per layer: int64 (n, L)."""
    raise NotImplementedError("sample_single_path")


def elastic_width(
    weight: torch.Tensor, next_weight: torch.Tensor, k: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Keep the k output channels of largest L1 norm; slice the next layer's input to match."""
    raise NotImplementedError("elastic_width")


def elastic_kernel(weight: torch.Tensor, k: int) -> torch.Tensor:
    """The centre k x k crop of the last two axes."""
    raise NotImplementedError("elastic_kernel")
