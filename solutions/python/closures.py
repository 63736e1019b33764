"""Reference solution: closures (see the exercise for the statement)."""

from __future__ import annotations

from collections.abc import Callable


def make_counter(start: int = 0, step: int = 1) -> Callable[[], int]:
    count = start

    def counter() -> int:
        # Without nonlocal, `count += step` would make count local to counter and raise
        # UnboundLocalError; nonlocal rebinds the cell shared with make_counter.
        nonlocal count
        count += step
        return count

    return counter


def make_averager() -> Callable[[float], float]:
    # Two numbers instead of a list of past values: constant memory, and both need nonlocal
    # because they are rebound (a list would only be mutated, which needs no declaration).
    total = 0.0
    count = 0

    def average(value: float) -> float:
        nonlocal total, count
        total += value
        count += 1
        return total / count

    return average


def make_multipliers(n: int) -> list[Callable[[float], float]]:
    def multiply_by(i: int) -> Callable[[float], float]:
        # Each call of multiply_by makes a new cell holding its own i; a lambda written
        # directly in the loop would share the loop's single variable and see its last value.
        def multiply(x: float) -> float:
            return x * i

        return multiply

    return [multiply_by(i) for i in range(n)]
