"""Reference solution: curvature, optimal steps, critical points and conditioning."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch


def hvp(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, v: torch.Tensor
) -> torch.Tensor:
    x = x.detach().requires_grad_(True)
    # create_graph keeps the gradient differentiable, so it can be differentiated once more.
    (grad,) = torch.autograd.grad(f(x), x, create_graph=True)
    # d/dx (grad . v) = H v for a constant v: one more backward pass, never the n x n matrix.
    directional = torch.dot(grad, v.to(grad.dtype))
    if not directional.requires_grad:
        # The gradient does not depend on x: f is linear and its Hessian is zero.
        return torch.zeros_like(x).detach()
    (hv,) = torch.autograd.grad(directional, x, allow_unused=True)
    return torch.zeros_like(x).detach() if hv is None else hv.detach()


def hessian(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    eye = torch.eye(x.numel(), dtype=x.dtype)
    # H e_i is the i-th column; H is symmetric, so stacking them as rows gives the same matrix.
    return torch.stack([hvp(f, x, eye[i]) for i in range(x.numel())])


def taylor_change(g: np.ndarray, H: np.ndarray, eps: float) -> float:
    return float(-eps * (g @ g) + 0.5 * eps**2 * (g @ H @ g))


def optimal_step(g: np.ndarray, H: np.ndarray) -> float:
    gg = float(g @ g)
    if gg == 0.0:
        return 0.0
    curvature = float(g @ H @ g)
    # Non-positive curvature along g: the quadratic model decreases without bound.
    return gg / curvature if curvature > 0 else math.inf


def steepest_descent_iterations(
    A: np.ndarray, b: np.ndarray, *, tol: float = 1e-8, max_iter: int = 100_000
) -> int:
    x = np.zeros_like(b, dtype=float)
    target = tol * np.linalg.norm(b)
    for step in range(max_iter):
        g = A @ x - b
        if np.linalg.norm(g) <= target:
            return step
        x = x - optimal_step(g, A) * g
    return max_iter


def classify_critical_point(H: np.ndarray, tol: float = 1e-8) -> str:
    # Every eigenvalue matters: one negative direction among positive ones is a saddle.
    eigenvalues = np.linalg.eigvalsh(H)
    positive, negative = np.any(eigenvalues > tol), np.any(eigenvalues < -tol)
    if positive and negative:
        return "saddle"
    if np.all(eigenvalues > tol):
        return "minimum"
    if np.all(eigenvalues < -tol):
        return "maximum"
    return "degenerate"


def least_squares_condition(X: np.ndarray) -> float:
    # The Hessian of 0.5 * ||Xw - y||^2 is X'X; its condition number is cond(X) squared.
    eigenvalues = np.linalg.eigvalsh(X.T @ X)
    return float(eigenvalues[-1] / eigenvalues[0])


def standardize(X: np.ndarray) -> np.ndarray:
    std = X.std(axis=0)
    # A constant column has nothing to scale. Test "all values equal", not std == 0: the float
    # std of a column of 0.1s is about 1e-17, and dividing its round-off by it gives +-1.
    constant = np.ptp(X, axis=0) == 0
    scaled = (X - X.mean(axis=0)) / np.where(constant, 1.0, std)
    return np.where(constant, 0.0, scaled)
