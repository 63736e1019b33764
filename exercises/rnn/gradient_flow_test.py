"""Public examples for rnn/gradient_flow: a taste of the grading, small enough to read.

Run them with ``pytest exercises/rnn/gradient_flow_test.py``; the hidden grader compares with
torch autograd through torch.nn.RNNCell and torch.nn.LSTMCell.
"""

import numpy as np


def test_one_unit_rnn_at_zero_is_a_power_of_w(kata):
    # h stays 0, tanh'(0) = 1, so d h_t / d h_0 = w^t
    J = kata.rnn_state_jacobians(
        np.zeros((3, 1)), np.zeros(1), np.ones((1, 1)), np.array([[0.5]]), np.zeros(1), np.zeros(1)
    )
    np.testing.assert_allclose(np.asarray(J)[:, 0, 0], [0.5, 0.25, 0.125])


def test_bound_uses_the_largest_singular_value(kata):
    w = np.array([[0.0, 2.0], [0.0, 0.0]])  # nilpotent: spectral radius 0, norm 2
    np.testing.assert_allclose(kata.jacobian_norm_bound(w, 3), [2.0, 4.0, 8.0])


def test_cell_path_with_zero_weights_is_a_power_of_a_half(kata):
    # every gate is sigmoid(0) = 1/2, so the product of forget gates is 2^-t
    H, n_in, T = 2, 3, 4
    zeros = np.zeros
    out = kata.lstm_cell_path_gradient(
        np.ones((T, n_in)),
        zeros(H),
        np.ones(H),
        zeros((4 * H, n_in)),
        zeros((4 * H, H)),
        zeros(4 * H),
        zeros(4 * H),
    )
    np.testing.assert_allclose(out, 0.5 ** np.arange(1, T + 1)[:, None] * np.ones((T, H)))
