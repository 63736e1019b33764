"""Mutant of python/closures: the averager appends every value to a list in its closure."""

from __future__ import annotations

from collections.abc import Callable


def make_counter(start: int = 0, step: int = 1) -> Callable[[], int]:
    count = start

    def counter() -> int:
        nonlocal count
        count += step
        return count

    return counter


def make_averager() -> Callable[[float], float]:
    values: list[float] = []

    def average(value: float) -> float:
        values.append(value)
        return sum(values) / len(values)

    return average


def make_multipliers(n: int) -> list[Callable[[float], float]]:
    def multiply_by(i: int) -> Callable[[float], float]:
        def multiply(x: float) -> float:
            return x * i

        return multiply

    return [multiply_by(i) for i in range(n)]
