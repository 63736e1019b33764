"""Mutant of python/closures: keeps the counter's count and the averager's sums in globals."""

from __future__ import annotations

from collections.abc import Callable

_count = 0
_total = 0.0
_seen = 0


def make_counter(start: int = 0, step: int = 1) -> Callable[[], int]:
    global _count
    _count = start

    def counter() -> int:
        global _count
        _count += step
        return _count

    return counter


def make_averager() -> Callable[[float], float]:
    global _total, _seen
    _total, _seen = 0.0, 0

    def average(value: float) -> float:
        global _total, _seen
        _total += value
        _seen += 1
        return _total / _seen

    return average


def make_multipliers(n: int) -> list[Callable[[float], float]]:
    def multiply_by(i: int) -> Callable[[float], float]:
        def multiply(x: float) -> float:
            return x * i

        return multiply

    return [multiply_by(i) for i in range(n)]
