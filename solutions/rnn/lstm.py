"""Reference solution: the LSTM cell and sequence in torch's layout (see the exercise)."""

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
    # One matmul per input for all four gates: rows [0:H) are i, [H:2H) f, [2H:3H) g, [3H:4H) o.
    gates = x @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh
    i, f, g, o = gates.chunk(4, dim=-1)
    i, f, o = torch.sigmoid(i), torch.sigmoid(f), torch.sigmoid(o)
    g = torch.tanh(g)  # the candidate is a value in (-1, 1), not a gate
    c_new = f * c + i * g  # additive cell path: the reason gradients survive
    h_new = o * torch.tanh(c_new)
    return h_new, c_new


def lstm_sequence(
    x: torch.Tensor,
    h0: torch.Tensor,
    c0: torch.Tensor,
    weight_ih: torch.Tensor,
    weight_hh: torch.Tensor,
    bias_ih: torch.Tensor,
    bias_hh: torch.Tensor,
) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
    h, c = h0, c0
    outputs = []
    for x_t in x:  # time is the first axis
        # No detach: backpropagation through time needs the whole chain of states.
        h, c = lstm_cell(x_t, h, c, weight_ih, weight_hh, bias_ih, bias_hh)
        outputs.append(h)
    # torch.stack keeps the graph (writing into a preallocated tensor would too).
    return torch.stack(outputs), (h, c)


def rnn_num_parameters(input_size: int, hidden_size: int) -> int:
    # W_ih (H, I), W_hh (H, H) and torch's two bias vectors.
    return hidden_size * input_size + hidden_size * hidden_size + 2 * hidden_size


def lstm_num_parameters(input_size: int, hidden_size: int) -> int:
    # Four blocks of the vanilla RNN's weights, one per gate (i, f, g, o).
    return 4 * rnn_num_parameters(input_size, hidden_size)
