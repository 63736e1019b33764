"""Public examples for rnn/gru: a taste of the grading, small enough to read.

Run them with ``pytest exercises/rnn/gru_test.py``; the hidden grader compares against
torch.nn.GRUCell with the same weights, gradients included.
"""

import math

import torch


def test_one_unit_cell_by_hand(kata):
    # H = 1: the rows are r, z, n; r = z = sigmoid(0) = 1/2.
    w_ih = torch.tensor([[0.0], [0.0], [1.0]], dtype=torch.float64)
    w_hh = torch.tensor([[0.0], [0.0], [2.0]], dtype=torch.float64)
    b_ih = torch.zeros(3, dtype=torch.float64)
    b_hh = torch.tensor([0.0, 0.0, 1.0], dtype=torch.float64)
    x, h = torch.tensor([[0.5]]).double(), torch.tensor([[1.0]]).double()
    h_new = kata.gru_cell(x, h, w_ih, w_hh, b_ih, b_hh)
    n = math.tanh(0.5 + 0.5 * (2.0 * 1.0 + 1.0))  # r multiplies W_hn h + b_hn
    assert abs(float(h_new) - (0.5 * n + 0.5 * 1.0)) < 1e-12


def test_update_gate_of_one_keeps_the_old_state(kata):
    H, n_in = 3, 2
    w_ih, w_hh = torch.randn(3 * H, n_in).double(), torch.randn(3 * H, H).double()
    b_ih, b_hh = torch.zeros(3 * H).double(), torch.zeros(3 * H).double()
    b_hh[H : 2 * H] = 50.0  # z = sigmoid(~50) = 1
    h = torch.randn(4, H).double()
    h_new = kata.gru_cell(torch.randn(4, n_in).double(), h, w_ih, w_hh, b_ih, b_hh * 1.0)
    assert torch.allclose(h_new, h, atol=1e-9)


def test_gru_has_three_blocks(kata):
    assert kata.gru_num_parameters(10, 20) == 3 * (20 * 10 + 20 * 20 + 2 * 20)
