"""Reference solution: the GRU cell in torch's convention (see the exercise)."""

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
    # Keep the input and hidden projections apart: the reset gate scales only the hidden one.
    gi = x @ weight_ih.T + bias_ih  # (B, 3H): r, z, n blocks
    gh = h @ weight_hh.T + bias_hh
    i_r, i_z, i_n = gi.chunk(3, dim=-1)
    h_r, h_z, h_n = gh.chunk(3, dim=-1)
    r = torch.sigmoid(i_r + h_r)
    z = torch.sigmoid(i_z + h_z)
    # torch's convention: r multiplies (W_hn h + b_hn), after the matmul and with its bias.
    n = torch.tanh(i_n + r * h_n)
    # z is the share of the old state that is kept.
    return (1 - z) * n + z * h


def gru_num_parameters(input_size: int, hidden_size: int) -> int:
    # Three blocks (r, z, n) of W_ih (H, I), W_hh (H, H) and the two biases.
    return 3 * (hidden_size * input_size + hidden_size * hidden_size + 2 * hidden_size)
