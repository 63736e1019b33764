"""Decorators: logging with functools.wraps, a parametrised retry, memoize, a class decorator.

Source question: Q36: Python 装饰器语法及其作用 (s001-36).

``@deco`` above ``def f`` means ``f = deco(f)``: a decorator takes a function and returns the
function that replaces it, usually a wrapper that runs code around the original. A decorator
*with arguments*, ``@deco(a, b)``, is a function that returns the decorator. A good wrapper is
transparent:

* it passes every positional and keyword argument through (``*args, **kwargs``) and returns the
  original's result;
* it keeps the original's metadata: ``__name__``, ``__qualname__``, ``__doc__``, ``__module__``,
  and ``__wrapped__``, which points at the original function. ``functools.wraps`` (or
  ``functools.update_wrapper``) copies all of them; this is checked for every decorator below.

Implement:

1. ``logged``: logs each call of the decorated function through ``log`` (``print`` by default).
   It works bare, ``@logged``, and with the keyword, ``@logged(log=messages.append)``. For a call
   ``add(1, 2, z=3)`` returning ``6`` it logs exactly two lines::

       call add(1, 2, z=3)
       add returned 6

   The arguments are the ``repr`` of each positional argument, then ``name=repr(value)`` for each
   keyword argument in the order given, joined by ``", "``; the name is ``__name__``. When the
   function raises, the second line is ``add raised ValueError: <str(exception)>`` and the *same*
   exception propagates to the caller.

2. ``retry(times, exceptions=Exception, *, delay=0.0, backoff=1.0, sleep=time.sleep)``: calls the
   decorated function until it returns, at most ``times`` times *in total* (the first call
   included: ``retry(3)`` means up to 3 calls, 2 of them retries). Only exceptions that are
   instances of ``exceptions`` (a class or a tuple of classes) are retried; any other exception
   propagates at once, without a retry. When all ``times`` calls fail, the exception of the last
   call propagates unchanged (the same object). Before each retry call ``sleep(wait)``, with
   ``wait = delay`` before the first retry and multiplied by ``backoff`` after each one; there is
   no sleep before the first call nor after the last. ``times < 1`` raises ``ValueError`` when
   ``retry`` is called.

3. ``memoize``: caches results by arguments. A call is identified by its positional arguments and
   its keyword arguments, whatever the order the keywords come in (``f(a=1, b=2)`` and
   ``f(b=2, a=1)`` are the same call); all arguments are hashable. The wrapper has two methods:
   ``cache_info()`` returns a dict ``{"hits": h, "misses": m, "size": s}`` (a hit is a call
   answered from the cache, a miss one that ran the function, ``size`` the number of results
   stored), and ``cache_clear()`` empties the cache and sets hits and misses back to 0. Every
   result is cached, ``None`` included; a call that raises stores nothing (it counts as a miss).
   Each decorated function has a cache of its own. ``functools.lru_cache`` and
   ``functools.cache`` are not allowed in this kata.

4. ``CountCalls``: a class used as a decorator, ``@CountCalls``. The decorated object is an
   instance of ``CountCalls``; calling it calls the function and adds 1 to its attribute
   ``calls`` (0 at the start). It keeps the function's metadata (``functools.update_wrapper``)
   and also decorates methods: on an instance, ``obj.method(x)`` must pass ``obj`` as ``self``
   (implement ``__get__``), while on the class, ``Cls.method`` returns the ``CountCalls`` object
   itself, so that ``Cls.method.calls`` reads the count.

Example::

    >>> lines = []
    >>> @logged(log=lines.append)
    ... def add(x, y, z=0):
    ...     "Add three numbers."
    ...     return x + y + z
    >>> add(1, 2, z=3), lines, add.__name__, add.__wrapped__(1, 1)
    (6, ['call add(1, 2, z=3)', 'add returned 6'], 'add', 2)
    >>> @memoize
    ... def square(x):
    ...     return x * x
    >>> square(3), square(3), square.cache_info()
    (9, 9, {'hits': 1, 'misses': 1, 'size': 1})
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def logged(func: Callable[..., Any] | None = None, *, log: Callable[[str], object] = print) -> Any:
    """``@logged`` or ``@logged(log=...)``: log each call and its result or exception."""
    raise NotImplementedError("logged")


def retry(
    times: int,
    exceptions: type[BaseException] | tuple[type[BaseException], ...] = Exception,
    *,
    delay: float = 0.0,
    backoff: float = 1.0,
    sleep: Callable[[float], object] = time.sleep,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A decorator calling the function up to ``times`` times while it raises ``exceptions``."""
    raise NotImplementedError("retry")


def memoize(func: Callable[..., Any]) -> Callable[..., Any]:
    """Cache results by arguments; the wrapper has ``cache_info()`` and ``cache_clear()``."""
    raise NotImplementedError("memoize")


class CountCalls:
    """``@CountCalls``: counts calls in ``.calls``; works on functions and methods."""

    def __init__(self, func: Callable[..., Any]) -> None:
        raise NotImplementedError("CountCalls.__init__")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("CountCalls.__call__")

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        raise NotImplementedError("CountCalls.__get__")
