"""DARTS: the mixed operation, its gradient with respect to alpha, and the discrete cell.

Source question: NAS 前沿工作 (s001-43), the DARTS and P-DARTS part.

DARTS relaxes the choice of one operation per edge into a weighted sum of all candidates. An
edge has ``K`` candidate operations (conv 3x3, max pool, skip, ``none`` = the zero op, ...) and
a vector of architecture logits ``alpha`` of shape ``(K,)``. Implement, with torch tensors:

1. ``mixed_op(alpha, op_outputs) -> out``. ``op_outputs`` has shape ``(K, *S)``: the output of
   each candidate on the same input. Return ``sum_k softmax(alpha)_k * op_outputs[k]``, of
   shape ``S`` and the dtype of ``op_outputs``. The softmax must stay finite for logits as large
   as ``+-1e4`` (no NaN, no inf).

2. ``mixed_op_alpha_grad(alpha, op_outputs, grad_out) -> dalpha``, by hand (no autograd): given
   the gradient ``grad_out`` of a loss with respect to ``out`` (shape ``S``), return the
   gradient of the loss with respect to ``alpha``, shape ``(K,)``. Remember that every
   ``softmax(alpha)_j`` depends on every ``alpha_k``.

3. ``derive_cell(alpha, op_names, steps) -> genotype``: the discrete cell at the end of the
   search. A cell has two input states (indices 0 and 1) and ``steps`` intermediate nodes;
   node ``i`` (0-based) is state ``i + 2`` and has an incoming edge from each of the ``i + 2``
   earlier states. ``alpha`` has shape ``(E, K)`` with ``E = sum_i (i + 2)`` rows, ordered node
   by node and, within a node, by input state: rows ``0, 1`` are node 0's edges from states
   0 and 1, rows ``2, 3, 4`` node 1's edges from states 0, 1, 2, and so on. ``op_names[k]``
   names column ``k``; the zero op is called ``"none"`` (it may be in any column).

   * Each edge's weights are ``softmax(alpha[e])`` over its ``K`` ops (``none`` included).
   * The strength of an edge is its largest weight among the **non-zero** ops.
   * Each node keeps its two strongest incoming edges and, on each of them, the non-zero op of
     largest weight. The zero op is never chosen: it means "no edge".
   * Ties go to the lower index (the lower input state, the lower op column).
   * Return a list with one entry per node; each entry is a list of two ``(op_name,
     input_state)`` tuples, strongest edge first.
   * If ``alpha`` does not have ``E`` rows, raise ``ValueError``.

Do not modify the inputs. ``torch.softmax`` / ``torch.nn.functional.softmax`` (and their
``log_softmax`` cousins) and autograd (``torch.autograd.grad``, ``Tensor.backward``) are not
allowed in this kata: write the softmax and its gradient yourself.

Example::

    >>> alpha = torch.tensor([0.0, 0.0])
    >>> mixed_op(alpha, torch.tensor([[1.0, 2.0], [3.0, 6.0]]))      # weights 1/2, 1/2
    tensor([2., 4.])
    >>> names = ["none", "skip", "conv"]
    >>> a = torch.tensor([[9.0, 1.0, 0.0], [0.0, 0.0, 2.0]])           # one node, two edges
    >>> derive_cell(a, names, steps=1)
    [[('conv', 1), ('skip', 0)]]
"""

from __future__ import annotations

import torch


def mixed_op(alpha: torch.Tensor, op_outputs: torch.Tensor) -> torch.Tensor:
    """``sum_k softmax(alpha)_k * op_outputs[k]``; alpha (K,), op_outputs (K, *S) -> (*S)."""
    raise NotImplementedError("mixed_op")


def mixed_op_alpha_grad(
    alpha: torch.Tensor, op_outputs: torch.Tensor, grad_out: torch.Tensor
) -> torch.Tensor:
    """The gradient of the loss with respect to alpha, shape (K,), given dL/d(out)."""
    raise NotImplementedError("mixed_op_alpha_grad")


def derive_cell(
    alpha: torch.Tensor, op_names: list[str], steps: int
) -> list[list[tuple[str, int]]]:
    """Per node, the two strongest incoming edges with their best non-zero op."""
    raise NotImplementedError("derive_cell")
