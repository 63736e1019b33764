"""Hidden grader for optim/second_order.

Oracles: numpy.linalg.solve for Newton steps and linear systems; the minimiser (1, 1) of the
Rosenbrock function; the expanded form of the BFGS inverse update,
``H + (s'y + y'Hy) ss' / (s'y)**2 - (Hys' + sy'H) / s'y`` (algebraically equal to the product
form in the statement); for L-BFGS the explicit matrix built by repeated BFGS updates from
``gamma * I``; and, for iteration counts, the convergence theory of CG (at most one iteration per
distinct eigenvalue) and a simulation of the stated algorithm. ``matvec`` is instrumented to
count its calls.
"""

from __future__ import annotations

import numpy as np
import pytest

from katakit import misconceptions
from katakit.checks import (
    as_array,
    as_number,
    assert_close,
    assert_unchanged,
    describe,
    fail,
    rng,
    snapshot,
)

MISTAKES = misconceptions.of(__file__)


def with_eigenvalues(gen, eigenvalues):
    q, _ = np.linalg.qr(gen.normal(size=(len(eigenvalues), len(eigenvalues))))
    return q @ np.diag(eigenvalues) @ q.T


def result_pair(result, what):
    """Unpack ``(x, count)`` from the learner, with a clear message when it is something else."""
    try:
        x, count = result
    except (TypeError, ValueError):
        fail(f"{what}: expected a pair (x, count), got {type(result).__name__}")
    return as_array(x, f"{what}: x"), as_number(count, f"{what}: count")


# -- damped Newton --------------------------------------------------------------------------------


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "seed, eigenvalues, damping",
    [
        (11, [0.5, 2.0, 4.0], 0.0),
        (12, [0.1, 1.0, 3.0, 10.0], 0.5),
        (13, [-1.0, 0.5, 2.0], 1.5),  # indefinite: damping 1.5 > 1 makes H + damping*I positive
    ],
)
def test_newton_step_solves_the_damped_system(kata, seed, eigenvalues, damping):
    gen = rng(seed)
    H = with_eigenvalues(gen, eigenvalues)
    g = gen.normal(size=len(eigenvalues))
    step = kata.newton_step(g.copy(), H.copy(), damping)
    eye = np.eye(len(g))
    expected = np.linalg.solve(H + damping * eye, -g)
    mistakes = {
        MISTAKES["newton-step-uphill"]: -expected,
    }
    if damping:
        mistakes.update(
            {
                MISTAKES["damping-on-every-entry"]: np.linalg.solve(H + damping, -g),
                MISTAKES["damping-subtracted"]: (np.linalg.solve(H - damping * eye, -g)),
                MISTAKES["damping-ignored"]: np.linalg.solve(H, -g),
            }
        )
    assert_close(
        step,
        expected,
        what="newton_step",
        where=describe(seed, H=H, damping=damping) + f", eigenvalues {eigenvalues}",
        rtol=1e-9,
        atol=1e-12,
        misconceptions=mistakes,
    )
    if min(eigenvalues) < 0 and float(as_array(step, "step") @ g) >= 0:
        fail("with damping > -lambda_min the damped Newton step must be a descent direction")


class Counted:
    """Wrap a function and count its calls."""

    def __init__(self, function):
        self.function, self.calls = function, 0

    def __call__(self, x):
        self.calls += 1
        return self.function(np.array(x, dtype=float))


def quadratic_problem(seed):
    gen = rng(seed)
    A = with_eigenvalues(gen, [0.01, 1.0, 5.0, 100.0])
    b = gen.normal(size=4)
    return A, b, gen.normal(size=4)


@pytest.mark.points(1)
def test_newton_minimize_takes_one_step_on_a_quadratic(kata):
    seed = 21
    A, b, x0 = quadratic_problem(seed)
    grad, hess = Counted(lambda x: A @ x - b), Counted(lambda x: A)
    x, steps = result_pair(kata.newton_minimize(grad, hess, x0.copy(), tol=1e-8), "newton_minimize")
    assert_close(
        x,
        np.linalg.solve(A, b),
        what="newton_minimize on 0.5 x'Ax - b'x",
        where=describe(seed, A=A) + "; expected the minimiser A^-1 b",
        rtol=1e-8,
        atol=1e-10,
    )
    if steps != 1 or hess.calls != 1:
        fail(
            f"one Newton step reaches the minimum of a quadratic: expected steps = 1 and one "
            f"Hessian evaluation, got steps = {steps:g} and {hess.calls} Hessian calls"
        )


