"""Mutant of act/activations: Sigmoid as 1 / (1 + exp(-z)), which overflows for large negative z."""

from __future__ import annotations

import math

import numpy as np

SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
GELU_CUBIC = 0.044715
_erf = np.vectorize(math.erf, otypes=[np.float64])


def sigmoid(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z)
    # exp(-|z|) never overflows; pick the algebraically equal form for each sign.
    return (1.0 / (1.0 + np.exp(-z))).astype(z.dtype, copy=False)


def sigmoid_grad(s: np.ndarray) -> np.ndarray:
    # From the saved output: no second exp, and the forward pass already paid for s.
    s = np.asarray(s)
    return s * (1 - s)


def tanh(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z)
    # tanh is odd: compute it for |z| with exp(-2|z|) <= 1, then put the sign back.
    e = np.exp(-2.0 * np.abs(z))
    return (np.sign(z) * (1.0 - e) / (1.0 + e)).astype(z.dtype, copy=False)


def tanh_grad(t: np.ndarray) -> np.ndarray:
    t = np.asarray(t)
    return 1 - t * t


def relu(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z)
    return np.maximum(z, 0).astype(z.dtype, copy=False)


def relu_grad(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z)
    # The kink at 0 takes the left derivative, 0, as torch does.
    return (z > 0).astype(z.dtype)


def leaky_relu(z: np.ndarray, slope: float = 0.01) -> np.ndarray:
    z = np.asarray(z)
    return np.where(z > 0, z, slope * z).astype(z.dtype, copy=False)


def leaky_relu_grad(z: np.ndarray, slope: float = 0.01) -> np.ndarray:
    z = np.asarray(z)
    return np.where(z > 0, 1.0, slope).astype(z.dtype, copy=False)


def elu(z: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    z = np.asarray(z)
    # exp only of the non-positive part: np.where evaluates both branches, so exp(z) for a
    # large positive z would overflow (and warn) even though that value is thrown away.
    negative = np.minimum(z, 0)
    return np.where(z > 0, z, alpha * np.expm1(negative)).astype(z.dtype, copy=False)


def elu_grad(z: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    z = np.asarray(z)
    negative = np.minimum(z, 0)
    return np.where(z > 0, 1.0, alpha * np.exp(negative)).astype(z.dtype, copy=False)


def _phi_cdf(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + _erf(np.asarray(z, dtype=np.float64) / math.sqrt(2.0)))


def gelu(z: np.ndarray, approximate: str = "none") -> np.ndarray:
    z = np.asarray(z)
    x = z.astype(np.float64)
    if approximate == "none":
        out = x * _phi_cdf(x)
    elif approximate == "tanh":
        out = 0.5 * x * (1.0 + tanh(SQRT_2_OVER_PI * (x + GELU_CUBIC * x**3)))
    else:
        raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
    return out.astype(z.dtype, copy=False)


def gelu_grad(z: np.ndarray, approximate: str = "none") -> np.ndarray:
    z = np.asarray(z)
    x = z.astype(np.float64)
    if approximate == "none":
        # d/dx [x Phi(x)] = Phi(x) + x phi(x); phi underflows to 0 for large |x|, no overflow.
        out = _phi_cdf(x) + x * np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
    elif approximate == "tanh":
        inner = SQRT_2_OVER_PI * (x + GELU_CUBIC * x**3)
        t = tanh(inner)
        d_inner = SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_CUBIC * x * x)
        out = 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * d_inner
    else:
        raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
    return out.astype(z.dtype, copy=False)


def softplus(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z)
    # log(1 + e^z) = max(z, 0) + log1p(e^-|z|): the exp never sees a positive argument.
    return (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))).astype(z.dtype, copy=False)


def softplus_grad(z: np.ndarray) -> np.ndarray:
    # The derivative of softplus is the sigmoid.
    return sigmoid(z)
