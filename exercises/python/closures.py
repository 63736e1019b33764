"""Closures: counters with ``nonlocal``, a running averager, and the late-binding trap.

Source question: Q34: Python 闭包概念以及作用 (s001-34).

A *closure* is an inner function that uses variables of the function that created it. Those
variables live on in *cells* (``inner.__closure__``) after the outer function has returned, and
each call of the outer function makes fresh cells. An inner function may read an enclosing
variable freely, but assigning to it (``count += 1``) makes it local unless it is declared
``nonlocal``.

Implement three factories. The first two must return plain functions (closures) that keep their
state in enclosing variables: not an instance of a class of yours, not module-level (global)
variables, not attributes set on a function.

* ``make_counter(start=0, step=1)``: returns a function of no arguments. Each call adds ``step``
  to the count and returns the new count, so the first call returns ``start + step``. Every
  counter counts on its own: two counters never share their count, and a new counter starts
  again from its own ``start``.
* ``make_averager()``: returns a function ``average(value)`` that adds ``value`` to the values
  seen so far and returns the mean of all of them, as a float. Keep only running numbers (a
  total and a count, for instance), not the list of past values: memory stays constant however
  many values arrive.
* ``make_multipliers(n)``: returns a list of ``n`` functions of one argument; the function at
  index ``i`` returns ``x * i``. Beware: a function made in a loop looks up the loop variable
  when it is *called*, not when it is made, so ``[lambda x: x * i for i in range(n)]`` gives
  ``n`` functions that all multiply by ``n - 1``. Any fix is fine (an inner factory function, a
  default argument, ``functools.partial``).

Example::

    >>> counter = make_counter(10, 5)
    >>> counter(), counter()
    (15, 20)
    >>> make_counter(10, 5)()                   # a new counter starts again
    15
    >>> average = make_averager()
    >>> average(10), average(20), average(3)
    (10.0, 15.0, 11.0)
    >>> [f(2) for f in make_multipliers(4)]
    [0, 2, 4, 6]
"""

from __future__ import annotations

from collections.abc import Callable


def make_counter(start: int = 0, step: int = 1) -> Callable[[], int]:
    """A counter function: each call adds ``step`` and returns the new count."""
    # TODO: keep the count in a variable of this function and update it from an inner one.
    raise NotImplementedError("make_counter")


def make_averager() -> Callable[[float], float]:
    """A function that takes one value per call and returns the mean of all values so far."""
    raise NotImplementedError("make_averager")


def make_multipliers(n: int) -> list[Callable[[float], float]]:
    """``n`` functions; the one at index ``i`` multiplies its argument by ``i``."""
    raise NotImplementedError("make_multipliers")
