"""Hidden grader for optim/curvature.

Oracles: torch.autograd.functional.hessian for Hessian-vector products and Hessians; the quadratic
itself, evaluated directly, for the Taylor change and the optimal step (a golden-section search
along -g); numpy.linalg.eigvalsh of matrices built with known eigenvalues for the classification;
numpy.linalg.cond (singular values, squared) for the condition numbers; and a simulation of the
stated steepest-descent loop for the iteration counts.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.autograd.functional import hessian as torch_hessian

from katakit import misconceptions
from katakit.checks import (
    as_number,
    assert_close,
    assert_equal,
    assert_unchanged,
    describe,
    fail,
    rng,
    snapshot,
)
from katakit.sandbox import probe

MISTAKES = misconceptions.of(__file__)


def spd(gen, n, low, high):
    """A random symmetric matrix with eigenvalues spread geometrically from low to high."""
    q, _ = np.linalg.qr(gen.normal(size=(n, n)))
    return q @ np.diag(np.geomspace(low, high, n)) @ q.T


def with_eigenvalues(gen, eigenvalues):
    q, _ = np.linalg.qr(gen.normal(size=(len(eigenvalues), len(eigenvalues))))
    return q @ np.diag(eigenvalues) @ q.T


# -- Hessian-vector products -----------------------------------------------------------------------


def gradient(f, x):
    z = x.clone().requires_grad_(True)
    return torch.autograd.grad(f(z), z)[0].numpy()


@probe
def sample_function(name, A, c, W1, W2):
    """One sample function, built where it is called: through ``sample_function.there()`` on the
    learner's side, where hvp and hessian differentiate it (autograd cannot reach a function of
    the grader's process); through ``sample_function.function`` here, for the oracle."""
    functions = {
        "quadratic 0.5 x'Ax + c'x (indefinite A)": lambda x: 0.5 * x @ A @ x + c @ x,
        "n-dimensional Rosenbrock": lambda x: torch.sum(
            100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2
        ),
        "logsumexp(W1 x) + 0.1 ||x||^4": lambda x: torch.logsumexp(W1 @ x, 0) + 0.1 * (x @ x) ** 2,
        "a small tanh network, sum(tanh(W2 tanh(W1 x)))": lambda x: torch.tanh(
            W2 @ torch.tanh(W1 @ x)
        ).sum(),
    }
    return functions[name]


SAMPLE_NAMES = [
    "quadratic 0.5 x'Ax + c'x (indefinite A)",
    "n-dimensional Rosenbrock",
    "logsumexp(W1 x) + 0.1 ||x||^4",
    "a small tanh network, sum(tanh(W2 tanh(W1 x)))",
]


def sample_functions(seed, n, index):
    """Sample function ``index``: its name, the function here (for the oracle) and the same
    function on the learner's side (for the learner's hvp and hessian)."""
    gen = rng(seed)
    A = torch.tensor(with_eigenvalues(gen, gen.normal(size=n)))
    c = torch.tensor(gen.normal(size=n))
    W1 = torch.tensor(gen.normal(size=(4, n)) / math.sqrt(n))
    W2 = torch.tensor(gen.normal(size=(3, 4)))
    name = SAMPLE_NAMES[index]
    here = sample_function.function(name, A, c, W1, W2)
    there = sample_function.there()(name, A, c, W1, W2)
    return name, here, there


@pytest.mark.points(1)
@pytest.mark.parametrize("index", range(4))
def test_hvp_matches_the_explicit_hessian(kata, index):
    seed, n = 11 + index, 6
    name, f, f_there = sample_functions(seed, n, index)
    gen = rng(seed + 100)
    x = torch.tensor(gen.normal(size=n))
    v = torch.tensor(gen.normal(size=n))
    result = kata.hvp(f_there, x.clone(), v.clone())
    H = torch_hessian(f, x).numpy()
    assert_close(
        result,
        H @ v.numpy(),
        what=f"hvp for {name}",
        where=describe(seed, x=x, v=v),
        rtol=1e-8,
        atol=1e-10,
        misconceptions={
            MISTAKES["hvp-returns-gradient"]: gradient(f, x),
            MISTAKES["hvp-without-create-graph"]: np.zeros(n),
        },
    )


