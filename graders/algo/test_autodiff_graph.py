"""Hidden grader for algo/autodiff_graph.

The oracle is torch autograd in float64: every expression is built twice, once from the
learner's ``Value`` nodes and once from torch tensors (``retain_grad`` on the intermediate ones),
and every value and gradient is compared. Graphs built by hand from ``Value(data, parents,
local_grads)`` are checked against the sum over all paths of the products of local derivatives.
Where a wrong answer matches one, the message names the mistake: gradients assigned instead of
added, or nodes visited in an order that is not reverse topological.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np
import pytest
import torch

from katakit import misconceptions
from katakit.checks import as_number, assert_close, fail, rng
from katakit.sandbox import kind_of, probe

MISTAKES = misconceptions.of(__file__)

RTOL, ATOL = 1e-9, 1e-12


def sigmoid(a: float) -> float:
    return 0.5 * (1.0 + math.tanh(0.5 * a))


# name -> (kind, operation, local derivatives, domain, label). The same operation runs on the
# learner's Value and on a torch tensor; the local derivatives (closed forms, on floats) are only
# used to simulate the classic mistakes and name them.
OPS = {
    "add": ("binary", lambda a, b: a + b, lambda a, b: (1.0, 1.0), None, "{a} + {b}"),
    "sub": ("binary", lambda a, b: a - b, lambda a, b: (1.0, -1.0), None, "{a} - {b}"),
    "mul": ("binary", lambda a, b: a * b, lambda a, b: (b, a), None, "{a} * {b}"),
    "div": (
        "binary",
        lambda a, b: a / b,
        lambda a, b: (1.0 / b, -a / b**2),
        lambda a, b: abs(b) > 0.3,
        "{a} / {b}",
    ),
    "add_c": ("const", lambda a, c: a + c, lambda a, c: (1.0,), None, "{a} + {c}"),
    "radd_c": ("const", lambda a, c: c + a, lambda a, c: (1.0,), None, "{c} + {a}"),
    "sub_c": ("const", lambda a, c: a - c, lambda a, c: (1.0,), None, "{a} - {c}"),
    "rsub_c": ("const", lambda a, c: c - a, lambda a, c: (-1.0,), None, "{c} - {a}"),
    "mul_c": ("const", lambda a, c: a * c, lambda a, c: (c,), None, "{a} * {c}"),
    "rmul_c": ("const", lambda a, c: c * a, lambda a, c: (c,), None, "{c} * {a}"),
    "div_c": ("const", lambda a, c: a / c, lambda a, c: (1.0 / c,), None, "{a} / {c}"),
    "rdiv_c": (
        "const",
        lambda a, c: c / a,
        lambda a, c: (-c / a**2,),
        lambda a, c: abs(a) > 0.3,
        "{c} / {a}",
    ),
    "neg": ("unary", lambda a: -a, lambda a: (-1.0,), None, "-{a}"),
    "pow2": ("unary", lambda a: a**2, lambda a: (2 * a,), None, "{a} ** 2"),
    "pow3": ("unary", lambda a: a**3, lambda a: (3 * a**2,), lambda a: abs(a) < 3, "{a} ** 3"),
    "pow_neg1": (
        "unary",
        lambda a: a**-1,
        lambda a: (-(a**-2),),
        lambda a: abs(a) > 0.3,
        "{a} ** -1",
    ),
    "pow_half": (
        "unary",
        lambda a: a**0.5,
        lambda a: (0.5 * a**-0.5,),
        lambda a: a > 0.1,
        "{a} ** 0.5",
    ),
    "exp": ("unary", lambda a: a.exp(), lambda a: (math.exp(a),), lambda a: a < 3, "{a}.exp()"),
    "log": ("unary", lambda a: a.log(), lambda a: (1.0 / a,), lambda a: a > 0.1, "{a}.log()"),
    "tanh": (
        "unary",
        lambda a: a.tanh(),
        lambda a: (1.0 - math.tanh(a) ** 2,),
        None,
        "{a}.tanh()",
    ),
    "sigmoid": (
        "unary",
        lambda a: a.sigmoid(),
        lambda a: (sigmoid(a) * (1.0 - sigmoid(a)),),
        None,
        "{a}.sigmoid()",
    ),
    "relu": (
        "unary",
        lambda a: a.relu(),
        lambda a: (1.0 if a > 0 else 0.0,),
        None,
        "{a}.relu()",
    ),
}


def value_mistakes(name: str, x: float, c: float | None) -> dict | None:
    """Wrong values of ``name`` applied to ``x`` (and the number ``c``), by the mistake's name."""
    if name == "rsub_c":
        return {MISTAKES["rsub-reversed"]: x - c}
    if name == "rdiv_c":
        return {MISTAKES["rtruediv-reversed"]: x / c}
    return None


