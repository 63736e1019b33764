"""Public examples for optim/gd_variants: a taste of the grading, small enough to read.

Run them with ``pytest exercises/optim/gd_variants_test.py``; the hidden grader runs many more
cases when you run ``pytest exercises/optim``.
"""

import numpy as np


def test_unshuffled_batches_are_consecutive_and_keep_the_remainder(kata):
    batches = [b.tolist() for b in kata.minibatches(5, 2, shuffle=False)]
    assert batches == [[0, 1], [2, 3], [4]]
    batches = [b.tolist() for b in kata.minibatches(5, 2, shuffle=False, drop_last=True)]
    assert batches == [[0, 1], [2, 3]]


def test_one_batch_gd_step_from_zero(kata):
    # From w = 0, b = 0 the residual is -y: the gradient is (-X.T @ y / n, -mean(y)).
    X = np.array([[1.0], [2.0]])
    y = np.array([2.0, 4.0])
    w, b, history = kata.train_linear_regression(
        X, y, batch_size=2, lr=0.1, epochs=1, rng=np.random.default_rng(0)
    )
    np.testing.assert_allclose(w, [0.1 * (1 * 2 + 2 * 4) / 2])  # 0.5
    np.testing.assert_allclose(b, 0.1 * 3.0)  # 0.3
    # residuals after the step: 0.5 + 0.3 - 2 = -1.2 and 1.0 + 0.3 - 4 = -2.7
    np.testing.assert_allclose(history, [0.5 * (1.2**2 + 2.7**2) / 2])


def test_a_full_batch_has_no_gradient_noise(kata):
    gen = np.random.default_rng(1)
    X, y = gen.normal(size=(20, 3)), gen.normal(size=20)
    noise = kata.gradient_noise(X, y, np.ones(3), 0.5, 20, trials=5, rng=gen)
    assert abs(float(noise)) < 1e-12