@probe
def hvp_input_facts(hvp):
    """What the learner's hvp did to the caller's x and v (checked where it runs: a tensor's
    requires_grad does not come back across the process boundary)."""
    import torch

    x = torch.tensor([0.3, -1.2, 0.7, 2.0], dtype=torch.float64)
    v = torch.tensor([1.0, 0.5, -2.0, 0.25], dtype=torch.float64)
    x0, v0 = x.clone(), v.clone()
    hvp(lambda z: torch.sum(torch.tanh(z) * z**2) + z[0] * z[3], x, v)
    return {
        "x_changed": not torch.equal(x.detach(), x0),
        "v_changed": not torch.equal(v.detach(), v0),
        "x_requires_grad": bool(x.requires_grad),
        "v_requires_grad": bool(v.requires_grad),
    }


@pytest.mark.points(1)
def test_hvp_leaves_x_and_v_unchanged(kata):
    facts = hvp_input_facts(kata.hvp)
    where = "f = sum(tanh(x) * x**2) + x0 * x3, n = 4"
    for name in ("x", "v"):
        if facts[f"{name}_changed"]:
            fail(f"hvp modified the caller's {name} in place [{where}]; leave it as it is")
        if facts[f"{name}_requires_grad"]:
            fail(
                f"hvp switched on requires_grad of the caller's {name} [{where}]; work on a "
                "detached copy: x = x.detach().requires_grad_(True)"
            )


@probe
def linear_function(z):
    """c'z + 4 with c = (1, -2, 3); passed to the learner's hvp as ``linear_function.there()``."""
    return torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64) @ z + 4.0


@pytest.mark.points(1)
def test_hvp_of_a_linear_function_is_zero(kata):
    x = torch.tensor([0.5, 0.1, -0.3], dtype=torch.float64)
    v = torch.tensor([1.0, 1.0, 1.0], dtype=torch.float64)
    result = kata.hvp(linear_function.there(), x, v)
    assert_close(
        result,
        np.zeros(3),
        what="hvp of the linear function c'x + 4",
        where="its gradient c does not depend on x, so H = 0 (torch's second grad finds no graph)",
    )


@probe
def quartic_chain(z):
    """sum(z**4) / 4 + sum(z[:-1] * z[1:]), for the learner's hvp (``quartic_chain.there()``)."""
    return torch.sum(z**4) / 4 + torch.sum(z[:-1] * z[1:])


