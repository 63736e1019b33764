"""Reference solution: a scalar computation graph with reverse-mode autodiff (see the exercise)."""

from __future__ import annotations

import math


class Value:
    """A scalar node: its value, its parents and the local derivatives with respect to them."""

    def __init__(
        self,
        data: float,
        parents: tuple[Value, ...] = (),
        local_grads: tuple[float, ...] = (),
    ) -> None:
        self.data = float(data)
        self.grad = 0.0
        self.parents = tuple(parents)
        self.local_grads = tuple(float(g) for g in local_grads)

    def __repr__(self) -> str:
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g})"

    @staticmethod
    def _wrap(other: Value | float) -> Value:
        return other if isinstance(other, Value) else Value(other)

    def __add__(self, other: Value | float) -> Value:
        other = self._wrap(other)
        return Value(self.data + other.data, (self, other), (1.0, 1.0))

    def __radd__(self, other: float) -> Value:
        return self + other

    def __mul__(self, other: Value | float) -> Value:
        other = self._wrap(other)
        return Value(self.data * other.data, (self, other), (other.data, self.data))

    def __rmul__(self, other: float) -> Value:
        return self * other

    def __neg__(self) -> Value:
        return Value(-self.data, (self,), (-1.0,))

    def __sub__(self, other: Value | float) -> Value:
        other = self._wrap(other)
        return Value(self.data - other.data, (self, other), (1.0, -1.0))

    def __rsub__(self, other: float) -> Value:
        # other - self: the number comes first, so self's derivative is -1.
        return self._wrap(other) - self

    def __truediv__(self, other: Value | float) -> Value:
        other = self._wrap(other)
        quotient = self.data / other.data
        return Value(quotient, (self, other), (1.0 / other.data, -quotient / other.data))

    def __rtruediv__(self, other: float) -> Value:
        return self._wrap(other) / self

    def __pow__(self, exponent: float) -> Value:
        local = exponent * self.data ** (exponent - 1)
        return Value(self.data**exponent, (self,), (local,))

    def exp(self) -> Value:
        out = math.exp(self.data)
        return Value(out, (self,), (out,))

    def log(self) -> Value:
        return Value(math.log(self.data), (self,), (1.0 / self.data,))

    def tanh(self) -> Value:
        out = math.tanh(self.data)
        # Written with the output: backward needs only what the forward pass produced.
        return Value(out, (self,), (1.0 - out * out,))

    def sigmoid(self) -> Value:
        # exp of a non-positive number only: 1 / (1 + exp(-x)) would overflow for x << 0.
        z = math.exp(-abs(self.data))
        out = 1.0 / (1.0 + z) if self.data >= 0 else z / (1.0 + z)
        return Value(out, (self,), (out * (1.0 - out),))

    def relu(self) -> Value:
        positive = self.data > 0
        return Value(self.data if positive else 0.0, (self,), (1.0 if positive else 0.0,))

    def topological_order(self) -> list[Value]:
        # Iterative depth-first search: a node is emitted once all its parents have been, i.e.
        # in post-order. An explicit stack instead of recursion handles graphs of any depth.
        order: list[Value] = []
        visited: set[int] = set()
        stack: list[tuple[Value, bool]] = [(self, False)]
        while stack:
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)
                continue
            if id(node) in visited:
                continue
            visited.add(id(node))
            stack.append((node, True))
            stack.extend((parent, False) for parent in node.parents if id(parent) not in visited)
        return order

    def backward(self) -> None:
        self.grad = 1.0
        # Reverse topological order: a node's grad is complete before it is passed on.
        for node in reversed(self.topological_order()):
            for parent, local in zip(node.parents, node.local_grads, strict=True):
                # += : a parent reached along several paths sums their contributions.
                parent.grad += local * node.grad