def gradient_mistakes(name: str, x: float) -> dict | None:
    """Wrong derivatives of ``name`` at ``x``, by the mistake's name."""
    if name == "tanh":
        return {MISTAKES["tanh-derivative-from-input"]: [1.0 - x**2]}
    if name == "sigmoid":
        return {MISTAKES["sigmoid-derivative-from-input"]: [x * (1.0 - x)]}
    if name == "rsub_c":
        return {MISTAKES["rsub-reversed"]: [1.0]}
    return None


class Graph:
    """One expression built twice: learner nodes and torch tensors, plus the grader's record."""

    def __init__(self, kata) -> None:
        self.kata = kata
        self.learner: list = []
        self.torch: list[torch.Tensor] = []
        self.labels: list[str] = []
        self.parents: list[list[int]] = []
        self.local: list[list[float]] = []

    def leaf(self, value: float) -> int:
        self.learner.append(self.kata.Value(value))
        self.torch.append(torch.tensor(value, dtype=torch.float64, requires_grad=True))
        self.labels.append(f"leaf {value:.4g}")
        self.parents.append([])
        self.local.append([])
        return len(self.learner) - 1

    def value(self, index: int) -> float:
        return float(self.torch[index].detach())

    def allowed(self, name: str, a: int, b: int | float | None = None) -> bool:
        kind, operation, _, domain, _ = OPS[name]
        args = [self.value(a)]
        if kind == "binary":
            args.append(self.value(b))
        elif kind == "const":
            args.append(b)
        if domain is not None and not domain(*args):
            return False
        with torch.no_grad():
            result = operation(*[torch.tensor(x, dtype=torch.float64) for x in args])
        return bool(torch.isfinite(result)) and abs(float(result)) < 30

    def apply(self, name: str, a: int, b: int | float | None = None) -> int:
        kind, operation, local, _, label = OPS[name]
        if kind == "binary":
            learner_out = operation(self.learner[a], self.learner[b])
            torch_out = operation(self.torch[a], self.torch[b])
            parents, grads = [a, b], local(self.value(a), self.value(b))
            text = label.format(a=f"n{a}", b=f"n{b}")
        elif kind == "const":
            learner_out = operation(self.learner[a], b)
            torch_out = operation(self.torch[a], b)
            parents, grads = [a], local(self.value(a), b)
            text = label.format(a=f"n{a}", c=repr(b))
        else:
            learner_out = operation(self.learner[a])
            torch_out = operation(self.torch[a])
            parents, grads = [a], local(self.value(a))
            text = label.format(a=f"n{a}")
        torch_out.retain_grad()
        self.learner.append(learner_out)
        self.torch.append(torch_out)
        self.labels.append(text)
        self.parents.append(parents)
        self.local.append(list(grads))
        return len(self.learner) - 1

    def listing(self, limit: int = 40) -> str:
        lines = [f"n{i} = {label}" for i, label in enumerate(self.labels)]
        if len(lines) > limit:
            lines = [*lines[: limit // 2], "...", *lines[-limit // 2 :]]
        return "\n    ".join(lines)

    def torch_grads(self) -> np.ndarray:
        return np.array([0.0 if t.grad is None else float(t.grad) for t in self.torch])


def short_kind(value) -> str:
    """The type name of ``value`` (of the learner's object, for a proxy), without its module."""
    return kind_of(value).rsplit(".", 1)[-1]


def learner_numbers(nodes: list, attribute: str) -> np.ndarray:
    __tracebackhide__ = True
    values = []
    for index, node in enumerate(nodes):
        if not hasattr(node, attribute):
            fail(f"node n{index} ({short_kind(node)}) has no attribute {attribute!r}")
        values.append(as_number(getattr(node, attribute), f"n{index}.{attribute}"))
    return np.array(values)


def simulated_grads(parents: list[list[int]], local: list[list[float]], mistake: str) -> np.ndarray:
    """The gradients a classic mistake produces on this graph (the output is the last node)."""
    n = len(parents)
    grads = np.zeros(n)
    grads[-1] = 1.0
    if mistake in ("correct", "overwrite"):
        order = range(n - 1, -1, -1)  # creation order is topological
    else:
        consumers_first: list[int] = []
        seen = {n - 1}
        if mistake == "breadth_first":
            queue = deque([n - 1])
            while queue:
                node = queue.popleft()
                consumers_first.append(node)
                for parent in parents[node]:
                    if parent not in seen:
                        seen.add(parent)
                        queue.append(parent)
        else:  # depth-first pre-order: a node, then each parent's subtree
            stack = [n - 1]
            seen = set()
            while stack:
                node = stack.pop()
                if node in seen:
                    continue
                seen.add(node)
                consumers_first.append(node)
                stack.extend(reversed(parents[node]))
        order = consumers_first
    for node in order:
        for parent, derivative in zip(parents[node], local[node], strict=True):
            if mistake == "overwrite":
                grads[parent] = derivative * grads[node]
            else:
                grads[parent] += derivative * grads[node]
    return grads


GRAPH_MISTAKES = {
    MISTAKES["grad-assigned-not-added"]: "overwrite",
    MISTAKES["backward-breadth-first"]: "breadth_first",
    MISTAKES["backward-pre-order"]: "pre_order",
}


def graph_misconceptions(parents, local) -> dict:
    return {name: simulated_grads(parents, local, kind) for name, kind in GRAPH_MISTAKES.items()}


def random_graph(kata, seed: int, leaves: int, operations: int) -> Graph:
    """Random expression DAG: operands favour recent nodes, and reuse makes many diamonds."""
    gen = rng(seed)
    graph = Graph(kata)
    for _ in range(leaves):
        graph.leaf(round(float(gen.uniform(-2, 2)), 3))
    names = list(OPS)
    while len(graph.learner) < leaves + operations:
        name = names[int(gen.integers(len(names)))]
        count = len(graph.learner)
        a = count - 1 - min(int(gen.geometric(0.3)) - 1, count - 1)
        kind = OPS[name][0]
        if kind == "binary":
            b = count - 1 - min(int(gen.geometric(0.3)) - 1, count - 1)
        elif kind == "const":
            b = round(float(gen.uniform(-2.5, 2.5)), 2) or 1.5
        else:
            b = None
        if graph.allowed(name, a, b):
            graph.apply(name, a, b)
    return graph


def check_graph(graph: Graph, where: str) -> None:
    """Run backward on the last node of both graphs and compare every value and gradient."""
    __tracebackhide__ = True
    listing = f"{where}; the expression, output last:\n    {graph.listing()}"
    assert_close(
        learner_numbers(graph.learner, "data"),
        np.array([graph.value(i) for i in range(len(graph.torch))]),
        what="forward values (.data of nodes n0, n1, ...)",
        where=listing,
        rtol=RTOL,
        atol=ATOL,
    )
    graph.learner[-1].backward()
    graph.torch[-1].backward()
    assert_close(
        learner_numbers(graph.learner, "grad"),
        graph.torch_grads(),
        what="gradients (.grad of nodes n0, n1, ...) after backward() on the last node",
        where=listing,
        rtol=1e-8,
        atol=1e-10,
        misconceptions=graph_misconceptions(graph.parents, graph.local),
    )


OP_GROUPS = {
    "value_with_value": (["add", "sub", "mul", "div"], "binary"),
    "number_on_the_right": (["add_c", "sub_c", "mul_c", "div_c"], "const"),
    "number_on_the_left": (["radd_c", "rsub_c", "rmul_c", "rdiv_c"], "const"),
    "neg_and_powers": (["neg", "pow2", "pow3", "pow_neg1", "pow_half"], "unary"),
    "exp_and_log": (["exp", "log"], "unary"),
    "tanh_sigmoid_relu": (["tanh", "sigmoid", "relu"], "unary"),
}
OPERANDS = [-1.7, -0.6, 0.45, 1.3, 2.2]


@pytest.mark.points(1)
@pytest.mark.parametrize("group", list(OP_GROUPS))
def test_each_operation_matches_torch(kata, group):
    names, kind = OP_GROUPS[group]
    for name in names:
        for index, x in enumerate(OPERANDS):
            other = OPERANDS[(index + 2) % len(OPERANDS)] if kind != "unary" else None
            graph = Graph(kata)
            a = graph.leaf(x)
            b = graph.leaf(other) if kind == "binary" else other
            if not graph.allowed(name, a, b):
                continue
            out = graph.apply(name, a, b)
            where = f"x = {x}" + (f", y = {other}" if kind == "binary" else "")
            where += f", c = {other}" if kind == "const" else ""
            formula = OPS[name][4].format(a="x", b="y", c="c")
            assert_close(
                as_number(graph.learner[out].data, f"({formula}).data"),
                graph.value(out),
                what=f"value of {formula}",
                where=where,
                rtol=RTOL,
                atol=ATOL,
                misconceptions=value_mistakes(name, x, other),
            )
            graph.learner[out].backward()
            graph.torch[out].backward()
            leaves = [a, b] if kind == "binary" else [a]
            assert_close(
                learner_numbers([graph.learner[i] for i in leaves], "grad"),
                graph.torch_grads()[leaves],
                what=f"gradient of {formula} with respect to "
                + ("(x, y)" if kind == "binary" else "x"),
                where=where,
                rtol=RTOL,
                atol=ATOL,
                misconceptions=gradient_mistakes(name, x),
            )


@pytest.mark.points(1)
def test_data_is_a_float_and_grad_starts_at_zero(kata):
    x = kata.Value(3)
    y = x * 2
    for text, node in (("Value(3)", x), ("Value(3) * 2", y)):
        data = node.data
        if type(data) is not float:
            fail(
                f"{text}.data is {data!r} ({type(data).__name__}); data is a Python float: "
                "keep float(data) in __init__"
            )
        grad = as_number(node.grad, f"{text}.grad")
        if grad != 0.0:
            fail(f"{text}.grad is {grad!r} before any backward(); it starts at 0.0")


@pytest.mark.points(1)
def test_relu_derivative_at_zero_is_zero(kata):
    # The statement's one convention at a kink: relu'(0) = 0, as in torch (not 1, from x >= 0).
    x, name = 0.0, "relu"
    graph = Graph(kata)
    a = graph.leaf(x)
    out = graph.apply(name, a)
    where = f"x = {x}"
    assert_close(
        as_number(graph.learner[out].data, f"{name}({x}).data"),
        graph.value(out),
        what=f"{name}({x})",
        where=where,
        rtol=1e-9,
        atol=1e-12,
    )
    graph.learner[out].backward()
    graph.torch[out].backward()
    assert_close(
        as_number(graph.learner[a].grad, "x.grad"),
        graph.torch_grads()[a],
        what=f"derivative of {name} at x = {x} (torch: relu'(0) = 0)",
        where=where,
        rtol=1e-9,
        atol=1e-12,
    )


def path_sum_grads(parents: list[list[int]], local: list[list[float]]) -> np.ndarray:
    """d(last node)/d(node) as the sum over all paths of the products of local derivatives."""
    n = len(parents)
    consumers: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    for node in range(n):
        for parent, derivative in zip(parents[node], local[node], strict=True):
            consumers[parent].append((node, derivative))
    memo: dict[int, float] = {n - 1: 1.0}

    def total(node: int) -> float:
        if node not in memo:
            memo[node] = sum(derivative * total(user) for user, derivative in consumers[node])
        return memo[node]

    return np.array([total(node) for node in range(n)])


def hand_built(kata, spec: list[tuple[list[int], list[float]]]):
    """Learner nodes built directly with ``Value(data, parents, local_grads)``."""
    nodes = []
    for index, (parents, local) in enumerate(spec):
        nodes.append(kata.Value(float(index), tuple(nodes[p] for p in parents), tuple(local)))
    return nodes


SMALL_SPEC = [
    ([], []),  # n0: leaf
    ([], []),  # n1: leaf
    ([0, 1], [2.0, -1.0]),  # n2
    ([2, 0], [3.0, 0.5]),  # n3 uses n2 and the leaf n0 again
    ([2, 3, 3], [1.5, 2.0, -0.25]),  # n4 lists n3 twice
    ([4, 2], [4.0, -2.0]),  # n5, the output
]
# The output's first parent is a chain down to its second: a breadth-first walk lets n1 pass its
# gradient on before n2 has added its own, while a pre-order walk happens to be right here (so
# the breadth-first mistake is the only one that matches).
BREADTH_FIRST_SPEC = [
    ([], []),  # n0: leaf
    ([0], [2.0]),  # n1
    ([1], [3.0]),  # n2
    ([2], [-1.5]),  # n3
    ([3, 1], [0.5, 4.0]),  # n4, the output: n3 (a chain down to n1), then n1 itself
]
SPECS = {"small_diamonds": SMALL_SPEC, "breadth_first_trap": BREADTH_FIRST_SPEC}


def random_spec(seed: int, size: int) -> list[tuple[list[int], list[float]]]:
    gen = rng(seed)
    spec: list[tuple[list[int], list[float]]] = [([], []) for _ in range(4)]
    while len(spec) < size:
        count = len(spec)
        parents = [
            count - 1 - min(int(gen.geometric(0.25)) - 1, count - 1)
            for _ in range(int(gen.integers(1, 4)))
        ]
        spec.append((parents, [round(float(g), 2) for g in gen.uniform(-1.5, 1.5, len(parents))]))
    return spec


@pytest.mark.points(1)
@pytest.mark.parametrize("case", ["small_diamonds", "breadth_first_trap", "random_dag"])
def test_hand_built_graph_sums_gradients_over_every_path(kata, case):
    spec = SPECS[case] if case in SPECS else random_spec(601, 40)
    parents = [p for p, _ in spec]
    local = [g for _, g in spec]
    nodes = hand_built(kata, spec)
    nodes[-1].backward()
    listing = "\n    ".join(
        f"n{i} = Value({float(i)}, ({', '.join(f'n{p}' for p in ps)}), {tuple(gs)})"
        for i, (ps, gs) in enumerate(spec)
    )
    assert_close(
        learner_numbers(nodes, "grad"),
        path_sum_grads(parents, local),
        what="gradients after backward() on the last node (sum over paths of local products)",
        where=f"graph built with Value(data, parents, local_grads):\n    {listing}",
        rtol=1e-9,
        atol=1e-12,
        misconceptions=graph_misconceptions(parents, local),
    )


@pytest.mark.points(1)
def test_node_used_twice_accumulates(kata):
    cases = [
        ("out = x * x", lambda x: x * x, 2.5),
        ("out = x + x", lambda x: x + x, -1.5),
        ("a = x * 2; out = a * x + x", lambda x: (x * 2) * x + x, 0.75),
        ("a = x * 3; out = a * a - a", lambda x: (lambda a: a * a - a)(x * 3), 0.3),
    ]
    for text, build, value in cases:
        x = kata.Value(value)
        out = build(x)
        out.backward()
        t = torch.tensor(value, dtype=torch.float64, requires_grad=True)
        build(t).backward()
        overwritten = {"out = x * x": value, "out = x + x": 1.0, "a = x * 2; out = a * x + x": 1.0}
        assert_close(
            as_number(x.grad, "x.grad"),
            float(t.grad),
            what=f"x.grad for {text}",
            where=f"x = {value}",
            rtol=RTOL,
            atol=ATOL,
            misconceptions={MISTAKES["grad-assigned-not-added"]: overwritten[text]}
            if text in overwritten
            else None,
        )


@pytest.mark.points(1)
def test_gradient_waits_for_every_consumer(kata):
    # a feeds out directly and through b = a * 1.5: a may pass its gradient to x only after both
    # out and b have added theirs -- a breadth-first or pre-order walk from out visits a too soon.
    # Only + and * here: the order is judged, not the derivatives of exp or tanh.
    graph = Graph(kata)
    x = graph.leaf(0.7)
    a = graph.apply("mul_c", x, 2.0)
    b = graph.apply("mul_c", a, 1.5)
    c = graph.apply("mul", b, a)
    d = graph.apply("add_c", c, 0.5)
    graph.apply("add", a, d)
    check_graph(graph, "order matters: n1 feeds the output directly and through n2, n3 and n4")


@pytest.mark.points(1)
@pytest.mark.parametrize("seed", [701, 702, 703])
def test_random_expressions_match_torch(kata, seed):
    graph = random_graph(kata, seed, leaves=4, operations=30)
    check_graph(graph, f"seed {seed}")


@probe
def instances_of(cls, items):
    """isinstance(item, cls) for each item, where the learner's objects live."""
    return [isinstance(item, cls) for item in items]


def check_order(kata, output, known: list, where: str) -> None:
    """``output.topological_order()``: each reachable node once, after its parents, output last.

    Nodes are told apart by identity: the same learner node always comes back as the same proxy.
    """
    __tracebackhide__ = True
    order = output.topological_order()
    if not isinstance(order, list | tuple):
        fail(
            "topological_order() should return a list of Value nodes, got "
            f"{kind_of(order)} [{where}]"
        )
    order = list(order)
    position: dict[int, int] = {}
    is_value = instances_of(kata.Value, order)
    for index, node in enumerate(order):
        if not is_value[index]:
            fail(f"topological_order()[{index}] is a {short_kind(node)}, not a Value [{where}]")
        if id(node) in position:
            fail(
                f"topological_order() lists one node twice (at {position[id(node)]} and {index}): "
                f"mark nodes as visited so each appears once, even when reached along several "
                f"paths [{where}]"
            )
        position[id(node)] = index
    reachable: dict[int, object] = {id(output): output}
    stack = [output]
    while stack:
        for parent in stack.pop().parents:
            if id(parent) not in reachable:
                reachable[id(parent)] = parent
                stack.append(parent)
    missing = [
        i for i, node in enumerate(known) if id(node) in reachable and id(node) not in position
    ]
    if missing or len(position) != len(reachable):
        fail(
            f"topological_order() has {len(order)} nodes, but {len(reachable)} are reachable from "
            f"the output through .parents (missing: {', '.join(f'n{i}' for i in missing[:8])}) "
            f"[{where}]"
        )
    for index, node in enumerate(order):
        for parent in node.parents:
            if position[id(parent)] > index:
                fail(
                    f"topological_order(): the node at position {index} comes before its parent "
                    f"at position {position[id(parent)]}; every node must come after all of the "
                    f"nodes it was computed from [{where}]"
                )
    if order[-1] is not output:
        fail(f"topological_order() must end with the node it was called on [{where}]")


@pytest.mark.points(1)
@pytest.mark.parametrize("case", ["random_expression", "hand_built_with_repeated_parents"])
def test_topological_order_puts_each_node_after_its_parents(kata, case):
    if case == "random_expression":
        graph = random_graph(kata, 801, leaves=5, operations=40)
        nodes, where = graph.learner, "seed 801, random expression of 45 nodes"
    else:
        nodes, where = hand_built(kata, SMALL_SPEC), "the hand-built graph n0 .. n5"
    check_order(kata, nodes[-1], nodes, where)


@probe
def deep_chain(value, steps):
    """x = value(0.5) and y = x, then y = y * 1.0002 + 0.001 ``steps`` times, built where the
    learner's Value lives: 10,000 operations in one trip. Every node but the last feeds exactly
    one other, so no diamond: only the depth is in play."""
    x = value(0.5)
    y = x
    for _ in range(steps):
        y = y * 1.0002 + 0.001
    return x, y


@pytest.mark.points(1)
def test_deep_chain_of_5000_operations(kata):
    # y_k = a y_(k-1) + c with a = 1.0002: y_n = a^n x + c (a^n - 1) / (a - 1), dy/dx = a^n.
    steps, a, c, x0 = 5000, 1.0002, 0.001, 0.5
    where = f"y = x, then y = y * {a} + {c} {steps:,} times, x = {x0}"
    x, y = deep_chain(kata.Value, steps)
    try:
        y.backward()
    except RecursionError:
        fail(
            "backward() on a chain of 5,000 operations raised RecursionError: build the "
            "topological order with an explicit stack (or Kahn's algorithm), not one recursive "
            "call per node"
        )
    power = a**steps
    assert_close(
        as_number(y.data, "y.data"),
        power * x0 + c * (power - 1) / (a - 1),
        what="y.data",
        where=where,
        rtol=1e-9,
    )
    assert_close(as_number(x.grad, "x.grad"), power, what="x.grad", where=where, rtol=1e-9)
