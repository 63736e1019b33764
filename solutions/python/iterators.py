"""Reference solution: iterators and generators (see the exercise for the statement)."""

from __future__ import annotations

from collections.abc import Generator, Iterable, Iterator
from itertools import islice
from typing import Any

_NOTHING = object()  # marks "no item peeked"; None is a legitimate item


class Peekable:
    def __init__(self, iterable: Iterable[Any]) -> None:
        # iter() takes nothing from the source yet; keeping only the iterator (not the iterable)
        # is what makes the Peekable single-pass even over a list.
        self._it = iter(iterable)
        self._peeked = _NOTHING

    def __iter__(self) -> Peekable:
        # An iterator is its own iterable: a for loop continues where the last one stopped.
        return self

    def __next__(self) -> Any:
        if self._peeked is not _NOTHING:
            item, self._peeked = self._peeked, _NOTHING
            return item
        return next(self._it)  # lets the source's StopIteration end the iteration

    def peek(self) -> Any:
        if self._peeked is _NOTHING:
            self._peeked = next(self._it)
        return self._peeked


def batched(iterable: Iterable[Any], n: int) -> Iterator[tuple[Any, ...]]:
    # Validate here, in a plain function: a generator function's body (and so its checks)
    # would only run at the first next().
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    return _batches(iter(iterable), n)


def _batches(it: Iterator[Any], n: int) -> Iterator[tuple[Any, ...]]:
    # islice pulls at most n items; an empty batch means the source is exhausted, so no
    # empty tuple is ever yielded and nothing is read ahead.
    while batch := tuple(islice(it, n)):
        yield batch


def clean(lines: Iterable[str]) -> Iterator[str]:
    for line in lines:
        line = line.strip()
        if line and not line.startswith("#"):
            yield line


def parse(lines: Iterable[str]) -> Iterator[float]:
    for line in lines:
        yield float(line)


def batch_means(lines: Iterable[str], n: int) -> Iterator[float]:
    # Each stage pulls one item from the previous one when asked: nothing is read in advance.
    for batch in batched(parse(clean(lines)), n):
        yield sum(batch) / len(batch)


def running_average() -> Generator[float | None, float, None]:
    total = 0.0
    count = 0
    mean = None
    while True:
        # One yield per value: it hands out the current mean and receives the next value.
        value = yield mean
        total += value
        count += 1
        mean = total / count