@pytest.mark.points(1)
def test_newton_minimize_takes_no_step_from_the_minimum(kata):
    # The start is the grader's own minimiser, so that this test judges the stopping rule alone:
    # the gradient test comes at the top of each pass, before any step.
    seed = 21
    A, b, _ = quadratic_problem(seed)
    x_star = np.linalg.solve(A, b)
    _, steps = result_pair(
        kata.newton_minimize(lambda x: A @ x - b, lambda x: A, x_star.copy(), tol=1e-8),
        "newton_minimize",
    )
    if steps != 0:
        fail(
            f"starting at the minimum A^-1 b (||grad|| = {np.linalg.norm(A @ x_star - b):.2g} "
            f"<= tol 1e-8), expected 0 steps, got {steps:g} [{describe(seed, A=A)}]; test the "
            "gradient before each step, not after it"
        )


def rosenbrock_grad(x):
    return np.array([-400 * x[0] * (x[1] - x[0] ** 2) - 2 * (1 - x[0]), 200 * (x[1] - x[0] ** 2)])


def rosenbrock_hess(x):
    return np.array([[1200 * x[0] ** 2 - 400 * x[1] + 2, -400 * x[0]], [-400 * x[0], 200.0]])


def simulate_newton(x0, damping, tol, max_iter):
    x = np.array(x0, dtype=float)
    for steps in range(max_iter):
        g = rosenbrock_grad(x)
        if np.linalg.norm(g) <= tol:
            return steps
        x = x + np.linalg.solve(rosenbrock_hess(x) + damping * np.eye(2), -g)
    return max_iter


@pytest.mark.points(1)
@pytest.mark.parametrize("x0, damping", [((-1.2, 1.0), 0.0), ((2.0, 2.0), 1e-3), ((0.0, 1.0), 1.0)])
def test_damped_newton_reaches_the_rosenbrock_minimum(kata, x0, damping):
    # (0, 1) starts where the Hessian is indefinite (eigenvalues -398 and 200).
    x, steps = result_pair(
        kata.newton_minimize(
            rosenbrock_grad, rosenbrock_hess, np.array(x0), damping=damping, max_iter=200
        ),
        "newton_minimize",
    )
    where = f"Rosenbrock (1 - x)**2 + 100 (y - x**2)**2 from {x0}, damping {damping}"
    assert_close(
        x, np.ones(2), what="the point newton_minimize returned", where=where, rtol=0, atol=1e-7
    )
    expected = simulate_newton(x0, damping, 1e-10, 200)
    if abs(steps - expected) > 1:
        fail(f"steps: expected {expected} (plus or minus 1), got {steps:g} [{where}]")


@pytest.mark.points(1)
def test_newton_minimize_stops_after_max_iter_steps(kata):
    # Counted, not compared: the point reached after 3 steps depends on newton_step, which
    # test_newton_step_solves_the_damped_system judges.
    x0, max_iter = (-1.2, 1.0), 3
    hess = Counted(rosenbrock_hess)
    _, steps = result_pair(
        kata.newton_minimize(rosenbrock_grad, hess, np.array(x0), max_iter=max_iter),
        "newton_minimize",
    )
    where = f"Rosenbrock from {x0}, max_iter={max_iter}, tol 1e-10 (not reached in 3 steps)"
    if steps != max_iter:
        fail(f"steps: expected {max_iter} (max_iter caps the steps taken), got {steps:g} [{where}]")
    if hess.calls > max_iter:
        fail(
            f"newton_minimize reported {steps:g} steps but evaluated the Hessian {hess.calls} "
            f"times: max_iter caps the steps taken, one Hessian each [{where}]"
        )


# -- conjugate gradient ---------------------------------------------------------------------------


