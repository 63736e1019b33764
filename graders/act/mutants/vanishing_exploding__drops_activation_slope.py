"""Mutant of act/vanishing_exploding: The backward pass forgets to multiply by f'(a)."""

from __future__ import annotations

import numpy as np


def _forward_activation(name: str, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """f(a) and f'(a); the derivative is taken from the output where that is cheaper."""
    if name == "sigmoid":
        e = np.exp(-np.abs(a))
        s = np.where(a >= 0, 1 / (1 + e), e / (1 + e))
        return s, s * (1 - s)
    if name == "tanh":
        t = np.tanh(a)
        return t, 1 - t * t
    if name == "relu":
        return np.maximum(a, 0), (a > 0).astype(a.dtype)  # relu'(0) = 0
    raise ValueError(f"unknown activation {name!r}")


def layer_grad_norms(
    weights: list[np.ndarray], x: np.ndarray, activation: str, residual: bool = False
) -> np.ndarray:
    h = np.asarray(x, dtype=np.float64)
    inputs, slopes = [], []
    for w in weights:
        if residual and w.shape[0] != w.shape[1]:
            raise ValueError(f"a residual layer needs a square weight, got {w.shape}")
        out, slope = _forward_activation(activation, h @ w.T)
        inputs.append(h)
        slopes.append(slope)
        h = out + h if residual else out
    # loss = h_L.sum(), so dloss/dh_L is all ones; walk back, layer by layer.
    grad_h = np.ones_like(h)
    norms = np.empty(len(weights))
    for layer in range(len(weights) - 1, -1, -1):
        grad_a = grad_h
        norms[layer] = np.linalg.norm(grad_a.T @ inputs[layer])
        # The skip path adds the incoming gradient unchanged: that identity is what keeps the
        # gradient of a deep residual net from vanishing.
        through = grad_a @ weights[layer]
        grad_h = through + grad_h if residual else through
    return norms


def spectral_radius(w: np.ndarray) -> float:
    # The largest |eigenvalue| (eigenvalues may be complex), not the largest singular value:
    # ||W^t||^(1/t) tends to it, so it decides whether W^t vanishes or explodes.
    return float(np.max(np.abs(np.linalg.eigvals(w))))


def clip_grad_norm(
    grads: list[np.ndarray], max_norm: float, norm_type: float = 2.0
) -> tuple[list[np.ndarray], float]:
    grads = [np.asarray(g) for g in grads]
    if not grads:
        return [], 0.0
    # One norm over every tensor together: the norm of the per-tensor norms.
    if np.isinf(norm_type):
        total = max(float(np.max(np.abs(g))) if g.size else 0.0 for g in grads)
    else:
        per_tensor = [np.sum(np.abs(g.astype(np.float64)) ** norm_type) for g in grads]
        total = float(np.sum(per_tensor) ** (1.0 / norm_type))
    # As torch: scale by max_norm / (total + 1e-6), never up (a coefficient above 1 is clamped).
    coef = min(max_norm / (total + 1e-6), 1.0)
    return [(g * coef).astype(g.dtype, copy=False) for g in grads], total


def clip_grad_value(grads: list[np.ndarray], clip_value: float) -> list[np.ndarray]:
    return [np.clip(np.asarray(g), -clip_value, clip_value) for g in grads]
