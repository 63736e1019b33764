"""Iterators and generators: a peekable iterator, ``batched``, a lazy pipeline, a coroutine.

Source question: Q35: Python 生成器迭代器概念 (s001-35).

An *iterable* is anything ``iter()`` accepts (a list, a string, a file); an *iterator* is the
object that walks it: ``next(it)`` returns the next item and raises ``StopIteration`` at the end,
and ``iter(it)`` returns ``it`` itself, so an iterator is consumed once (single pass). A
*generator* function (one containing ``yield``) returns an iterator that runs its body lazily, a
step at a time, only as items are asked for. Laziness is the point of this kata: every piece must
work on an endless input such as ``itertools.count()`` and pull from its input only the items it
really needs.

1. ``Peekable(iterable)``: an iterator class over ``iterable`` with one extra method.

   * ``iter(p)`` returns ``p`` itself; ``next(p)`` returns the next item and raises
     ``StopIteration`` when there is none (every time it is called after the end).
   * ``p.peek()`` returns the next item *without consuming it*: the following ``next(p)``
     returns the same item. It raises ``StopIteration`` when there is no next item.
   * Lazy: creating a ``Peekable`` pulls nothing from ``iterable``; ``next`` and ``peek`` pull at
     most one item, and none when an item was already peeked.

2. ``batched(iterable, n)``: yields tuples of ``n`` consecutive items; the last tuple is shorter
   when the length is not a multiple of ``n`` (never an empty tuple). Lazy: producing a batch
   pulls exactly the ``n`` items it holds. ``n < 1`` raises ``ValueError`` as soon as
   ``batched`` is *called*, before any iteration (as ``itertools.batched`` does in Python 3.12).

3. A lazy pipeline of generator stages over lines of text:

   * ``clean(lines)`` yields each line stripped of surrounding whitespace, skipping blank lines
     and comments (lines whose first non-blank character is ``#``);
   * ``parse(lines)`` yields ``float(line)`` for each line;
   * ``batch_means(lines, n)`` chains ``clean``, ``parse`` and ``batched`` and yields the mean of
     each batch of ``n`` numbers (the last batch may be shorter). ``n >= 1``.

   No stage builds a list: asking ``batch_means`` for its first mean reads only the lines up to
   the ``n``-th number.

4. ``running_average()``: a generator used as a coroutine. Prime it with ``next(avg)``, which
   yields ``None``; after that each ``avg.send(value)`` adds ``value`` and returns the mean of all
   values sent so far, as a float. (As for every generator, sending a value before priming
   raises ``TypeError``.)

Example::

    >>> p = Peekable("ab")
    >>> p.peek(), next(p), next(p), list(p)
    ('a', 'a', 'b', [])
    >>> list(batched(range(7), 3))
    [(0, 1, 2), (3, 4, 5), (6,)]
    >>> next(batched(itertools.count(), 2))      # endless input: fine, it is lazy
    (0, 1)
    >>> list(batch_means([" 1", "# note", "", "3", "5.5"], 2))
    [2.0, 5.5]
    >>> avg = running_average()
    >>> next(avg) is None, avg.send(10), avg.send(20)
    (True, 10.0, 15.0)
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Iterator
from typing import Any


class Peekable:
    """An iterator over ``iterable`` whose next item can be looked at without consuming it."""

    def __init__(self, iterable: Iterable[Any]) -> None:
        raise NotImplementedError("Peekable.__init__")

    def __iter__(self) -> Peekable:
        raise NotImplementedError("Peekable.__iter__")

    def __next__(self) -> Any:
        raise NotImplementedError("Peekable.__next__")

    def peek(self) -> Any:
        """The next item, left in place; ``StopIteration`` when there is none."""
        raise NotImplementedError("Peekable.peek")


def batched(iterable: Iterable[Any], n: int) -> Iterator[tuple[Any, ...]]:
    """Tuples of ``n`` consecutive items, the last one possibly shorter; lazy."""
    raise NotImplementedError("batched")


def clean(lines: Iterable[str]) -> Iterator[str]:
    """Stripped lines, without blank lines and ``#`` comments; lazy."""
    raise NotImplementedError("clean")


def parse(lines: Iterable[str]) -> Iterator[float]:
    """``float(line)`` for each line; lazy."""
    raise NotImplementedError("parse")


def batch_means(lines: Iterable[str], n: int) -> Iterator[float]:
    """The mean of each batch of ``n`` numbers read from ``lines``; lazy."""
    raise NotImplementedError("batch_means")


def running_average() -> Generator[float | None, float, None]:
    """Prime with ``next()`` (yields None); then ``send(value)`` returns the mean so far."""
    raise NotImplementedError("running_average")
