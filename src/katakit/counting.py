"""Complexity graded by counting, never by timing: keys that count their comparisons.

A grader wraps each value in a :class:`Key` tied to a :class:`Counter`; every ``<``, ``<=``,
``>``, ``>=``, ``==`` or ``!=`` between keys ticks it. :meth:`Counter.run` counts one call, and
with a budget raises :class:`OutOfComparisons` inside the learner's code once it is spent, so a
quadratic algorithm fails at once instead of running on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from katakit.i18n import N_, _


class OutOfComparisons(BaseException):
    """Raised inside the learner's code when it has spent its comparison budget (a
    BaseException, so a learner's ``except Exception`` does not swallow it)."""


class Counter:
    def __init__(self, what: str = N_("comparisons")) -> None:
        self.what = what
        self.count = 0
        self.limit = math.inf

    def tick(self) -> None:
        self.count += 1
        if self.count > self.limit:
            raise OutOfComparisons(
                _("more than {limit} {what}").format(limit=self.limit, what=_(self.what))
            )

    def run(self, function: Callable[..., Any], *args: Any, limit: float = math.inf):
        """``function(*args)`` and the comparisons it made: (result, count)."""
        self.count, self.limit = 0, limit
        try:
            result = function(*args)
        finally:
            self.limit = math.inf
        return result, self.count


class Key:
    """A value that can only be compared, and every comparison counts."""

    __slots__ = ("_counter", "tag", "value")

    def __init__(self, value: Any, tag: Any, counter: Counter) -> None:
        self.value = value
        self.tag = tag  # the input position, to check stability
        self._counter = counter

    def __lt__(self, other: Key) -> bool:
        self._counter.tick()
        return self.value < other.value

    def __le__(self, other: Key) -> bool:
        self._counter.tick()
        return self.value <= other.value

    def __gt__(self, other: Key) -> bool:
        self._counter.tick()
        return self.value > other.value

    def __ge__(self, other: Key) -> bool:
        self._counter.tick()
        return self.value >= other.value

    def __eq__(self, other: object) -> bool:
        self._counter.tick()
        return self.value == other.value  # type: ignore[attr-defined]

    def __ne__(self, other: object) -> bool:
        self._counter.tick()
        return self.value != other.value  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        # not the value nor the position: a learner's code may ask a key's repr (across the door,
        # the grader's side answers), and reading values would sort them without counting
        return "<counted key>"
