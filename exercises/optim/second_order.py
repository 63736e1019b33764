"""Second-order methods: damped Newton, conjugate gradient (with a diagonal preconditioner), BFGS
and L-BFGS.

Source question: 38. 二阶近似方法: 牛顿法，共轭梯度，BFGS 等的做法 (s004-08; also s001-20
"Q20: 为什么深度学习不使用二阶优化" and s004-09 "39. Hessian 的标准化对于高阶优化算法的意义").

All arrays are NumPy float64; vectors have shape ``(n,)``, matrices ``(n, n)``. Do not modify
the inputs.

**Damped Newton.** ``newton_step(grad, hess, damping=0.0)`` returns the step
``-(hess + damping * I)^-1 @ grad`` -- solve the linear system, don't invert. Adding ``damping``
to the *diagonal* lifts every eigenvalue by ``damping``: near a saddle (where plain Newton may step
uphill) a damping larger than ``-lambda_min`` makes the step a descent direction, and a large
damping turns it into a short gradient step ``-grad / damping``.

``newton_minimize(grad_fn, hess_fn, x0, *, damping=0.0, tol=1e-10, max_iter=100)`` repeats
``x = x + newton_step(grad_fn(x), hess_fn(x), damping)`` from ``x0`` and stops as soon as
``||grad_fn(x)|| <= tol``. Return ``(x, steps)``; ``steps`` is the number of steps taken (0 when
``x0`` already satisfies the test, ``max_iter`` at most). On a quadratic with positive definite
Hessian, one undamped step lands exactly on the minimum.

**Conjugate gradient.** ``conjugate_gradient(matvec, b, *, inv_diag=None, tol=1e-10,
max_iter=None)`` solves ``A x = b`` for a symmetric positive definite ``A`` that you can only
touch through ``matvec(v) = A @ v``. Start at ``x = 0`` and stop when ``||r|| <= tol * ||b||``,
where ``r = b - A x`` is the residual, or after ``max_iter`` iterations (default ``n``). Call
``matvec`` exactly once per iteration (keep the residual up to date instead of recomputing it).
Return ``(x, iterations)``. In exact arithmetic CG finishes in at most ``n`` iterations -- in
fact in at most ``k`` when ``A`` has only ``k`` distinct eigenvalues -- because each new search
direction is made ``A``-conjugate to all the previous ones.

With ``inv_diag`` (an ``(n,)`` array, normally ``1 / diag(A)``) run *preconditioned* CG with the
Jacobi preconditioner ``M^-1 = diag(inv_diag)``: the preconditioned residual ``z = inv_diag * r``
takes the place of ``r`` in the search directions and in the step and ``beta`` formulas
(``r . z`` instead of ``r . r``). This is CG on the diagonally rescaled matrix
``D^-1/2 A D^-1/2``: for badly scaled problems it needs far fewer iterations.

**BFGS.** ``bfgs_update(H_inv, s, y)`` returns the BFGS update of an approximation ``H_inv`` of the
*inverse* Hessian, from the step ``s = x_new - x_old`` and the gradient change ``y = g_new -
g_old`` (assume ``s . y > 0``)::

    rho = 1 / (y . s)
    H_new = (I - rho * s y') @ H_inv @ (I - rho * y s') + rho * s s'

The result is symmetric and satisfies the secant condition ``H_new @ y = s``.

**L-BFGS.** ``lbfgs_two_loop(grad, s_history, y_history)`` returns ``H @ grad`` (the search
direction is its negative), where ``H`` is what ``bfgs_update`` would build starting from
``H0 = gamma * I`` and applying the pairs ``(s_history[i], y_history[i])`` from the oldest
(index 0) to the newest (index -1), with ``gamma = (s . y) / (y . y)`` of the *newest* pair. With
empty histories return ``grad`` itself (``H0 = I``). Compute it with the two-loop recursion, in
``O(m n)`` time and memory for ``m`` pairs -- never form an ``n x n`` matrix (``n`` may be a
million).

Example::

    >>> newton_step(np.array([2.0, -3.0]), np.diag([2.0, 1.0]))        # -[2/2, -3/1]
    array([-1.,  3.])
    >>> newton_step(np.array([2.0, -3.0]), np.diag([2.0, 1.0]), 2.0)   # -[2/4, -3/3]
    array([-0.5,  1. ])
    >>> x, iterations = conjugate_gradient(lambda v: np.diag([1.0, 1.0, 4.0]) @ v, np.ones(3))
    >>> x, iterations                                                  # 2 distinct eigenvalues
    (array([1.  , 1.  , 0.25]), 2)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def newton_step(grad: np.ndarray, hess: np.ndarray, damping: float = 0.0) -> np.ndarray:
    """The damped Newton step -(hess + damping I)^-1 grad."""
    raise NotImplementedError("newton_step")


def newton_minimize(
    grad_fn: Callable[[np.ndarray], np.ndarray],
    hess_fn: Callable[[np.ndarray], np.ndarray],
    x0: np.ndarray,
    *,
    damping: float = 0.0,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> tuple[np.ndarray, int]:
    """Damped Newton iterations from x0 until the gradient norm is at most tol."""
    raise NotImplementedError("newton_minimize")


def conjugate_gradient(
    matvec: Callable[[np.ndarray], np.ndarray],
    b: np.ndarray,
    *,
    inv_diag: np.ndarray | None = None,
    tol: float = 1e-10,
    max_iter: int | None = None,
) -> tuple[np.ndarray, int]:
    """Solve A x = b by (optionally Jacobi-preconditioned) conjugate gradient."""
    raise NotImplementedError("conjugate_gradient")


def bfgs_update(H_inv: np.ndarray, s: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The BFGS update of the inverse-Hessian approximation H_inv."""
    raise NotImplementedError("bfgs_update")


def lbfgs_two_loop(
    grad: np.ndarray, s_history: Sequence[np.ndarray], y_history: Sequence[np.ndarray]
) -> np.ndarray:
    """H @ grad for the L-BFGS inverse-Hessian approximation, by the two-loop recursion."""
    raise NotImplementedError("lbfgs_two_loop")
