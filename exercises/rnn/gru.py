"""GRU: one cell in torch's convention, and its parameter count.

Source question: Q41: GRU 结构推导 (s001-41).

Write the GRU cell with plain torch tensor operations (``@``, ``torch.sigmoid``,
``torch.tanh``, slicing) so that autograd can differentiate through it.

1. ``gru_cell(x, h, weight_ih, weight_hh, bias_ih, bias_hh) -> h_new``, one time step for a
   batch. Shapes: ``x`` (B, I), ``h`` (B, H), ``weight_ih`` (3H, I), ``weight_hh`` (3H, H),
   ``bias_ih`` and ``bias_hh`` (3H,), ``h_new`` (B, H). The three blocks are stacked along the
   first axis in torch's order **r, z, n** (reset gate, update gate, candidate). Writing
   ``W_ir, W_iz, W_in`` for the blocks of ``weight_ih`` (and so on)::

       r     = sigmoid(x @ W_ir.T + b_ir + h @ W_hr.T + b_hr)
       z     = sigmoid(x @ W_iz.T + b_iz + h @ W_hz.T + b_hz)
       n     = tanh(x @ W_in.T + b_in + r * (h @ W_hn.T + b_hn))
       h_new = (1 - z) * n + z * h

   Two details of this convention matter. The reset gate multiplies the hidden projection
   *after* the matrix product, bias included: ``r * (W_hn h + b_hn)``, not ``W_hn (r * h)`` (the
   form of the original paper, which gives other numbers). And ``z`` is the share of the *old*
   state that is kept: ``z = 1`` copies ``h``. This is exactly ``torch.nn.GRUCell`` with its
   ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``.

2. ``gru_num_parameters(input_size, hidden_size)``: the number of scalars of
   ``torch.nn.GRU(input_size, hidden_size)`` (one layer, torch's two bias vectors) as a Python
   int: three blocks where the LSTM has four.

Conventions: the result has the dtype of ``x`` (float32 or float64); inputs are not modified;
gradients must flow to every input (do not leave torch, do not detach). ``torch.nn.GRUCell``,
``torch.nn.GRU``, the other recurrent modules and torch's fused kernels (``torch.gru_cell``,
``torch.ops.aten.gru_cell``, ...) are not allowed here; ``torch.sigmoid`` and ``torch.tanh`` are.

Example (H = 1: the rows of the weights are r, z, n)::

    >>> w_ih = torch.tensor([[0.0], [0.0], [1.0]])        # only n sees x
    >>> w_hh = torch.tensor([[0.0], [0.0], [2.0]])
    >>> b_ih, b_hh = torch.zeros(3), torch.tensor([0.0, 0.0, 1.0])
    >>> gru_cell(torch.tensor([[0.5]]), torch.tensor([[1.0]]), w_ih, w_hh, b_ih, b_hh)
    tensor([[0.9820]])
    >>> # r = z = 1/2, n = tanh(0.5 + 0.5 * (2 * 1 + 1)) = tanh(2), h' = 0.5 * n + 0.5 * 1
    >>> gru_num_parameters(10, 20)
    1920
"""

from __future__ import annotations

import torch


def gru_cell(
    x: torch.Tensor,
    h: torch.Tensor,
    weight_ih: torch.Tensor,
    weight_hh: torch.Tensor,
    bias_ih: torch.Tensor,
    bias_hh: torch.Tensor,
) -> torch.Tensor:
    """One GRU step: ``h_new`` (B, H)."""
    raise NotImplementedError("gru_cell")


def gru_num_parameters(input_size: int, hidden_size: int) -> int:
    """Scalars in torch.nn.GRU(input_size, hidden_size)."""
    raise NotImplementedError("gru_num_parameters")
