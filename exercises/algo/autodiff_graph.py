"""A scalar computation graph with reverse-mode automatic differentiation.

Source question: 10. Tensorflow计算图谱总结 (s002-33).

A framework records every operation as a node of a directed acyclic graph: the node keeps its
value, the nodes it was computed from (its *parents*) and the *local derivatives* of its value
with respect to each parent. Backpropagation then visits the nodes from the output back to the
inputs, each node passing ``its grad * local derivative`` to each parent. Write that engine for
scalars.

``Value(data, parents=(), local_grads=())``

* ``data``: the node's value, a Python float.
* ``grad``: the derivative of the output (the node ``backward()`` was called on) with respect to
  this node; ``0.0`` until ``backward()`` runs.
* ``parents``: a tuple of the ``Value`` nodes this one was computed from (empty for a leaf);
  ``local_grads``: a tuple of floats of the same length, ``d(self.data) / d(parent.data)`` for
  each parent, computed during the forward pass. A node may list the same parent twice
  (``x * x`` has parents ``(x, x)`` and local derivatives ``(x, x)``).

Operations, each returning a new ``Value`` whose ``parents`` and ``local_grads`` are filled in:
``a + b``, ``a - b``, ``a * b``, ``a / b``, ``-a``, ``a ** p`` (``p`` a plain number, not a
``Value``), ``a.exp()``, ``a.log()`` (natural log), ``a.tanh()``, ``a.sigmoid()`` and
``a.relu()`` (derivative 0 at 0, as in torch). Either operand of ``+ - * /`` may be a plain
number, on either side: ``2 - x`` and ``1 / x`` must work. Wrap such a number in a leaf ``Value``
(or leave it out of ``parents``: constants need no gradient). You may build an operation from
others (``a / b`` as ``a * b ** -1``): the grader only reads ``data``, ``grad`` and ``parents``.

``topological_order()``: every node reachable from this one through ``parents``, each exactly
once, ordered so that each node comes after all of its parents (so this node is last). Graphs
can be deep -- the grader builds a chain of 5,000 operations -- so do not recurse once per node
(Python's default recursion limit is 1,000).

``backward()``: set this node's ``grad`` to 1, then walk the topological order backwards, each
node adding ``grad * local_grad`` to each parent's ``grad``. A node used twice (a *diamond*:
``y = x * x``, or ``a = 2 * x; out = a * x``) collects a contribution along every path, so
gradients must be *added*, never assigned; and a node may pass its gradient on only after every
node that uses it has passed theirs -- that is what the topological order guarantees. The grader
calls ``backward()`` once per graph, on fresh nodes.

Not allowed: torch's autograd (``backward``, ``torch.autograd.grad``). The grader builds the same
expressions with torch tensors and compares every value and every gradient.

Example::

    >>> x = Value(3.0)
    >>> a = x * 2            # a = 6
    >>> out = a * x + 1      # out = 2 * x**2 + 1 = 19: x reaches out twice
    >>> out.backward()
    >>> out.data, x.grad, a.grad
    (19.0, 12.0, 3.0)
    >>> [node.data for node in out.topological_order()][-1]
    19.0
"""

from __future__ import annotations


class Value:
    """A scalar node: its value, its parents and the local derivatives with respect to them."""

    def __init__(
        self,
        data: float,
        parents: tuple[Value, ...] = (),
        local_grads: tuple[float, ...] = (),
    ) -> None:
        # TODO: keep data (as a float), parents and local_grads, and start grad at 0.0.
        raise NotImplementedError("Value.__init__")

    def __add__(self, other: Value | float) -> Value:
        raise NotImplementedError("Value.__add__")

    def __radd__(self, other: float) -> Value:
        raise NotImplementedError("Value.__radd__")

    def __mul__(self, other: Value | float) -> Value:
        raise NotImplementedError("Value.__mul__")

    def __rmul__(self, other: float) -> Value:
        raise NotImplementedError("Value.__rmul__")

    def __neg__(self) -> Value:
        raise NotImplementedError("Value.__neg__")

    def __sub__(self, other: Value | float) -> Value:
        raise NotImplementedError("Value.__sub__")

    def __rsub__(self, other: float) -> Value:
        """``other - self`` (Python calls this for ``2 - x``)."""
        raise NotImplementedError("Value.__rsub__")

    def __truediv__(self, other: Value | float) -> Value:
        raise NotImplementedError("Value.__truediv__")

    def __rtruediv__(self, other: float) -> Value:
        """``other / self`` (Python calls this for ``1 / x``)."""
        raise NotImplementedError("Value.__rtruediv__")

    def __pow__(self, exponent: float) -> Value:
        raise NotImplementedError("Value.__pow__")

    def exp(self) -> Value:
        raise NotImplementedError("Value.exp")

    def log(self) -> Value:
        raise NotImplementedError("Value.log")

    def tanh(self) -> Value:
        raise NotImplementedError("Value.tanh")

    def sigmoid(self) -> Value:
        raise NotImplementedError("Value.sigmoid")

    def relu(self) -> Value:
        raise NotImplementedError("Value.relu")

    def topological_order(self) -> list[Value]:
        """Every node reachable through ``parents``, each after its parents; ``self`` last."""
        raise NotImplementedError("Value.topological_order")

    def backward(self) -> None:
        """Fill in ``grad`` of every node reachable from ``self``: d(self) / d(node)."""
        raise NotImplementedError("Value.backward")
