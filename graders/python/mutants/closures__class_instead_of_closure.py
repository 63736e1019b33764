"""Mutant of python/closures: returns instances of callable classes instead of closures."""

from __future__ import annotations

from collections.abc import Callable


class Counter:
    def __init__(self, start: int, step: int) -> None:
        self.count = start
        self.step = step

    def __call__(self) -> int:
        self.count += self.step
        return self.count


class Averager:
    def __init__(self) -> None:
        self.total = 0.0
        self.count = 0

    def __call__(self, value: float) -> float:
        self.total += value
        self.count += 1
        return self.total / self.count


def make_counter(start: int = 0, step: int = 1) -> Callable[[], int]:
    return Counter(start, step)


def make_averager() -> Callable[[float], float]:
    return Averager()


def make_multipliers(n: int) -> list[Callable[[float], float]]:
    def multiply_by(i: int) -> Callable[[float], float]:
        def multiply(x: float) -> float:
            return x * i

        return multiply

    return [multiply_by(i) for i in range(n)]
