"""Curvature: Hessian-vector products, the optimal gradient step, critical points, conditioning.

Source question: 34. 如何避免深度学习中的病态，鞍点，梯度爆炸，梯度弥散 (s004-04; also s003-05
"为什么归一化能提高求解最优解速度？").

Near a point ``x`` with gradient ``g`` and Hessian ``H``, a gradient step of size ``eps`` changes
the loss by about ``-eps * g'g + 0.5 * eps**2 * g'Hg``. Strong curvature (a large ``g'Hg``)
forces a small step; saddle points have curvature of both signs; badly scaled features make
``H`` ill-conditioned and gradient descent zig-zag. This kata measures all of that.

Hessians with autograd (``f`` maps a 1-D float64 tensor of length ``n`` to a scalar tensor;
``x`` and ``v`` are 1-D float64 tensors of length ``n``; ``x`` does not require grad):

* ``hvp(f, x, v)`` returns ``H(x) @ v`` as a detached tensor of shape ``(n,)``, *without* ever
  forming ``H``: by double backward, differentiating twice with ``torch.autograd.grad``. It must
  work for millions of parameters, at the cost of about two gradients. Where ``f`` is linear
  (its gradient does not depend on ``x``) the answer is zeros. Leave ``x`` as it is.
* ``hessian(f, x)`` returns the ``(n, n)`` Hessian, built from ``n`` calls of ``hvp`` with the
  unit vectors.

``torch.autograd.functional`` (``hessian``, ``hvp``, ``vhp``, ``jacobian``) and ``torch.func``'s
``hessian``, ``jacfwd`` and ``jacrev`` are not allowed: the grader uses them to check you.

Steps on a quadratic model (``g`` is a ``(n,)`` NumPy array, ``H`` a symmetric ``(n, n)`` one):

* ``taylor_change(g, H, eps)``: the second-order prediction of ``f(x - eps * g) - f(x)``,
  ``-eps * g'g + 0.5 * eps**2 * g'Hg`` (exact when ``f`` is quadratic). Positive means the step
  went uphill.
* ``optimal_step(g, H)``: the ``eps`` that minimises that prediction, ``g'g / g'Hg``. When
  ``g'Hg <= 0`` the prediction falls forever: return ``math.inf``. When ``g`` is all zeros return
  ``0.0``.
* ``steepest_descent_iterations(A, b, *, tol, max_iter)``: minimise ``0.5 * x'Ax - b'x`` (``A``
  symmetric positive definite) from ``x = 0`` by steepest descent with the optimal step
  (``g = A @ x - b``, ``x = x - optimal_step(g, A) * g``). Return the number of steps taken until
  ``||g|| <= tol * ||b||`` (0 if that holds at ``x = 0``), or ``max_iter`` if it never does.

Critical points: ``classify_critical_point(H, tol=1e-8)`` looks at the eigenvalues of the
symmetric ``H`` and returns ``"saddle"`` if some are ``> tol`` and some ``< -tol``,
``"minimum"`` if all are ``> tol``, ``"maximum"`` if all are ``< -tol``, and ``"degenerate"``
otherwise (some within ``tol`` of zero, the rest of one sign: second order cannot decide).

Conditioning of least squares (``X`` is an ``(m, n)`` data matrix, samples in rows):

* ``least_squares_condition(X)``: the condition number of the least-squares Hessian ``X'X``,
  ``lambda_max / lambda_min`` of its eigenvalues (``numpy.linalg.cond`` is not allowed).
* ``standardize(X)``: every column minus its mean, divided by its standard deviation (``ddof=0``);
  a constant column (all its values equal) becomes exactly zeros, even where round-off makes its
  computed standard deviation a tiny nonzero number. Return a new array.

Features on very different scales give ``X'X`` a huge condition number (long, thin elliptical
contours); standardising makes the contours rounder and steepest descent needs far fewer steps.

Example::

    >>> g, H = np.array([1.0, 1.0]), np.diag([1.0, 3.0])
    >>> optimal_step(g, H)                 # g'g = 2, g'Hg = 4
    0.5
    >>> taylor_change(g, H, 1.0)           # -1 * 2 + 0.5 * 1 * 4
    0.0
    >>> classify_critical_point(np.diag([2.0, -1.0]))
    'saddle'
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch


def hvp(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, v: torch.Tensor
) -> torch.Tensor:
    """``H(x) @ v`` by double backward, shape (n,)."""
    raise NotImplementedError("hvp")


def hessian(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """The (n, n) Hessian of ``f`` at ``x``, one Hessian-vector product per column."""
    raise NotImplementedError("hessian")


def taylor_change(g: np.ndarray, H: np.ndarray, eps: float) -> float:
    """Second-order prediction of f(x - eps * g) - f(x)."""
    raise NotImplementedError("taylor_change")


def optimal_step(g: np.ndarray, H: np.ndarray) -> float:
    """The step size along -g that minimises the quadratic model (inf if it has no minimum)."""
    raise NotImplementedError("optimal_step")


def steepest_descent_iterations(
    A: np.ndarray, b: np.ndarray, *, tol: float = 1e-8, max_iter: int = 100_000
) -> int:
    """Steps of exact-line-search steepest descent on 0.5 x'Ax - b'x until ||g|| <= tol ||b||."""
    raise NotImplementedError("steepest_descent_iterations")


def classify_critical_point(H: np.ndarray, tol: float = 1e-8) -> str:
    """'minimum', 'maximum', 'saddle' or 'degenerate', from the eigenvalues of H."""
    raise NotImplementedError("classify_critical_point")


def least_squares_condition(X: np.ndarray) -> float:
    """lambda_max / lambda_min of X'X."""
    raise NotImplementedError("least_squares_condition")


def standardize(X: np.ndarray) -> np.ndarray:
    """Columns shifted to mean 0 and scaled to standard deviation 1 (constant columns -> 0)."""
    raise NotImplementedError("standardize")
