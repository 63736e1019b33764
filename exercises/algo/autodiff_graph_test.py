"""Public examples for algo/autodiff_graph: a taste of the grading, small enough to read.

Run them with ``pytest exercises/algo/autodiff_graph_test.py``; the hidden grader compares random
expressions with torch autograd when you run ``pytest exercises/algo``.
"""

import math

import pytest


def test_product_rule_on_a_single_multiplication(kata):
    x, y = kata.Value(3.0), kata.Value(-2.0)
    out = x * y
    assert out.parents == (x, y)
    out.backward()
    assert (out.data, x.grad, y.grad) == (-6.0, -2.0, 3.0)


def test_a_node_used_twice_collects_both_contributions(kata):
    x = kata.Value(3.0)
    a = x * 2  # a = 6
    out = a * x + 1  # 2 x**2 + 1: x reaches out directly and through a
    out.backward()
    assert out.data == 19.0
    assert x.grad == pytest.approx(12.0)  # 4 x
    assert a.grad == pytest.approx(3.0)  # x


def test_topological_order_ends_with_the_output(kata):
    x = kata.Value(0.5)
    out = (x.tanh() + 2 - x).exp()
    order = out.topological_order()
    assert order[-1] is out
    assert sum(node is x for node in order) == 1  # each node once
    out.backward()
    expected = math.exp(math.tanh(0.5) + 1.5) * (1 - math.tanh(0.5) ** 2 - 1)
    assert x.grad == pytest.approx(expected)
