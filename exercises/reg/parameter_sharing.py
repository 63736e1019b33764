"""Parameter sharing: tied input/output embeddings, a multi-task trunk, counting shared tensors.

Source question: 31. 共享参数的概念及在深度学习中的广泛影响 (s004-01).

Sharing a parameter means using the *same tensor* in several places of a model: it is stored
once, every use contributes to its gradient (autograd adds the contributions up), and an
optimiser step changes it everywhere at once. Implement, with ``torch.nn``:

1. ``TiedLanguageModel(vocab_size, dim)``, an ``nn.Module`` with exactly these submodules:

   * ``self.embedding = nn.Embedding(vocab_size, dim)``
   * ``self.hidden = nn.Linear(dim, dim)``
   * ``self.output = nn.Linear(dim, vocab_size)`` whose ``weight`` **is** the embedding matrix:
     after construction ``model.output.weight is model.embedding.weight`` (one ``Parameter``
     object, one storage, not a copy); ``output.bias`` is its own parameter.

   ``forward(tokens)`` takes a ``(B, T)`` int64 tensor of token ids and returns the logits
   ``output(tanh(hidden(embedding(tokens))))`` of shape ``(B, T, vocab_size)``, i.e.
   ``tanh(E[tokens] @ W_h.T + b_h) @ E.T + b_out`` with ``E`` the shared ``(vocab_size, dim)``
   matrix.

2. ``MultiTaskNet(in_features, hidden, out_features)`` (``out_features`` a list of ints, one per
   task), an ``nn.Module`` with:

   * ``self.trunk = nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU())``, ONE trunk
     shared by every task;
   * ``self.heads``: an ``nn.ModuleList`` of ``nn.Linear(hidden, k)``, one head per task, in the
     order of ``out_features``.

   ``forward(x)`` takes ``x`` of shape ``(B, in_features)`` and returns a list with one tensor per
   task, ``heads[t](trunk(x))`` of shape ``(B, out_features[t])``. The trunk is computed once;
   a loss that sums the tasks' losses sends every task's gradient into the one trunk.

3. ``count_parameters(module)``: the number of scalar parameters of ``module`` as a Python int,
   counting each parameter tensor **once** however many submodules share it. Buffers (such as
   BatchNorm's ``running_mean``) are not parameters; parameters with ``requires_grad=False``
   still count.

Example::

    >>> model = TiedLanguageModel(10, 4)
    >>> model.output.weight is model.embedding.weight
    True
    >>> count_parameters(model)      # E (10*4) once + hidden (4*4 + 4) + output bias (10)
    70
    >>> [y.shape for y in MultiTaskNet(3, 5, [2, 1])(torch.zeros(7, 3))]
    [torch.Size([7, 2]), torch.Size([7, 1])]
"""

from __future__ import annotations

import torch
from torch import nn


class TiedLanguageModel(nn.Module):
    """Embedding -> tanh(Linear) -> output projection tied to the embedding matrix."""

    def __init__(self, vocab_size: int, dim: int) -> None:
        super().__init__()
        raise NotImplementedError("TiedLanguageModel.__init__")

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("TiedLanguageModel.forward")


class MultiTaskNet(nn.Module):
    """One shared trunk, one linear head per task."""

    def __init__(self, in_features: int, hidden: int, out_features: list[int]) -> None:
        super().__init__()
        raise NotImplementedError("MultiTaskNet.__init__")

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        raise NotImplementedError("MultiTaskNet.forward")


def count_parameters(module: nn.Module) -> int:
    """Scalar parameters of ``module``, each shared tensor counted once."""
    raise NotImplementedError("count_parameters")
