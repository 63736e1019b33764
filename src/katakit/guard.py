"""The forbidden-call guard: while learner code runs, the library calls a kata re-implements raise.

A kata's manifest lists dotted names (``torch.nn.functional.batch_norm``). Every function and
method the learner's module defines is wrapped so that, for the duration of each call, those names
are replaced by a function that raises :class:`ForbiddenCall` -- on their owner module or class and
in the learner module's own globals (``from torch import batch_norm``). Outside learner calls the
originals are back in place, so a grader can use the very same op as its oracle.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any


class ForbiddenCall(Exception):
    """Learner code called a library function that the kata asks them to write themselves."""


def resolve(dotted: str) -> tuple[Any, str]:
    """``torch.nn.functional.batch_norm`` -> (module ``torch.nn.functional``, ``"batch_norm"``)."""
    parts = dotted.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            owner: Any = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attr in parts[split:-1]:
            owner = getattr(owner, attr)
        if not hasattr(owner, parts[-1]):
            break
        return owner, parts[-1]
    raise ValueError(f"forbidden name '{dotted}' does not resolve to an attribute")


class Guard:
    """Re-entrant context manager that swaps forbidden callables for raisers."""

    def __init__(self, kata_id: str, forbidden: Sequence[str], module: ModuleType) -> None:
        self.kata_id = kata_id
        self.module = module
        self.violations: list[str] = []
        self._depth = 0
        # (the forbidden object, the function that replaces it) per forbidden name
        self.replacements: list[tuple[Any, Callable[..., Any]]] = []
        self._patches: list[tuple[Any, str, Any, Any]] = []
        for dotted in forbidden:
            owner, attr = resolve(dotted)
            original = getattr(owner, attr)
            raiser = self._raiser(dotted)
            self.replacements.append((original, raiser))
            self._patches.append((owner, attr, original, raiser))
            for name, value in list(vars(module).items()):
                if value is original:
                    self._patches.append((module, name, original, raiser))

    def _raiser(self, dotted: str) -> Callable[..., Any]:
        def forbidden(*args: Any, **kwargs: Any) -> Any:
            message = (
                f"{dotted} is not allowed in {self.kata_id}: this kata asks you to implement it "
                "yourself with basic tensor operations"
            )
            self.violations.append(message)
            raise ForbiddenCall(message)

        return forbidden

    def __enter__(self) -> Guard:
        if self._depth == 0:
            self.violations.clear()
            for owner, attr, _original, raiser in self._patches:
                setattr(owner, attr, raiser)
        self._depth += 1
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self._depth -= 1
        if self._depth:
            return
        for owner, attr, original, _raiser in reversed(self._patches):
            setattr(owner, attr, original)
        if self.violations and exc_type is None:
            # The learner caught our exception and carried on: the call still does not count.
            raise ForbiddenCall(self.violations[0])


def _guarded(function: Callable[..., Any], guard: Guard) -> Callable[..., Any]:
    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        with guard:
            return function(*args, **kwargs)

    return call


def _refuse_forbidden_bases(cls: type, guard: Guard) -> None:
    """A learner class that inherits from a forbidden class would run the library's methods
    unguarded; constructing it raises instead."""
    for original, raiser in guard.replacements:
        if isinstance(original, type) and issubclass(cls, original):

            def refuse(self: Any, *args: Any, _raiser: Callable[..., Any] = raiser, **kw: Any):
                _raiser()

            cls.__init__ = refuse  # type: ignore[misc]
            return


def install(module: ModuleType, kata_id: str, forbidden: Sequence[str]) -> None:
    """Wrap every function and method ``module`` defines so it runs under a :class:`Guard`."""
    if not forbidden:
        return
    guard = Guard(kata_id, forbidden, module)
    for name, value in list(vars(module).items()):
        if inspect.isfunction(value) and value.__module__ == module.__name__:
            setattr(module, name, _guarded(value, guard))
        elif inspect.isclass(value) and value.__module__ == module.__name__:
            _refuse_forbidden_bases(value, guard)
            for attr, member in list(vars(value).items()):
                if isinstance(member, (staticmethod, classmethod)):
                    setattr(value, attr, type(member)(_guarded(member.__func__, guard)))
                elif inspect.isfunction(member):
                    setattr(value, attr, _guarded(member, guard))
