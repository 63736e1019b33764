"""Mutant of python/decorators: logged copies __name__ and __doc__ by hand and loses __wrapped__."""

from __future__ import annotations

import functools
import time
import types
from collections.abc import Callable
from typing import Any


def logged(func: Callable[..., Any] | None = None, *, log: Callable[[str], object] = print) -> Any:
    if func is None:
        # Called as @logged(log=...): return the decorator, to be applied to the function next.
        return functools.partial(logged, log=log)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        shown = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
        log(f"call {func.__name__}({', '.join(shown)})")
        try:
            result = func(*args, **kwargs)
        except Exception as exc:
            log(f"{func.__name__} raised {type(exc).__name__}: {exc}")
            raise  # a bare raise re-raises the same object, traceback included
        log(f"{func.__name__} returned {result!r}")
        return result

    wrapper.__name__ = func.__name__
    wrapper.__qualname__ = func.__qualname__
    wrapper.__doc__ = func.__doc__
    wrapper.__module__ = func.__module__
    return wrapper


def retry(
    times: int,
    exceptions: type[BaseException] | tuple[type[BaseException], ...] = Exception,
    *,
    delay: float = 0.0,
    backoff: float = 1.0,
    sleep: Callable[[float], object] = time.sleep,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    # Checked in the factory, so a bad @retry(0) fails where it is written, at definition time.
    if times < 1:
        raise ValueError(f"times must be at least 1, got {times}")

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            wait = delay
            for attempt in range(1, times + 1):
                try:
                    return func(*args, **kwargs)
                except exceptions:  # anything else propagates without a retry
                    if attempt == times:
                        raise  # the last failure, unchanged
                    sleep(wait)
                    wait *= backoff
            raise AssertionError("unreachable: the loop returns or raises")

        return wrapper

    return decorate


def memoize(func: Callable[..., Any]) -> Callable[..., Any]:
    # One dict per decorated function: the cache lives in this call's closure.
    cache: dict[Any, Any] = {}
    stats = {"hits": 0, "misses": 0}

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        # Sorting the keywords makes their order irrelevant to the key.
        key = (args, tuple(sorted(kwargs.items())))
        # A membership test, not cache.get(key) is None: None is a result worth caching too.
        if key in cache:
            stats["hits"] += 1
            return cache[key]
        stats["misses"] += 1
        result = func(*args, **kwargs)  # if this raises, nothing is stored
        cache[key] = result
        return result

    def cache_info() -> dict[str, int]:
        return {"hits": stats["hits"], "misses": stats["misses"], "size": len(cache)}

    def cache_clear() -> None:
        cache.clear()
        stats["hits"] = stats["misses"] = 0

    wrapper.cache_info = cache_info  # type: ignore[attr-defined]
    wrapper.cache_clear = cache_clear  # type: ignore[attr-defined]
    return wrapper


class CountCalls:
    def __init__(self, func: Callable[..., Any]) -> None:
        functools.update_wrapper(self, func)  # metadata on the instance, __wrapped__ included
        self.func = func
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self.func(*args, **kwargs)

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        # An instance is not a function, so obj.method would not bind obj as self by itself:
        # bind it here, as a function's own __get__ does.
        if instance is None:
            return self
        return types.MethodType(self, instance)
