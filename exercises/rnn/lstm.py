"""LSTM: one cell, an unrolled sequence, and the parameter count, in torch's weight layout.

Source question: Q39: LSTM 结构推导 (s001-39).

Write the LSTM with plain torch tensor operations (``@``, ``torch.sigmoid``, ``torch.tanh``,
slicing, ``torch.stack``, ...) so that autograd can differentiate through it.

1. ``lstm_cell(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh) -> (h_new, c_new)``, one time
   step for a batch. Shapes: ``x`` (B, I), ``h`` and ``c`` (B, H), ``weight_ih`` (4H, I),
   ``weight_hh`` (4H, H), ``bias_ih`` and ``bias_hh`` (4H,). The four gates are stacked along the
   first axis of the weights in torch's order **i, f, g, o** (rows ``0:H`` are the input gate,
   ``H:2H`` the forget gate, ``2H:3H`` the candidate, ``3H:4H`` the output gate), and both biases
   are added::

       z     = x @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh        # (B, 4H)
       i_t   = sigmoid(z[:, 0:H])          f_t = sigmoid(z[:, H:2H])
       g_t   = tanh(z[:, 2H:3H])           o_t = sigmoid(z[:, 3H:4H])
       c_new = f_t * c + i_t * g_t
       h_new = o_t * tanh(c_new)

   This is exactly ``torch.nn.LSTMCell``: with its ``weight_ih``, ``weight_hh``, ``bias_ih`` and
   ``bias_hh`` you get its output.

2. ``lstm_sequence(x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh) -> (out, (h_T, c_T))``:
   the cell unrolled over time, ``x`` of shape (T, B, I) (time first, as ``torch.nn.LSTM``
   with ``batch_first=False``), ``h0`` and ``c0`` (B, H). ``out`` (T, B, H) holds every hidden
   state ``h_1 ... h_T``; ``h_T`` and ``c_T`` (B, H) are the last hidden and cell states. Each
   step starts from the previous step's ``(h, c)``. Gradients must flow through the whole
   sequence (backpropagation through time): do not detach the state between steps, and do not
   leave torch (no NumPy round trip).

3. ``rnn_num_parameters(input_size, hidden_size)`` and ``lstm_num_parameters(input_size,
   hidden_size)``: the number of scalars in ``torch.nn.RNN(input_size, hidden_size)`` and
   ``torch.nn.LSTM(input_size, hidden_size)`` (one layer, with torch's two bias vectors), as
   Python ints. The vanilla RNN has ``W_ih`` (H, I), ``W_hh`` (H, H), ``b_ih``, ``b_hh``; the
   LSTM has one such block per gate, so four times as many.

Conventions: results have the dtype of ``x`` (float32 or float64); inputs are not modified.
``torch.nn.LSTM``, ``torch.nn.LSTMCell``, the other recurrent modules and torch's fused
recurrent kernels (``torch.lstm_cell``, ``torch.ops.aten.lstm``, ...) are not allowed here;
``torch.sigmoid`` and ``torch.tanh`` are.

Example (H = 1, so the rows of the weights are the gates i, f, g, o)::

    >>> w_ih = torch.tensor([[0.0], [0.0], [1.0], [0.0]])   # only g sees x
    >>> w_hh, b = torch.zeros(4, 1), torch.zeros(4)
    >>> h, c = lstm_cell(torch.tensor([[2.0]]), torch.zeros(1, 1), torch.ones(1, 1),
    ...                  w_ih, w_hh, b, b)
    >>> c          # f * c + i * g = 0.5 * 1 + 0.5 * tanh(2)
    tensor([[0.9820]])
    >>> h          # o * tanh(c) = 0.5 * tanh(0.9820)
    tensor([[0.3770]])
    >>> lstm_num_parameters(10, 20), rnn_num_parameters(10, 20)
    (2560, 640)
"""

from __future__ import annotations

import torch


def lstm_cell(
    x: torch.Tensor,
    h: torch.Tensor,
    c: torch.Tensor,
    weight_ih: torch.Tensor,
    weight_hh: torch.Tensor,
    bias_ih: torch.Tensor,
    bias_hh: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One LSTM step: ``(h_new, c_new)``, each (B, H)."""
    raise NotImplementedError("lstm_cell")


def lstm_sequence(
    x: torch.Tensor,
    h0: torch.Tensor,
    c0: torch.Tensor,
    weight_ih: torch.Tensor,
    weight_hh: torch.Tensor,
    bias_ih: torch.Tensor,
    bias_hh: torch.Tensor,
) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
    """``x`` (T, B, I) -> ``(out (T, B, H), (h_T, c_T))``."""
    raise NotImplementedError("lstm_sequence")


def rnn_num_parameters(input_size: int, hidden_size: int) -> int:
    """Scalars in torch.nn.RNN(input_size, hidden_size)."""
    raise NotImplementedError("rnn_num_parameters")


def lstm_num_parameters(input_size: int, hidden_size: int) -> int:
    """Scalars in torch.nn.LSTM(input_size, hidden_size)."""
    raise NotImplementedError("lstm_num_parameters")
