"""Reference solution: gradient flow through a tanh RNN and an LSTM (see the exercise)."""

from __future__ import annotations

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    # Two branches so that exp never overflows.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def rnn_state_jacobians(
    x: np.ndarray,
    h0: np.ndarray,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    b_ih: np.ndarray,
    b_hh: np.ndarray,
) -> np.ndarray:
    hidden = h0.shape[0]
    h = h0
    jacobian = np.eye(hidden)
    out = np.empty((x.shape[0], hidden, hidden))
    for t, x_t in enumerate(x):
        h = np.tanh(w_ih @ x_t + b_ih + w_hh @ h + b_hh)
        # dh_t/dh_{t-1} = diag(1 - h_t^2) W_hh; the chain rule multiplies new factors on the left.
        jacobian = ((1.0 - h**2)[:, None] * w_hh) @ jacobian
        out[t] = jacobian
    return out


def jacobian_norm_bound(w_hh: np.ndarray, steps: int) -> np.ndarray:
    # |tanh'| <= 1 and ||AB||_2 <= ||A||_2 ||B||_2 give ||dh_t/dh_0||_2 <= ||W_hh||_2^t. The
    # spectral radius is no bound: it can be below the norm of W^t for a non-normal W.
    sigma = np.linalg.norm(w_hh, 2)
    return sigma ** np.arange(1, steps + 1, dtype=np.float64)


def lstm_cell_path_gradient(
    x: np.ndarray,
    h0: np.ndarray,
    c0: np.ndarray,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    b_ih: np.ndarray,
    b_hh: np.ndarray,
) -> np.ndarray:
    hidden = h0.shape[0]
    h, c = h0, c0
    product = np.ones(hidden)
    out = np.empty((x.shape[0], hidden))
    for t, x_t in enumerate(x):
        z = w_ih @ x_t + b_ih + w_hh @ h + b_hh
        i, f, g, o = (z[k * hidden : (k + 1) * hidden] for k in range(4))
        i, f, o, g = sigmoid(i), sigmoid(f), sigmoid(o), np.tanh(g)
        c = f * c + i * g
        h = o * np.tanh(c)  # the gates of the next step need the real h_t
        # Along C_{t-1} -> C_t the only factor is f_t (elementwise): the Jacobian is diag(f_t).
        product = product * f
        out[t] = product
    return out
