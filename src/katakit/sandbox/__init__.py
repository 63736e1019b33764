"""Learner code in its own contained process; graders talk to it through one door.

See ``docs/sandbox.md`` for the design. Graders rarely need more than the ``kata`` fixture; for
checks that must run where the learner's objects live (autograd through a learner's module),
:func:`probe` sends a small self-contained function there.
"""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Callable
from typing import Any

from katakit.sandbox.remote import CURRENT
from katakit.sandbox.rpc import Proxy, kind_of

__all__ = ["Probe", "Proxy", "is_remote", "kind_of", "probe"]


def is_remote(value: Any) -> bool:
    """True for a proxy of an object that lives on the learner side."""
    return isinstance(value, Proxy)


class Probe:
    """A grader function that runs on the learner side of the current kata.

    Calling it sends its source and the arguments (plain data and proxies of the learner's
    objects) to the learner's process, runs it there and returns its result: plain data, or a
    proxy of an object it built there (an input for the learner's code, say). ``there()``
    returns it as a callable of the learner side, to hand to the learner's code (a loss function
    the learner's ``hvp`` differentiates, say). Without isolation it is simply called.

    A probe must be self-contained: it sees its arguments, its own imports, and ``np``,
    ``torch``, ``F`` and ``math``; never the grader's module or its expected values.
    """

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function
        self.name = function.__name__
        lines = textwrap.dedent(inspect.getsource(function)).splitlines(keepends=True)
        while lines and lines[0].lstrip().startswith("@"):
            lines.pop(0)  # the decorator itself does not exist over there
        self.source = "".join(lines)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not CURRENT:
            return self.function(*args, **kwargs)
        return CURRENT[0].probe(self.source, self.name, args, kwargs)

    def there(self) -> Any:
        if not CURRENT:
            return self.function
        return CURRENT[0].ship(self.source, self.name)


def probe(function: Callable[..., Any]) -> Probe:
    """Decorator: ``@probe def forward_backward(module, x): ...`` (see :class:`Probe`)."""
    return Probe(function)
