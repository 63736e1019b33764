"""Inputs a kata promises to leave alone are checked centrally, after every learner call.

A kata whose manifest says ``read_only_inputs = true`` hands graders a view of the learner's
module in which each function copies its array, tensor, list and dict arguments before the call
and compares them after it; a change fails the test and names the argument.

One mistake, one loss: the first change fails the test it happened in, and from then on the
kata's functions are given copies of their arguments, so the tests after it judge the values the
learner computed as if the inputs had been left alone, instead of all failing for the same reason.
"""

from __future__ import annotations

import copy
import functools
import inspect
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from katakit.checks import to_numpy
from katakit.i18n import _


def _watched(value: Any) -> bool:
    torch = sys.modules.get("torch")  # a tensor, without importing torch (or asking a proxy)
    return isinstance(value, np.ndarray | list | dict) or (
        torch is not None and isinstance(value, torch.Tensor)
    )


def _snapshot(value: Any) -> Any:
    if hasattr(value, "detach"):
        return value.detach().clone()
    return copy.deepcopy(value)


def _same(before: Any, after: Any) -> bool:
    if hasattr(before, "detach"):
        return bool(
            before.shape == after.shape
            and np.array_equal(to_numpy(before), to_numpy(after), equal_nan=True)
        )
    if isinstance(before, np.ndarray):
        return before.shape == after.shape and np.array_equal(before, after, equal_nan=True)
    if isinstance(before, list | tuple):
        return len(before) == len(after) and all(map(_same, before, after))
    if isinstance(before, dict):
        return before.keys() == after.keys() and all(_same(before[k], after[k]) for k in before)
    return before is after or before == after


def _checked(function: Callable[..., Any], inputs: ReadOnlyInputs) -> Callable[..., Any]:
    signature = inspect.signature(function)

    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError:  # a wrong call: let the function itself say so
            return function(*args, **kwargs)
        before = {name: _snapshot(v) for name, v in bound.arguments.items() if _watched(v)}
        if inputs.changed:  # the promise has cost its test already: copies from now on
            for name in before:
                bound.arguments[name] = _snapshot(bound.arguments[name])
            return function(*bound.args, **bound.kwargs)
        result = function(*bound.args, **bound.kwargs)
        for name, original in before.items():
            if not _same(original, bound.arguments[name]):
                inputs.changed = True
                raise AssertionError(
                    _(
                        "{function} modified its argument '{name}' in place; the statement asks "
                        "you to leave inputs unchanged (work on a copy)"
                    ).format(function=function.__name__, name=name)
                )
        return result

    return call


class ReadOnlyInputs:
    """The learner's module, with its own functions wrapped by the input check; one per kata
    (``changed``: a call has changed an argument, and failed its test for it)."""

    def __init__(self, module: ModuleType) -> None:
        self._module = module
        self.changed = False

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._module, name)
        if inspect.isfunction(value) and value.__module__ == self._module.__name__:
            return _checked(value, self)
        return value
