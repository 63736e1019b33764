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
    # The first pass's items are the other tests' concern; here only what a second pass gives.
    first = drain(p, "list(Peekable(items))")
    second = drain(iter(p), "a second pass over the same Peekable")
    assert_equal(
        second,
        [],
        what="a second pass over the same Peekable",
        where="single pass: an exhausted iterator yields nothing more",
        misconceptions={
            MISTAKES["iter-restarts"]: first,
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


def peek_next_script(seed=7, steps=30):
    """A seeded mix of ``"peek"`` and ``"next"`` calls."""
    gen = rng(seed)
    return ["peek" if gen.random() < 0.5 else "next" for _ in range(steps)]


@pytest.mark.points(1)
def test_peek_does_not_consume(kata):
    p = kata.Peekable(itertools.count())
    assert_equal(p.peek(), 0, what="p.peek()")
    assert_equal(p.peek(), 0, what="p.peek() a second time")
    assert_equal(next(p), 0, what="next(p) after peek()", where="peek must not consume the item")
    # A seeded mix of peeks and nexts against the obvious model of the stream 1, 2, 3, ...
    expected_next = 1
    for step, action in enumerate(peek_next_script()):
        if action == "peek":
            assert_equal(p.peek(), expected_next, what=f"peek() at step {step}")
        else:
            assert_equal(next(p), expected_next, what=f"next(p) at step {step}")
            expected_next += 1


@pytest.mark.points(1)
def test_peekable_pulls_lazily(kata):
    # Only the counts of items pulled: what peek and next return is test_peek_does_not_consume's.
    source = Source(cap=50, what="Peekable")
    p = kata.Peekable(source)
    expect_pulled(source, 0, "creating Peekable(source)")
    p.peek()
    p.peek()
    expect_pulled(source, 1, "two peeks")
    next(p)
    expect_pulled(source, 1, "next(p) after peek()")
    # The items pulled are those returned by next plus the one waiting after a peek.
    returned, waiting = 1, 0
    for step, action in enumerate(peek_next_script()):
        if action == "peek":
            p.peek()
            waiting = 1
        else:
            next(p)
            returned, waiting = returned + 1, 0
        expect_pulled(source, returned + waiting, f"step {step} of mixed peek/next calls")


@pytest.mark.points(1)
def test_peekable_peeks_none_like_any_other_item(kata):
    items = [None, 1, None]
    p = kata.Peekable(items)
    steps = []
    expected = []
    for action, value in [
        ("peek", None),
        ("next", None),
        ("peek", 1),
        ("next", 1),
        ("peek", None),
        ("peek", None),
        ("next", None),
    ]:
        try:
            got = p.peek() if action == "peek" else next(p)
        except StopIteration:
            got = StopIteration
        steps.append(f"{action}() -> {got!r}")
        expected.append(f"{action}() -> {value!r}")
        if got is not value:
            fail(
                f"over Peekable({items!r}), the calls went {steps}; expected {expected}. None is "
                "an item like any other: mark an empty peek slot with a private sentinel object, "
                "not None"
            )
    expect_stop(p.peek, f"peek() after the last item of {items!r}")


@pytest.mark.points(1)
def test_exhausted_peekable_keeps_raising_stop_iteration(kata):
    p = kata.Peekable([])
    expect_stop(p.peek, "Peekable([]).peek()")
    expect_stop(lambda: next(p), "next(Peekable([]))")
    q = kata.Peekable(["only"])
    q.peek()  # what these two return is the other tests' concern: here, only the end
    next(q)
    for attempt in range(3):
        expect_stop(lambda: next(q), f"next() past the end (call {attempt + 1})")
        expect_stop(q.peek, f"peek() past the end (call {attempt + 1})")


# -- batched -------------------------------------------------------------------------------------
def as_tuples(batches):
    """The batches as tuples (whether each is a tuple is test_batched_yields_tuples' concern)."""
    return [tuple(batch) for batch in batches]


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "length, n", [(10, 3), (2, 5), (7, 1), (13, 4)], ids=["10by3", "2by5", "7by1", "13by4"]
)
def test_batched_yields_batches_of_n_and_a_shorter_last_one(kata, length, n):
    items = [f"item{k}" for k in range(length)]
    got = as_tuples(drain(iter(kata.batched(iter(items), n)), f"batched({length} items, {n})"))
    if got and got[-1] == () and length % n == 0:
        got.pop()  # an empty batch at a boundary is test_batched_never_yields_an_empty_batch's
    expected = [tuple(items[i : i + n]) for i in range(0, length, n)]
    assert_equal(got, expected, what=f"batched({length} items, n={n})")


@pytest.mark.points(1)
def test_batched_yields_tuples(kata):
    got = drain(iter(kata.batched(range(7), 3)), "batched(range(7), 3)")
    not_tuples = {type(b).__name__ for b in got if type(b) is not tuple}
    if not_tuples:
        fail(
            "batched must yield tuples (as itertools.batched does), got "
            f"{', '.join(sorted(not_tuples))}"
        )


@pytest.mark.points(1)
@pytest.mark.parametrize("length, n", [(9, 3), (0, 2)], ids=["9by3", "empty"])
def test_batched_never_yields_an_empty_batch(kata, length, n):
    got = as_tuples(drain(iter(kata.batched(range(length), n)), f"batched(range({length}), {n})"))
    # Only whether a batch is empty: the items are test_batched_yields_batches_of_n_...'s concern.
    empty = [index for index, batch in enumerate(got) if not batch]
    if empty:
        tail = empty == [len(got) - 1]
        fail(
            f"batched(range({length}), n={n}) yielded {got}: an empty batch at position "
            f"{empty[0]} of {len(got)}; the last batch may be shorter, but never empty",
            MISTAKES["batched-empty-tail"] if tail else None,
        )


@pytest.mark.points(1)
@pytest.mark.parametrize("n", [4, 1])
def test_batched_is_lazy_on_endless_input(kata, n):
    source = Source(cap=100, what="batched")
    batches = kata.batched(source, n)
    expect_pulled(source, 0, f"calling batched(count(), {n}) before any next()")
    for k in range(1, 6):
        next(batches)  # only the items pulled: the batches' items are another test's concern
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
def test_clean_strips_and_skips_blank_lines_and_comments(kata):
    seed = 21
    lines, _ = text_lines(seed, 40)
    cleaned = drain(iter(kata.clean(iter(lines))), "clean(lines)")
    assert_equal(
        cleaned,
        [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")],
        what="clean(lines)",
        where=describe(seed),
    )


@pytest.mark.points(1)
def test_parse_converts_each_line_to_float(kata):
    parsed = drain(iter(kata.parse(iter(["1", " -2.5 ", "1e3"]))), "parse(lines)")
    assert_close(parsed, [1.0, -2.5, 1000.0], what='parse(["1", " -2.5 ", "1e3"])')


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, n", [(21, 3), (22, 5)])
def test_batch_means_averages_batches_of_the_cleaned_numbers(kata, seed, n):
    lines, numbers = text_lines(seed, 40)
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
    for k in range(1, 8):
        next(means)  # only the lines read: the means are another test's concern
        expect_pulled(
            source, positions[k * n - 1], f"batch_means after {k} means ({describe(seed, n=n)})"
        )


# -- the coroutine -------------------------------------------------------------------------------
@pytest.mark.points(2)
@pytest.mark.parametrize("seed", [31])
def test_running_average_send_returns_the_mean_so_far(kata, seed):
    values = [float(v) for v in rng(seed).normal(3.0, 10.0, 30)] + [4, -7]
    avg = kata.running_average()
    next(avg)  # what priming yields is test_priming_a_running_average_yields_none's concern
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
def test_priming_a_running_average_yields_none(kata):
    first = next(kata.running_average())
    if first is not None:
        fail(f"priming with next(avg) must yield None (no value yet), got {first!r}")


@pytest.mark.points(1)
def test_sending_to_an_unprimed_running_average_raises_type_error(kata):
    try:
        kata.running_average().send(5.0)
    except TypeError:
        return
    fail(
        "sending a value to a running_average that was not primed must raise TypeError, as "
        "every generator does; running_average should be a generator function"
    )


@pytest.mark.points(1)
def test_running_averages_are_independent_generators(kata):
    # The reference is the learner's own generators, each fed alone: this test judges
    # independence only (the means are test_running_average_send_returns_the_mean_so_far's).
    sent = {"first": [2.0, 4.0, 9.0], "second": [10.0, 20.0, -6.0]}
    alone = {}
    for name, values in sent.items():
        avg = kata.running_average()
        next(avg)
        alone[name] = [avg.send(v) for v in values]
        avg.close()
    first, second = kata.running_average(), kata.running_average()
    next(first)
    next(second)
    got = {"first": [], "second": []}
    for a, b in zip(sent["first"], sent["second"], strict=True):
        got["first"].append(first.send(a))
        got["second"].append(second.send(b))
    first.close()
    second.close()
    for name in sent:
        assert_equal(
            got[name],
            alone[name],
            what=f"{name}.send(...) results, interleaved with the other generator",
            where=f"{name} fed {sent[name]}, compared with the same generator fed alone: each "
            "running_average must keep its own total and count",
        )
