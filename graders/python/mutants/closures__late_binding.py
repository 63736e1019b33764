"""Mutant of python/closures: lambdas made in a loop all read the loop variable's last value."""

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
    total = 0.0
    count = 0

    def average(value: float) -> float:
        nonlocal total, count
        total += value
        count += 1
        return total / count

    return average


def make_multipliers(n: int) -> list[Callable[[float], float]]:
    multipliers = []
    for i in range(n):
        multipliers.append(lambda x: x * i)  # noqa: B023 - the mistake
    return multipliers
