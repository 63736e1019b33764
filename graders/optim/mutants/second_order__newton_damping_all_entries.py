"""Mutant of optim/second_order: Adds the damping to every entry of H, not to its diagonal."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def newton_step(grad: np.ndarray, hess: np.ndarray, damping: float = 0.0) -> np.ndarray:
    # Damping goes on the diagonal only: it shifts every eigenvalue by the same amount.
    system = hess + damping
    # Solving is cheaper and more accurate than forming the inverse.
    return -np.linalg.solve(system, grad)


def newton_minimize(
    grad_fn: Callable[[np.ndarray], np.ndarray],
    hess_fn: Callable[[np.ndarray], np.ndarray],
    x0: np.ndarray,
    *,
    damping: float = 0.0,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> tuple[np.ndarray, int]:
    x = np.array(x0, dtype=float)
    for steps in range(max_iter):
        g = grad_fn(x)
        if np.linalg.norm(g) <= tol:
            return x, steps
        x = x + newton_step(g, hess_fn(x), damping)
    return x, max_iter


def conjugate_gradient(
    matvec: Callable[[np.ndarray], np.ndarray],
    b: np.ndarray,
    *,
    inv_diag: np.ndarray | None = None,
    tol: float = 1e-10,
    max_iter: int | None = None,
) -> tuple[np.ndarray, int]:
    n = len(b)
    max_iter = n if max_iter is None else max_iter
    precondition = (lambda r: r) if inv_diag is None else (lambda r: inv_diag * r)
    x = np.zeros(n)
    r = b.astype(float)  # the residual b - A x at x = 0, without a matvec
    z = precondition(r)
    p = z.copy()
    rz = r @ z
    target = tol * np.linalg.norm(b)
    for iteration in range(max_iter):
        if np.linalg.norm(r) <= target:
            return x, iteration
        Ap = matvec(p)
        alpha = rz / (p @ Ap)  # exact minimiser of the quadratic along p
        x = x + alpha * p
        r = r - alpha * Ap
        z = precondition(r)
        rz_new = r @ z
        # beta = new over old makes p A-conjugate to every earlier direction, not just the last.
        p = z + (rz_new / rz) * p
        rz = rz_new
    return x, max_iter


def bfgs_update(H_inv: np.ndarray, s: np.ndarray, y: np.ndarray) -> np.ndarray:
    rho = 1.0 / (y @ s)
    left = np.eye(len(s)) - rho * np.outer(s, y)
    # The product form keeps H symmetric and, with s.y > 0, positive definite.
    return left @ H_inv @ left.T + rho * np.outer(s, s)


def lbfgs_two_loop(
    grad: np.ndarray, s_history: Sequence[np.ndarray], y_history: Sequence[np.ndarray]
) -> np.ndarray:
    m = len(s_history)
    if m == 0:
        return np.array(grad, dtype=float)
    rho = [1.0 / (y_history[i] @ s_history[i]) for i in range(m)]
    alpha = [0.0] * m
    q = np.array(grad, dtype=float)
    # First loop, newest to oldest: peel the outer factors (I - rho y s') off the product.
    for i in reversed(range(m)):
        alpha[i] = rho[i] * (s_history[i] @ q)
        q = q - alpha[i] * y_history[i]
    s_new, y_new = s_history[-1], y_history[-1]
    r = (s_new @ y_new) / (y_new @ y_new) * q  # H0 = gamma I, scaled like the newest curvature
    # Second loop, oldest to newest: put the factors back on the other side.
    for i in range(m):
        beta = rho[i] * (y_history[i] @ r)
        r = r + (alpha[i] - beta) * s_history[i]
    return r