@pytest.mark.points(1)
def test_hvp_scales_to_a_million_parameters(kata):
    # f = sum(x**4) / 4 + sum(x[:-1] * x[1:]): H v = 3 x**2 v + (v shifted left + shifted right).
    # Forming H (10^12 entries) or one backward pass per coordinate is out of the question.
    n = 1_000_000
    gen = rng(21)
    x = torch.tensor(gen.normal(size=n))
    v = torch.tensor(gen.normal(size=n))
    expected = 3 * x.numpy() ** 2 * v.numpy()
    expected[:-1] += v.numpy()[1:]
    expected[1:] += v.numpy()[:-1]
    assert_close(
        kata.hvp(quartic_chain.there(), x, v),
        expected,
        what="hvp with 10^6 parameters",
        where=describe(21, x=x) + ", f = sum(x**4)/4 + sum(x[:-1] * x[1:])",
        rtol=1e-8,
        atol=1e-10,
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("index", [1, 3])
def test_hessian_matches_torch(kata, index):
    seed, n = 31 + index, 5
    name, f, f_there = sample_functions(seed, n, index)
    x = torch.tensor(rng(seed).normal(size=n))
    expected = torch_hessian(f, x).numpy()
    assert_close(
        kata.hessian(f_there, x),
        expected,
        what=f"hessian for {name}",
        where=describe(seed, x=x),
        rtol=1e-8,
        atol=1e-10,
    )


# -- quadratic model: Taylor change and optimal step ---------------------------------------------


def quadratic(seed, n, low, high):
    gen = rng(seed)
    H = spd(gen, n, low, high)
    b, x = gen.normal(size=n), gen.normal(size=n)
    return H, b, x, H @ x - b, lambda z: 0.5 * z @ H @ z - b @ z


@pytest.mark.points(1)
def test_taylor_change_is_exact_for_a_quadratic(kata):
    seed = 41
    H, _, x, g, f = quadratic(seed, 5, 0.1, 10.0)
    step = g @ g / (g @ H @ g)
    for eps in (0.0, 0.1 * step, step, 2 * step, 3 * step):
        got = as_number(kata.taylor_change(g, H, eps), "taylor_change")
        expected = f(x - eps * g) - f(x)
        assert_close(
            got,
            expected,
            what=f"taylor_change at eps = {eps:.4g}",
            where=describe(seed, g=g, H=H) + "; expected f(x - eps*g) - f(x) of the quadratic",
            rtol=1e-8,
            atol=1e-12,
            misconceptions={
                MISTAKES["taylor-missing-half"]: (-eps * g @ g + eps**2 * g @ H @ g),
                MISTAKES["taylor-sign-flipped"]: eps * g @ g + 0.5 * eps**2 * g @ H @ g,
            },
        )
    if expected <= 0:
        fail("grader error: a step of 3 times the optimal one should go uphill")


def line_minimum(f, x, g, high):
    """Golden-section search for the minimiser of f(x - eps * g) on [0, high]."""
    ratio = (math.sqrt(5) - 1) / 2
    lo, hi = 0.0, high
    for _ in range(200):
        a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
        if f(x - a * g) < f(x - b * g):
            hi = b
        else:
            lo = a
    return (lo + hi) / 2


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, n, low, high", [(51, 4, 0.5, 2.0), (52, 8, 0.01, 100.0)])
def test_optimal_step_minimises_the_loss_along_the_gradient(kata, seed, n, low, high):
    H, _, x, g, f = quadratic(seed, n, low, high)
    got = as_number(kata.optimal_step(g, H), "optimal_step")
    expected = line_minimum(f, x, g, 2.0 / low)
    assert_close(
        got,
        expected,
        what="optimal_step",
        where=describe(seed, g=g, H=H) + "; expected the minimiser of f(x - eps*g)",
        rtol=1e-6,
        misconceptions={
            MISTAKES["optimal-step-inverted"]: (g @ H @ g) / (g @ g),
            MISTAKES["optimal-step-one-over-lambda-max"]: 1 / high,
        },
    )


@pytest.mark.points(1)
def test_optimal_step_without_positive_curvature(kata):
    gen = rng(53)
    H = with_eigenvalues(gen, [2.0, 1.0, -1.0])
    _, vectors = np.linalg.eigh(H)
    down = vectors[:, 0]  # eigenvalue -1: the model falls forever along it
    flat = with_eigenvalues(gen, [0.0, 0.0, 0.0])
    for g, H_, expected, what in [
        (down, H, math.inf, "g along a direction of negative curvature"),
        (gen.normal(size=3), flat, math.inf, "H = 0 (no curvature at all)"),
        (np.zeros(3), H, 0.0, "g = 0"),
    ]:
        got = as_number(kata.optimal_step(g, H_), "optimal_step")
        if got != expected:
            fail(
                f"optimal_step for {what}: expected {expected}, got {got} [seed 53]; when "
                "g'Hg <= 0 return math.inf, and when g = 0 return 0.0"
            )
    # Indefinite H, but g'Hg = 2 > 0 along this g: the step is finite. (Its value is
    # test_optimal_step_minimises_the_loss_along_the_gradient's promise.)
    got = as_number(kata.optimal_step(vectors[:, 2], H), "optimal_step")
    if not (math.isfinite(got) and got > 0):
        fail(
            f"optimal_step for g along the eigenvalue 2 of an indefinite H: expected a finite "
            f"positive step (g'Hg = 2 > 0), got {got} [seed 53]; decide by the sign of g'Hg, "
            "not by the eigenvalues of H"
        )


def simulate_steepest_descent(A, b, tol, max_iter):
    x = np.zeros(len(b))
    for step in range(max_iter):
        g = A @ x - b
        if np.linalg.norm(g) <= tol * np.linalg.norm(b):
            return step
        x = x - (g @ g) / (g @ A @ g) * g
    return max_iter


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, n, condition", [(61, 5, 10.0), (62, 10, 1000.0)])
def test_steepest_descent_iterations_follow_the_stated_loop(kata, seed, n, condition):
    gen = rng(seed)
    A = spd(gen, n, 1.0, condition)
    b = gen.normal(size=n)
    expected = simulate_steepest_descent(A, b, 1e-8, 100_000)
    got = as_number(kata.steepest_descent_iterations(A, b, tol=1e-8), "iterations")
    if abs(got - expected) > 1:
        fail(
            f"steepest_descent_iterations: expected {expected} (plus or minus 1 for rounding), "
            f"got {got:g} [{describe(seed, A=A)}, condition number {condition:g}, tol 1e-8]"
        )


@pytest.mark.points(1)
def test_steepest_descent_stops_at_max_iter_and_at_the_optimum(kata):
    seed, n = 63, 10
    gen = rng(seed)
    A = spd(gen, n, 1.0, 1000.0)
    b = gen.normal(size=n)
    where = describe(seed, A=A) + ", condition number 1000, tol 1e-8"
    capped = as_number(kata.steepest_descent_iterations(A, b, tol=1e-8, max_iter=3), "iterations")
    if capped != 3:
        fail(f"with max_iter=3 and no convergence, expected 3 steps, got {capped:g} [{where}]")
    done = as_number(kata.steepest_descent_iterations(A, np.zeros(n), tol=1e-8), "iterations")
    if done != 0:
        fail(
            f"with b = 0 the start x = 0 is already optimal: expected 0 steps, got {done:g} "
            f"[{where}]"
        )


# -- critical points -------------------------------------------------------------------------------


def check_classification(kata, H, expected, where):
    eig = np.linalg.eigvalsh(H)
    assert_equal(
        kata.classify_critical_point(H.copy()),
        expected,
        what="classify_critical_point",
        where=f"{where}; eigenvalues {np.round(eig, 10).tolist()}",
        misconceptions={
            MISTAKES["one-eigenvalue-only"]: "maximum" if eig[0] < 0 else "minimum",
        },
    )


@pytest.mark.points(1)
def test_classifies_minima_and_maxima(kata):
    gen = rng(71)
    check_classification(kata, with_eigenvalues(gen, [0.1, 1.0, 30.0]), "minimum", "seed 71")
    check_classification(kata, with_eigenvalues(gen, [-5.0, -0.01]), "maximum", "seed 71")
    check_classification(kata, np.array([[3.0]]), "minimum", "1 x 1")


@pytest.mark.points(2)
def test_classifies_saddles_with_eigenvalues_of_both_signs(kata):
    gen = rng(72)
    # mostly positive with one negative direction; and positive diagonal entries, but indefinite
    check_classification(kata, with_eigenvalues(gen, [-0.5, 2.0, 3.0, 4.0]), "saddle", "seed 72")
    check_classification(kata, with_eigenvalues(gen, [-3.0, -2.0, 1e-3]), "saddle", "seed 72")
    check_classification(kata, np.array([[1.0, 2.0], [2.0, 1.0]]), "saddle", "positive diagonal")
    check_classification(kata, with_eigenvalues(gen, [-1.0, 0.0, 1.0]), "saddle", "with a zero")


@pytest.mark.points(1)
def test_classifies_degenerate_points_within_tolerance(kata):
    gen = rng(73)
    check_classification(kata, with_eigenvalues(gen, [0.0, 1.0, 2.0]), "degenerate", "seed 73")
    check_classification(kata, with_eigenvalues(gen, [-1e-10, 1.0, 2.0]), "degenerate", "tiny")
    check_classification(kata, np.zeros((2, 2)), "degenerate", "H = 0")
    assert_equal(
        kata.classify_critical_point(np.diag([1e-3, 1.0]), tol=1e-3),
        "degenerate",
        what="classify_critical_point(diag(1e-3, 1), tol=1e-3)",
        where="an eigenvalue exactly at tol is not > tol: it counts as zero",
    )
    assert_equal(
        kata.classify_critical_point(np.diag([1e-4, 1.0]), tol=1e-3),
        "degenerate",
        what="classify_critical_point(tol=1e-3)",
        where="eigenvalues [1e-4, 1]: 1e-4 is within tol of zero",
    )


@probe
def two_variable_function(name):
    """The function ``name`` of (x, y) = (z[0], z[1]), built on the learner's side (through
    ``two_variable_function.there()``) for the learner's hessian to differentiate."""
    functions = {
        "x**2 + 3y**2 at 0": lambda z: z[0] ** 2 + 3 * z[1] ** 2,
        "x**2 - y**2 at 0": lambda z: z[0] ** 2 - z[1] ** 2,
        "-(x**2 + x*y + y**2) at 0": lambda z: -(z[0] ** 2 + z[0] * z[1] + z[1] ** 2),
        "the monkey saddle x**3 - 3xy**2 at 0": lambda z: z[0] ** 3 - 3 * z[0] * z[1] ** 2,
    }
    return functions[name]


@pytest.mark.points(1)
def test_classifies_critical_points_of_functions_via_hessian(kata):
    # The Hessians come from torch here, so that this test judges the classification alone
    # (test_hessian_matches_torch judges the learner's hessian).
    cases = [
        ("x**2 + 3y**2 at 0", "minimum"),
        ("x**2 - y**2 at 0", "saddle"),
        ("-(x**2 + x*y + y**2) at 0", "maximum"),
        ("the monkey saddle x**3 - 3xy**2 at 0", "degenerate"),
    ]
    for name, expected in cases:
        f = two_variable_function.function(name)
        H = torch_hessian(f, torch.zeros(2, dtype=torch.float64)).numpy()
        check_classification(kata, H, expected, f"{name}, Hessian {H.tolist()}")


# -- conditioning ----------------------------------------------------------------------------------


def scaled_features(seed, m=200):
    gen = rng(seed)
    scales = np.array([1.0, 100.0, 0.01, 5.0])
    offsets = np.array([0.0, 300.0, 0.0, -2.0])
    return gen.normal(size=(m, 4)) * scales + offsets


@pytest.mark.points(1)
@pytest.mark.parametrize("seed", [81, 82])
def test_least_squares_condition_is_that_of_x_transpose_x(kata, seed):
    X = scaled_features(seed) if seed == 81 else rng(seed).normal(size=(30, 3))
    expected = np.linalg.cond(X) ** 2
    assert_close(
        as_number(kata.least_squares_condition(X.copy()), "least_squares_condition"),
        expected,
        what="least_squares_condition",
        where=describe(seed, X=X) + "; expected lambda_max / lambda_min of X'X",
        rtol=1e-5,
        misconceptions={
            MISTAKES["condition-of-x-not-hessian"]: np.linalg.cond(X),
            MISTAKES["condition-inverted"]: 1 / expected,
        },
    )


@pytest.mark.points(1)
def test_standardize_centres_and_scales_every_column(kata):
    seed = 83
    X = scaled_features(seed, 50)
    X[:, 3] = 7.0  # a constant column
    got = kata.standardize(X.copy())
    std = X.std(axis=0)
    expected = (X - X.mean(axis=0)) / np.where(std > 0, std, 1.0)
    assert_close(
        got,
        expected,
        what="standardize",
        where=describe(seed, X=X) + "; column 3 is constant",
        rtol=1e-9,
        atol=1e-12,
        misconceptions={
            MISTAKES["standardize-ddof-1"]: (
                (X - X.mean(axis=0)) / np.where(std > 0, X.std(axis=0, ddof=1), 1.0)
            ),
            MISTAKES["standardize-not-centred"]: X / np.where(std > 0, std, 1.0),
        },
    )


@pytest.mark.points(1)
def test_standardize_returns_a_new_array_and_leaves_x_unchanged(kata):
    seed = 85
    X = scaled_features(seed, 20)
    before = snapshot(X=X)
    kata.standardize(X)
    try:
        assert_unchanged(before, X=X)
    except AssertionError as exc:
        fail(f"standardize: {exc}; return a new array")


@pytest.mark.points(1)
def test_standardize_zeroes_constant_columns_despite_round_off(kata):
    # Constant columns whose float std is not 0: 0.1 * 3 rows gives std 1.4e-17, and the
    # round-off of x - mean divided by it is +-1 instead of 0.
    X = np.column_stack([np.full(3, 0.1), [1.0, 2.0, 4.0], np.full(3, 3.7), np.full(3, 7.0)])
    got = kata.standardize(X)
    std = X.std(axis=0)
    centred = X - X.mean(axis=0)
    expected = centred / np.where(np.ptp(X, axis=0) == 0, 1.0, std)
    expected[:, [0, 2, 3]] = 0.0
    assert_close(
        got,
        expected,
        what="standardize",
        where=f"X = {X.tolist()}; columns 0, 2 and 3 are constant, with float stds "
        f"{std[[0, 2, 3]].tolist()}",
        rtol=1e-9,
        atol=1e-12,
        misconceptions={
            MISTAKES["constant-column-std-round-off"]: centred / np.where(std > 0, std, 1.0),
        },
    )


@probe
def hvp_result_facts(hvp):
    """Whether the learner's hvp returns a tensor still attached to a graph (run where it lives:
    autograd does not cross to the grader)."""
    import torch

    x = torch.tensor([0.3, -1.2, 0.7], dtype=torch.float64)
    v = torch.tensor([1.0, 0.5, -2.0], dtype=torch.float64)
    out = hvp(lambda z: torch.sum(z**3) + z[0] * z[1], x, v)
    return {"requires_grad": bool(out.requires_grad), "grad_fn": type(out.grad_fn).__name__}


@pytest.mark.points(1)
def test_hvp_returns_a_detached_tensor(kata):
    facts = hvp_result_facts(kata.hvp)
    if facts["requires_grad"]:
        fail(
            "hvp returned a tensor that requires grad (grad_fn "
            f"{facts['grad_fn']}), for f = sum(x**3) + x0 * x1: the statement asks for a "
            "detached tensor. Differentiate the second time without create_graph, or return "
            "hv.detach(), so the caller holds no graph"
        )


@pytest.mark.points(1)
def test_standardizing_cuts_the_steepest_descent_iterations(kata):
    # The standardised features and the condition numbers are the grader's own here, so that this
    # test judges steepest_descent_iterations on the two problems alone (standardize and
    # least_squares_condition have tests of their own).
    seed = 84
    X = scaled_features(seed)
    Z = (X - X.mean(axis=0)) / X.std(axis=0)
    raw, std = (np.linalg.cond(M[:, :3]) ** 2 for M in (X, Z))
    if not (raw > 1e6 and std < 10):
        fail(f"grader error: condition numbers {raw:.4g} and {std:.4g} before and after")
    y = rng(seed).normal(size=len(X))
    Ab = [(M.T @ M / len(M), M.T @ y / len(M)) for M in (X[:, :3], Z[:, :3])]
    before, after = (
        as_number(kata.steepest_descent_iterations(A, b, tol=1e-6, max_iter=20_000), "iterations")
        for A, b in Ab
    )
    if not after * 20 < before:
        fail(
            f"steepest descent on the least-squares problem of features on scales 1, 100 and "
            f"0.01 (condition number {raw:.3g} of X'X), and of the same features standardised "
            f"(condition number {std:.3g}): expected standardising to cut the steps at least "
            f"20-fold, got {before:g} before and {after:g} after [seed {seed}]"
        )
