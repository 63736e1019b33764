"""Hidden grader for python/iterators; the oracles are list slicing and closed-form means.

Laziness is judged by counting: the inputs are iterators that record how many items were pulled
from them and refuse to give more than a cap, so an implementation that reads its whole input
first fails at once (with a message) instead of hanging on an endless input.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from katakit import misconceptions
from katakit.checks import assert_close, assert_equal, describe, fail, rng

MISTAKES = misconceptions.of(__file__)


class OverPulled(AssertionError):
    """Raised by a counting source asked for more items than it may give."""


class Source:
    """An iterator over ``items`` (endless when None: 0, 1, 2, ...) that counts what is pulled."""

    def __init__(self, items=None, cap=1000, what="the input"):
        self._it = itertools.count() if items is None else iter(items)
        self.cap = cap
        self.what = what
        self.pulled = 0

    def __iter__(self):
        return self

    def __next__(self):
        if self.pulled >= self.cap:
            raise OverPulled(
                f"{self.what} was asked for more than {self.cap} items although only a few were "
                "needed: it looks like the whole input is read (into a list?) before anything is "
                "produced. Pull items one at a time, only when the next result is asked for."
            )
        item = next(self._it)
        self.pulled += 1
        return item


def drain(iterator, what, limit=200):
    """All remaining items of ``iterator``, failing (not hanging) if it does not stop."""
    __tracebackhide__ = True
    items = []
    for _ in range(limit + 1):
        try:
            items.append(next(iterator))
        except StopIteration:
            return items
    fail(f"{what}: still producing items after {limit}; it never raises StopIteration")


def expect_stop(call, what):
    __tracebackhide__ = True
    try:
        got = call()
    except StopIteration:
        return
    fail(f"{what}: expected StopIteration at the end, but it returned {got!r}")


def expect_pulled(source, expected, what):
    __tracebackhide__ = True
    if source.pulled != expected:
        fail(
            f"{what}: pulled {source.pulled} items from the input, expected exactly {expected}"
            + (
                "; nothing may be read ahead of what is asked for"
                if source.pulled > expected
                else ""
            )
        )


# -- Peekable ------------------------------------------------------------------------------------
@pytest.mark.points(2)
def test_peekable_is_its_own_iterator_and_single_pass(kata):
    items = [3, None, "x", 0, 3]
    p = kata.Peekable(items)
    assert_equal(drain(p, "list(Peekable(items))"), items, what="items of Peekable(items)")
    second = drain(iter(p), "a second pass over the same Peekable")
    assert_equal(
        second,
        [],
        what="a second pass over the same Peekable",
        where="single pass: an exhausted iterator yields nothing more",
        misconceptions={
            MISTAKES["iter-restarts"]: items,
        },
    )
    if iter(p) is not p:
        fail(
            "iter(p) must return p itself: an iterator is its own iterable, so that a second "
            f"loop continues where the first stopped (iter(p) returned a new "
            f"{type(iter(p)).__name__} object)"
        )
    half = kata.Peekable(iter(range(6)))
    for item in half:
        if item == 2:
            break
    assert_equal(drain(iter(half), "the loop after a break"), [3, 4, 5], what="items after break")


@pytest.mark.points(2)
def test_peek_does_not_consume_and_pulls_lazily(kata):
    source = Source(cap=50, what="Peekable")
    p = kata.Peekable(source)
    expect_pulled(source, 0, "creating Peekable(source)")
    assert_equal(p.peek(), 0, what="p.peek()")
    assert_equal(p.peek(), 0, what="p.peek() a second time")
    expect_pulled(source, 1, "two peeks")
    assert_equal(next(p), 0, what="next(p) after peek()", where="peek must not consume the item")
    expect_pulled(source, 1, "next(p) after peek()")
    # A seeded mix of peeks and nexts against the obvious model of the stream: the items pulled
    # are those returned by next plus the one waiting after a peek.
    gen = rng(7)
    expected_next, waiting = 1, 0
    for step in range(30):
        if gen.random() < 0.5:
            assert_equal(p.peek(), expected_next, what=f"peek() at step {step}")
            waiting = 1
        else:
            assert_equal(next(p), expected_next, what=f"next(p) at step {step}")
            expected_next, waiting = expected_next + 1, 0
        expect_pulled(source, expected_next + waiting, f"step {step} of mixed peek/next calls")


@pytest.mark.points(1)
def test_peekable_peeks_none_like_any_other_item(kata):
    items = [None, 1, None]
    source = Source(items, what="Peekable")
    p = kata.Peekable(source)
    steps = []
    expected = []
    for action, value, pulled in [
        ("peek", None, 1),
        ("next", None, 1),
        ("peek", 1, 2),
        ("next", 1, 2),
        ("peek", None, 3),
        ("peek", None, 3),
        ("next", None, 3),
    ]:
        got = p.peek() if action == "peek" else next(p)
        steps.append(f"{action}() -> {got!r}")
        expected.append(f"{action}() -> {value!r}")
        if got is not value or source.pulled != pulled:
            fail(
                f"over Peekable({items!r}), the calls went {steps} with {source.pulled} item(s) "
                f"pulled; expected {expected} with {pulled} pulled. None is an item like any "
                "other: mark an empty peek slot with a private sentinel object, not None"
            )
    expect_stop(p.peek, f"peek() after the last item of {items!r}")


@pytest.mark.points(1)
def test_exhausted_peekable_keeps_raising_stop_iteration(kata):
    p = kata.Peekable([])
    expect_stop(p.peek, "Peekable([]).peek()")
    expect_stop(lambda: next(p), "next(Peekable([]))")
    q = kata.Peekable(["only"])
    assert_equal(q.peek(), "only", what="peek() of the last item")
    assert_equal(next(q), "only", what="next() after peeking the last item")
    for attempt in range(3):
        expect_stop(lambda: next(q), f"next() past the end (call {attempt + 1})")
        expect_stop(q.peek, f"peek() past the end (call {attempt + 1})")


# -- batched -------------------------------------------------------------------------------------
@pytest.mark.points(1)
@pytest.mark.parametrize(
    "length, n", [(10, 3), (2, 5), (7, 1), (13, 4)], ids=["10by3", "2by5", "7by1", "13by4"]
)
def test_batched_yields_tuples_and_a_shorter_last_batch(kata, length, n):
    items = [f"item{k}" for k in range(length)]
    got = drain(iter(kata.batched(iter(items), n)), f"batched({length} items, {n})")
    not_tuples = {type(b).__name__ for b in got if type(b) is not tuple}
    if not_tuples:
        fail(f"batched must yield tuples (as itertools.batched does), got {sorted(not_tuples)}")
    expected = [tuple(items[i : i + n]) for i in range(0, length, n)]
    assert_equal(got, expected, what=f"batched({length} items, n={n})")


@pytest.mark.points(1)
@pytest.mark.parametrize("length, n", [(9, 3), (0, 2)], ids=["9by3", "empty"])
def test_batched_never_yields_an_empty_batch(kata, length, n):
    got = drain(iter(kata.batched(range(length), n)), f"batched(range({length}), {n})")
    expected = [tuple(range(i, min(i + n, length))) for i in range(0, length, n)]
    assert_equal(
        got,
        expected,
        what=f"batched(range({length}), n={n})",
        misconceptions={
            MISTAKES["batched-empty-tail"]: [*expected, ()],
        },
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("n", [4, 1])
def test_batched_is_lazy_on_endless_input(kata, n):
    source = Source(cap=100, what="batched")
    batches = kata.batched(source, n)
    expect_pulled(source, 0, f"calling batched(count(), {n}) before any next()")
    for k in range(1, 6):
        assert_equal(
            next(batches), tuple(range((k - 1) * n, k * n)), what=f"batch {k}", where=f"n={n}"
        )
        expect_pulled(source, k * n, f"after {k} batches of {n}")


@pytest.mark.points(1)
def test_batched_rejects_n_below_one_when_called(kata):
    for n in (0, -2):
        source = Source([1, 2, 3])
        try:
            result = kata.batched(source, n)
        except ValueError:
            expect_pulled(source, 0, f"batched(..., {n}) raising ValueError")
            continue
        try:
            next(iter(result))
        except ValueError:
            fail(
                f"batched(iterable, {n}) raised ValueError only at the first next(), not when it "
                "was called: a generator function's body, checks included, runs only when "
                "iterated. Check n in a plain function that then returns the generator."
            )
        except StopIteration:
            pass
        fail(f"batched(iterable, {n}) must raise ValueError (n must be at least 1)")


# -- the pipeline --------------------------------------------------------------------------------
def text_lines(seed, count):
    """Numbers formatted with stray whitespace, mixed with blank lines and comments."""
    gen = rng(seed)
    lines, numbers = [], []
    for _ in range(count):
        kind = gen.integers(0, 6)
        if kind == 0:
            lines.append(["", "   ", "\t\n"][gen.integers(0, 3)])
        elif kind == 1:
            lines.append(["# a comment", "   # indented comment 7", "#"][gen.integers(0, 3)])
        else:
            value = round(float(gen.normal(0, 50)), 3)
            numbers.append(value)
            lines.append(" " * int(gen.integers(0, 3)) + repr(value) + ["", "\n", "  "][kind % 3])
    return lines, numbers


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, n", [(21, 3), (22, 5)])
def test_pipeline_stages_clean_parse_and_average(kata, seed, n):
    lines, numbers = text_lines(seed, 40)
    cleaned = drain(iter(kata.clean(iter(lines))), "clean(lines)")
    assert_equal(
        cleaned,
        [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")],
        what="clean(lines)",
        where=describe(seed),
    )
    parsed = drain(iter(kata.parse(iter(["1", " -2.5 ", "1e3"]))), "parse(lines)")
    assert_close(parsed, [1.0, -2.5, 1000.0], what='parse(["1", " -2.5 ", "1e3"])')
    means = drain(iter(kata.batch_means(iter(lines), n)), f"batch_means(lines, {n})")
    expected = [np.mean(numbers[i : i + n]) for i in range(0, len(numbers), n)]
    assert_close(means, expected, what=f"batch_means(lines, {n})", where=describe(seed, n=n))


@pytest.mark.points(2)
def test_pipeline_is_lazy_end_to_end_on_endless_input(kata):
    seed, n = 23, 4
    lines, _ = text_lines(seed, 17)
    endless = itertools.cycle(lines)
    for stage in ("clean", "parse"):
        source = Source(endless, cap=50, what=stage)
        getattr(kata, stage)(source)
        expect_pulled(source, 0, f"calling {stage}(lines) before any next()")
    source = Source(itertools.cycle(lines), cap=400, what="batch_means")
    means = kata.batch_means(source, n)
    expect_pulled(source, 0, "calling batch_means(lines, n) before any next()")
    # Where the k-th number sits in the endless stream: the lines a lazy pipeline has read.
    is_number = [bool(s.strip()) and not s.strip().startswith("#") for s in lines] * 40
    positions = [index + 1 for index, flag in enumerate(is_number) if flag]
    values = [
        float(s)
        for s in itertools.islice(itertools.cycle(lines), len(is_number))
        if s.strip() and not s.strip().startswith("#")
    ]
    for k in range(1, 8):
        assert_close(
            next(means),
            np.mean(values[(k - 1) * n : k * n]),
            what=f"mean {k} of the endless pipeline",
            where=describe(seed, n=n),
        )
        expect_pulled(source, positions[k * n - 1], f"batch_means after {k} means")


# -- the coroutine -------------------------------------------------------------------------------
@pytest.mark.points(2)
@pytest.mark.parametrize("seed", [31])
def test_running_average_send_returns_the_mean_so_far(kata, seed):
    values = [float(v) for v in rng(seed).normal(3.0, 10.0, 30)] + [4, -7]
    avg = kata.running_average()
    first = next(avg)
    if first is not None:
        fail(f"priming with next(avg) must yield None (no value yet), got {first!r}")
    got = []
    for value in values:
        mean = avg.send(value)
        if mean is None:
            fail(
                f"avg.send({value!r}) returned None after {len(got)} values; each send must return "
                "the new mean. Use one yield per value: value = yield mean."
            )
        got.append(mean)
    expected = np.cumsum(values) / np.arange(1, len(values) + 1)
    assert_close(
        got,
        expected,
        what="avg.send(value) results",
        where=describe(seed, n_values=len(values)),
        rtol=1e-9,
        misconceptions={
            MISTAKES["send-returns-old-mean"]: np.concatenate([[0.0], expected[:-1]]),
        },
    )


@pytest.mark.points(1)
def test_running_averages_are_independent_generators(kata):
    first, second = kata.running_average(), kata.running_average()
    try:
        first.send(5.0)
    except TypeError:
        pass
    else:
        fail(
            "sending a value to a running_average that was not primed must raise TypeError, as "
            "every generator does; running_average should be a generator function"
        )
    next(first)
    next(second)
    assert_close(first.send(2.0), 2.0, what="first.send(2.0)")
    assert_close(second.send(10.0), 10.0, what="second.send(10.0)", where="a separate average")
    assert_close(first.send(4.0), 3.0, what="first.send(4.0)")
    assert_close(second.send(20.0), 15.0, what="second.send(20.0)")
    first.close()
