"""Selective kernel convolution (SKNet): split, fuse, select.

Source question: Q28: 分类网络的发展史 (s001-28), the SKNet part.

SKNet lets every channel choose its receptive field. The input goes through several branches
with different effective kernel sizes (*split*); the branches are added and pooled into one
descriptor per channel (*fuse*); a small network turns the descriptor into one weight per branch
and channel, normalised by a softmax **over the branches** (*select*), and the output is the
weighted sum of the branches.

Implement ``SKConv(channels, branches=2, reduction=2, min_hidden=4)``, a ``torch.nn.Module``
with exactly these submodules (the grader reads their weights by these names):

* ``self.branches``: an ``nn.ModuleList`` of ``branches`` convolutions; branch ``m``
  (``m = 0, 1, ...``) is ``nn.Conv2d(channels, channels, 3, padding=m + 1, dilation=m + 1)``
  (with bias): a 3x3 kernel with dilation ``m + 1`` sees a ``(2m + 3) x (2m + 3)`` window,
  and the padding keeps ``H`` and ``W``.
* ``self.fc = nn.Linear(channels, hidden)`` with ``hidden = max(channels // reduction,
  min_hidden)``.
* ``self.select``: an ``nn.ModuleList`` of ``branches`` layers ``nn.Linear(hidden, channels)``,
  one per branch, in branch order.

``forward(x, return_attention=False)`` for ``x`` of shape ``(N, C, H, W)``::

    U_m = relu(branches[m](x))                    # (N, C, H, W), m = 0 .. M-1   (split)
    s   = mean over H, W of (U_0 + ... + U_{M-1}) # (N, C)                       (fuse)
    z   = relu(fc(s))                             # (N, hidden)
    a[:, m, :] = softmax over m of select[m](z)   # (N, M, C), sums to 1 over m  (select)
    out = sum over m of a[:, m, :, None, None] * U_m

It returns ``out`` (shape of ``x``), or the pair ``(out, a)`` when ``return_attention`` is true.
Inputs are float32 (the modules' default dtype).

Example::

    >>> sk = SKConv(8, branches=3, reduction=2)       # hidden = max(8 // 2, 4) = 4
    >>> out, a = sk(torch.randn(2, 8, 5, 7), return_attention=True)
    >>> out.shape, a.shape
    (torch.Size([2, 8, 5, 7]), torch.Size([2, 3, 8]))
    >>> torch.allclose(a.sum(dim=1), torch.ones(2, 8))
    True
"""

from __future__ import annotations

import torch
from torch import nn


class SKConv(nn.Module):
    """Branches with dilations 1, 2, ...; fuse by sum and average pooling; softmax select."""

    def __init__(
        self, channels: int, branches: int = 2, reduction: int = 2, min_hidden: int = 4
    ) -> None:
        super().__init__()
        raise NotImplementedError("SKConv.__init__")

    def forward(
        self, x: torch.Tensor, return_attention: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError("SKConv.forward")
