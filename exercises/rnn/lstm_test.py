"""Public examples for rnn/lstm: a taste of the grading, small enough to read.

Run them with ``pytest exercises/rnn/lstm_test.py``; the hidden grader compares against
torch.nn.LSTMCell and torch.nn.LSTM with the same weights, and checks gradients too.
"""

import math

import torch


def test_one_unit_cell_by_hand(kata):
    # H = 1: the rows of the weights are the gates i, f, g, o; only the candidate g sees x.
    w_ih = torch.tensor([[0.0], [0.0], [1.0], [0.0]], dtype=torch.float64)
    w_hh, b = torch.zeros(4, 1, dtype=torch.float64), torch.zeros(4, dtype=torch.float64)
    x, h, c = torch.tensor([[2.0]]).double(), torch.zeros(1, 1).double(), torch.ones(1, 1).double()
    h_new, c_new = kata.lstm_cell(x, h, c, w_ih, w_hh, b, b)
    expected_c = 0.5 * 1.0 + 0.5 * math.tanh(2.0)  # f * c + i * g, every gate sigmoid(0) = 1/2
    assert abs(float(c_new) - expected_c) < 1e-12
    assert abs(float(h_new) - 0.5 * math.tanh(expected_c)) < 1e-12


def test_sequence_shapes(kata):
    T, B, n_in, H = 5, 2, 3, 4
    torch.manual_seed(0)
    weights = [
        torch.randn(4 * H, n_in),
        torch.randn(4 * H, H),
        torch.randn(4 * H),
        torch.randn(4 * H),
    ]
    out, (h_T, c_T) = kata.lstm_sequence(
        torch.randn(T, B, n_in), torch.zeros(B, H), torch.zeros(B, H), *weights
    )
    assert tuple(out.shape) == (T, B, H)
    assert tuple(h_T.shape) == tuple(c_T.shape) == (B, H)
    assert torch.allclose(out[-1], h_T)


def test_lstm_has_four_times_the_parameters_of_a_vanilla_rnn(kata):
    assert kata.rnn_num_parameters(10, 20) == 20 * 10 + 20 * 20 + 2 * 20
    assert kata.lstm_num_parameters(10, 20) == 4 * kata.rnn_num_parameters(10, 20)