def run_cg(kata, A, b, **kwargs):
    """The learner's (x, iterations) for A x = b, on copies of the inputs. How often matvec is
    called, and whether inputs are left alone, are judged by tests of their own."""
    kwargs = {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    return result_pair(
        kata.conjugate_gradient(lambda v: A @ v, b.copy(), **kwargs), "conjugate_gradient"
    )


@pytest.mark.points(1)
def test_cg_calls_matvec_once_per_iteration(kata):
    seed, n = 34, 8
    gen = rng(seed)
    A = with_eigenvalues(gen, gen.uniform(1.0, 10.0, n))
    for inv_diag in (None, 1.0 / np.diag(A)):
        matvec = Counted(lambda v: A @ v)
        _, iterations = result_pair(
            kata.conjugate_gradient(matvec, gen.normal(size=n), inv_diag=inv_diag),
            "conjugate_gradient",
        )
        if matvec.calls > iterations + 1:
            kind = "plain" if inv_diag is None else "preconditioned"
            fail(
                f"{kind} conjugate_gradient called matvec {matvec.calls} times in "
                f"{iterations:g} iterations [{describe(seed, A=A)}]; one call per iteration is "
                "enough (update the residual, r -= alpha * A p)"
            )


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, n", [(31, 5), (32, 8), (33, 12)])
def test_cg_solves_spd_systems_within_n_iterations(kata, seed, n):
    gen = rng(seed)
    A = with_eigenvalues(gen, gen.uniform(1.0, 10.0, n))
    b = gen.normal(size=n)
    x, iterations = run_cg(kata, A, b)
    where = describe(seed, A=A) + ", eigenvalues in [1, 10], tol 1e-10"
    residual = np.linalg.norm(A @ x - b) / np.linalg.norm(b)
    if iterations > n or residual > 1e-8:
        hint = (
            "\n  A residual left after n iterations means the search directions are not "
            "A-conjugate: p = r_new + beta * p with beta = (r_new . r_new) / (r . r), new over old."
        )
        fail(
            f"conjugate_gradient: expected ||Ax - b|| / ||b|| <= 1e-8 within n = {n} iterations, "
            f"got {residual:.3g} after {iterations:g} [{where}]{hint}"
        )
    assert_close(
        x, np.linalg.solve(A, b), what="conjugate_gradient: x", where=where, rtol=1e-7, atol=1e-9
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, distinct", [(41, [1.0, 3.0]), (42, [0.5, 2.0, 7.0, 20.0])])
def test_cg_needs_one_iteration_per_distinct_eigenvalue(kata, seed, distinct):
    n = 40
    gen = rng(seed)
    A = with_eigenvalues(gen, gen.permutation(np.resize(distinct, n)))
    b = gen.normal(size=n)
    x, iterations = run_cg(kata, A, b)
    k = len(distinct)
    where = describe(seed, A=A) + f", {k} distinct eigenvalues {distinct}"
    if iterations > k + 1:
        fail(
            f"conjugate_gradient: expected at most {k} iterations (one per distinct eigenvalue, "
            f"plus one for rounding), got {iterations:g} [{where}]\n  Many more iterations mean "
            "the search directions are not A-conjugate: check beta = (r_new . r_new) / (r . r) "
            "(new over old) and p = r_new + beta * p."
        )
    assert_close(
        x, np.linalg.solve(A, b), what="conjugate_gradient: x", where=where, rtol=1e-7, atol=1e-9
    )


def simulate_cg(A, b, inv_diag, tol, max_iter):
    """The statement's algorithm, for exact intermediate states and iteration counts."""
    x, r = np.zeros(len(b)), b.copy()
    z = r if inv_diag is None else inv_diag * r
    p, rz = z.copy(), r @ z
    for k in range(max_iter):
        if np.linalg.norm(r) <= tol * np.linalg.norm(b):
            return x, k
        Ap = A @ p
        alpha = rz / (p @ Ap)
        x, r = x + alpha * p, r - alpha * Ap
        z = r if inv_diag is None else inv_diag * r
        p, rz = z + (r @ z) / rz * p, r @ z
    return x, max_iter


@pytest.mark.points(1)
def test_cg_stops_at_max_iter_and_at_b_zero(kata):
    seed, n = 51, 10
    gen = rng(seed)
    A = with_eigenvalues(gen, np.geomspace(1.0, 1000.0, n))
    b = gen.normal(size=n)
    matvec = Counted(lambda v: A @ v)
    _, iterations = result_pair(
        kata.conjugate_gradient(matvec, b.copy(), max_iter=3), "conjugate_gradient"
    )
    if iterations != 3:
        fail(
            "with max_iter=3 on a problem that needs more, expected 3 iterations, "
            f"got {iterations:g} [{describe(seed, A=A)}]"
        )
    if matvec.calls > 4:
        fail(
            f"with max_iter=3, conjugate_gradient reported 3 iterations but called matvec "
            f"{matvec.calls} times: max_iter caps the iterations [{describe(seed, A=A)}]"
        )
    x, iterations = run_cg(kata, A, np.zeros(n))
    if iterations != 0 or np.any(x != 0):
        fail(
            "with b = 0, x = 0 is the solution: expected 0 iterations and x = 0, "
            f"got {iterations:g}"
        )


@pytest.mark.points(1)
def test_cg_iterates_follow_the_stated_algorithm(kata):
    seed, n = 53, 10
    gen = rng(seed)
    A = with_eigenvalues(gen, np.geomspace(1.0, 1000.0, n))
    b = gen.normal(size=n)
    for k in (1, 2, 3):
        x, _ = run_cg(kata, A, b, max_iter=k)
        expected, _ = simulate_cg(A, b, None, 1e-10, k)
        assert_close(
            x,
            expected,
            what=f"x after {k} CG iteration{'s' if k > 1 else ''} from x = 0 (max_iter={k})",
            where=describe(seed, A=A),
            rtol=1e-8,
            atol=1e-10,
        )


@pytest.mark.points(1)
def test_cg_tolerance_is_relative_to_b(kata):
    # ||r|| <= tol * ||b||: a tiny right-hand side must be solved as accurately as any other.
    # An absolute test, ||r|| <= tol, is met at once by x = 0 when ||b|| is about 1e-12. The
    # learner's own solve of the unscaled system is the oracle: scaling b by 2**-40 (exact in
    # floating point) must scale x by 2**-40 and leave the iterations as they were, whatever the
    # iterations themselves (the other CG tests judge those).
    seed, n, scale = 52, 8, 2.0**-40
    gen = rng(seed)
    A = with_eigenvalues(gen, gen.uniform(1.0, 10.0, n))
    b = gen.normal(size=n)
    x, iterations = run_cg(kata, A, b)
    x_small, iterations_small = run_cg(kata, A, scale * b)
    where = describe(seed, A=A, b=b) + (
        f", tol 1e-10; b and b * 2**-40 (norm {np.linalg.norm(scale * b):.2g}) took "
        f"{iterations:g} and {iterations_small:g} iterations"
    )
    if iterations_small != iterations:
        matched = MISTAKES["cg-absolute-tolerance"] if iterations_small == 0 else None
        fail(
            f"conjugate_gradient: a right-hand side scaled by 2**-40 must take the same "
            f"iterations as the original [{where}]",
            matched,
        )
    assert_close(
        x_small,
        scale * x,
        what="conjugate_gradient: x for b * 2**-40 (expected your x for b, times 2**-40)",
        where=where,
        rtol=1e-9,
        atol=1e-30,
        misconceptions={MISTAKES["cg-absolute-tolerance"]: np.zeros(n)},
    )


@pytest.mark.points(2)
def test_jacobi_preconditioning_fixes_a_badly_scaled_system(kata):
    # A = D B D: a well-conditioned B hidden behind feature scales from 1e-2 to 1e2 (cond(A) ~ 1e8).
    # Plain CG needs hundreds of iterations; Jacobi-preconditioned CG about as many as CG on B.
    seed, n = 61, 50
    gen = rng(seed)
    B = with_eigenvalues(gen, np.geomspace(1.0, 10.0, n))
    D = np.diag(gen.permutation(np.geomspace(1e-2, 1e2, n)))
    A = D @ B @ D
    b = gen.normal(size=n)
    inv_diag = 1.0 / np.diag(A)
    x, iterations = run_cg(kata, A, b, inv_diag=inv_diag)
    _, expected = simulate_cg(A, b, inv_diag, 1e-10, n)
    _, unpreconditioned = simulate_cg(A, b, None, 1e-10, 10 * n)
    plain = f"{unpreconditioned}" if unpreconditioned < 10 * n else f"over {10 * n}"
    where = describe(seed, A=A) + f", Jacobi preconditioner; plain CG needs {plain} iterations"
    residual = np.linalg.norm(A @ x - b) / np.linalg.norm(b)
    if residual > 1e-9 or abs(iterations - expected) > 3:
        fail(
            f"preconditioned CG: expected about {expected} iterations and ||Ax - b|| / ||b|| <= "
            f"1e-9, got {iterations:g} iterations and {residual:.3g} [{where}]\n  With a "
            "preconditioner z = inv_diag * r replaces r in the direction update (p = z + beta p) "
            "and in both ratios: alpha = (r . z) / (p . A p), beta = (r_new . z_new) / (r . z)."
        )


# -- BFGS and L-BFGS -------------------------------------------------------------------------------


def bfgs_expanded(H, s, y):
    sy = s @ y
    Hy = H @ y
    return H + (sy + y @ Hy) * np.outer(s, s) / sy**2 - (np.outer(Hy, s) + np.outer(s, Hy)) / sy


def curvature_pairs(seed, n, m):
    """m pairs (s, y = A_k s) with a different SPD A_k each time, so s'y > 0."""
    gen = rng(seed)
    pairs = []
    for _ in range(m):
        s = gen.normal(size=n)
        A = with_eigenvalues(gen, gen.uniform(0.2, 5.0, n))
        pairs.append((s, A @ s))
    return [p[0] for p in pairs], [p[1] for p in pairs]


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, n, start", [(71, 3, "identity"), (72, 6, "spd")])
def test_bfgs_update_matches_the_expanded_formula(kata, seed, n, start):
    gen = rng(seed)
    H = np.eye(n) if start == "identity" else with_eigenvalues(gen, gen.uniform(0.5, 3.0, n))
    (s,), (y,) = curvature_pairs(seed + 100, n, 1)
    got = kata.bfgs_update(H.copy(), s.copy(), y.copy())
    rho = 1 / (s @ y)
    left = np.eye(n) - rho * np.outer(s, y)
    Hy = H @ y
    assert_close(
        got,
        bfgs_expanded(H, s, y),
        what="bfgs_update",
        where=describe(seed, H=H, s=s, y=y),
        rtol=1e-9,
        atol=1e-12,
        misconceptions={
            MISTAKES["bfgs-rank-one-subtracted"]: (left @ H @ left.T - rho * np.outer(s, s)),
            MISTAKES["bfgs-plus-rho"]: (
                (np.eye(n) + rho * np.outer(s, y)) @ H @ (np.eye(n) + rho * np.outer(y, s))
                + rho * np.outer(s, s)
            ),
            MISTAKES["bfgs-s-y-swapped"]: (
                (np.eye(n) - rho * np.outer(y, s)) @ H @ (np.eye(n) - rho * np.outer(s, y))
                + rho * np.outer(y, y)
            ),
            MISTAKES["dfp-update"]: (H + np.outer(s, s) * rho - np.outer(Hy, Hy) / (y @ Hy)),
        },
    )


@pytest.mark.points(1)
def test_bfgs_update_keeps_symmetry_secant_and_positive_definiteness(kata):
    seed, n = 73, 5
    S, Y = curvature_pairs(seed, n, 6)
    H = np.eye(n)
    for k, (s, y) in enumerate(zip(S, Y, strict=True)):
        H = as_array(kata.bfgs_update(H, s, y), "bfgs_update")
        where = f"seed {seed}, after update {k + 1} of {len(S)} starting from I"
        assert_close(
            H @ y,
            s,
            what="H_new @ y (the secant condition says s)",
            where=where,
            rtol=1e-8,
            atol=1e-10,
        )
        assert_close(
            H, H.T, what="H_new against its transpose", where=where, rtol=1e-10, atol=1e-12
        )
        if np.linalg.eigvalsh(H).min() <= 0:
            fail(f"H_new is not positive definite [{where}]; with s'y > 0 BFGS keeps it so")


def explicit_lbfgs(grad, S, Y, gamma=None):
    if not S:
        return grad.copy()
    gamma = (S[-1] @ Y[-1]) / (Y[-1] @ Y[-1]) if gamma is None else gamma
    H = gamma * np.eye(len(grad))
    for s, y in zip(S, Y, strict=True):
        H = bfgs_expanded(H, s, y)
    return H @ grad


def two_loop_wrong_order(grad, S, Y):
    m = len(S)
    rho = [1 / (Y[i] @ S[i]) for i in range(m)]
    alpha, q = [0.0] * m, grad.copy()
    for i in range(m):
        alpha[i] = rho[i] * (S[i] @ q)
        q = q - alpha[i] * Y[i]
    r = (S[-1] @ Y[-1]) / (Y[-1] @ Y[-1]) * q
    for i in reversed(range(m)):
        r = r + (alpha[i] - rho[i] * (Y[i] @ r)) * S[i]
    return r


def lbfgs_mistakes(grad, S, Y):
    return {
        MISTAKES["two-loop-wrong-order"]: two_loop_wrong_order(grad, S, Y),
        MISTAKES["gamma-from-oldest-pair"]: explicit_lbfgs(
            grad, S, Y, (S[0] @ Y[0]) / (Y[0] @ Y[0])
        ),
        MISTAKES["h0-not-scaled"]: (explicit_lbfgs(grad, S, Y, 1.0)),
        MISTAKES["two-loop-returns-minus"]: -explicit_lbfgs(grad, S, Y),
    }


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, n, m", [(81, 4, 2), (82, 7, 3), (83, 10, 6)])
def test_two_loop_equals_the_explicit_bfgs_matrix(kata, seed, n, m):
    S, Y = curvature_pairs(seed, n, m)
    grad = rng(seed + 1).normal(size=n)
    got = kata.lbfgs_two_loop(grad.copy(), [s.copy() for s in S], [y.copy() for y in Y])
    assert_close(
        got,
        explicit_lbfgs(grad, S, Y),
        what=f"lbfgs_two_loop with {m} pairs",
        where=describe(seed, grad=grad)
        + "; expected H @ grad, H built by BFGS updates from gamma I",
        rtol=1e-9,
        atol=1e-12,
        misconceptions=lbfgs_mistakes(grad, S, Y),
    )


@pytest.mark.points(1)
def test_two_loop_with_no_history_returns_the_gradient(kata):
    grad = np.array([1.0, -2.0, 0.5])
    assert_close(
        kata.lbfgs_two_loop(grad, [], []), grad, what="lbfgs_two_loop with no pairs", where="H0 = I"
    )


@pytest.mark.points(1)
def test_two_loop_scales_to_a_million_parameters(kata):
    # The pairs live in the first 12 coordinates: there H is the explicit 12 x 12 BFGS matrix, and
    # on every other coordinate H acts as gamma * I. An n x n matrix would need 8 terabytes.
    seed, n, small, m = 91, 1_000_000, 12, 5
    S_small, Y_small = curvature_pairs(seed, small, m)
    S, Y = [], []
    for s, y in zip(S_small, Y_small, strict=True):
        S.append(np.concatenate([s, np.zeros(n - small)]))
        Y.append(np.concatenate([y, np.zeros(n - small)]))
    grad = rng(seed + 1).normal(size=n)
    gamma = (S_small[-1] @ Y_small[-1]) / (Y_small[-1] @ Y_small[-1])
    expected = np.concatenate(
        [explicit_lbfgs(grad[:small], S_small, Y_small), gamma * grad[small:]]
    )
    assert_close(
        kata.lbfgs_two_loop(grad, S, Y),
        expected,
        what=f"lbfgs_two_loop with n = {n} and {m} pairs",
        where=f"seed {seed}; the pairs span the first {small} coordinates",
        rtol=1e-9,
        atol=1e-12,
    )


# -- inputs ---------------------------------------------------------------------------------------


@pytest.mark.points(1)
def test_inputs_are_left_unchanged(kata):
    # The other tests pass copies; this one alone checks the statement's "do not modify the
    # inputs", function by function.
    seed, n = 95, 5
    gen = rng(seed)
    A = with_eigenvalues(gen, gen.uniform(1.0, 10.0, n))
    g, x0, b = gen.normal(size=n), gen.normal(size=n), gen.normal(size=n)
    inv_diag = 1.0 / np.diag(A)
    S, Y = curvature_pairs(seed, n, 3)
    H = np.eye(n)
    calls = [
        ("newton_step", lambda: kata.newton_step(g, A, 0.5), {"grad": g, "hess": A}),
        (
            "newton_minimize",
            lambda: kata.newton_minimize(lambda x: A @ x - b, lambda x: A, x0),
            {"x0": x0},
        ),
        (
            "conjugate_gradient",
            lambda: kata.conjugate_gradient(lambda v: A @ v, b, inv_diag=inv_diag),
            {"b": b, "inv_diag": inv_diag},
        ),
        (
            "bfgs_update",
            lambda: kata.bfgs_update(H, S[0], Y[0]),
            {"H_inv": H, "s": S[0], "y": Y[0]},
        ),
        (
            "lbfgs_two_loop",
            lambda: kata.lbfgs_two_loop(g, S, Y),
            {"grad": g}
            | {f"s_history[{i}]": s for i, s in enumerate(S)}
            | {f"y_history[{i}]": y for i, y in enumerate(Y)},
        ),
    ]
    for name, call, inputs in calls:
        before = snapshot(**inputs)
        call()
        try:
            assert_unchanged(before, **inputs)
        except AssertionError as exc:
            fail(f"{name}: {exc}")
