"""Hidden grader for python/decorators; the oracles are the statement's exact rules.

Every decorated function is a probe written here: it records its calls, so call counts, the
arguments it received and the exception objects it raised are known exactly. Sleeps are injected
(``sleep=sleeps.append``), so retry's waits are checked by value, never by timing. The decorated
functions stay on the grader's side and are called back from the learner's wrappers; what must
happen where the learner's code runs (printing, ``except`` clauses, binding a method) goes there
with a probe.
"""

from __future__ import annotations

import contextlib

import pytest

from katakit import misconceptions
from katakit.checks import assert_close, assert_equal, describe, fail, rng
from katakit.sandbox import probe

MISTAKES = misconceptions.of(__file__)


def make_target():
    """A fresh function with every kind of parameter and a docstring of its own."""

    def target(a, b=2, *rest, c=3, **extra):
        """Combine the arguments into one tuple (docstring of the original)."""
        return (a, b, rest, c, sorted(extra.items()))

    return target


DECORATE = {
    "logged": lambda kata, f: kata.logged(log=lambda line: None)(f),
    "retry": lambda kata, f: kata.retry(2)(f),
    "memoize": lambda kata, f: kata.memoize(f),
    "CountCalls": lambda kata, f: kata.CountCalls(f),
}


@pytest.mark.points(1)
@pytest.mark.parametrize("which", list(DECORATE))
def test_decorator_keeps_metadata(kata, which):
    target = make_target()
    decorated = DECORATE[which](kata, target)
    for attr in ("__name__", "__qualname__", "__doc__", "__module__"):
        got = getattr(decorated, attr, None)
        if got != getattr(target, attr):
            fail(
                f"{which}: the decorated function's {attr} is {got!r}, expected the original's "
                f"{getattr(target, attr)!r}; copy the metadata with functools.wraps(func) "
                "(functools.update_wrapper(self, func) in a class)"
            )
    if getattr(decorated, "__wrapped__", None) is not target:
        fail(
            f"{which}: decorated.__wrapped__ must be the original function (got "
            f"{getattr(decorated, '__wrapped__', 'no such attribute')!r}); copying __name__ and "
            "__doc__ by hand loses it, functools.wraps sets it (inspect.signature and "
            "inspect.unwrap rely on it)"
        )


@pytest.mark.points(1)
@pytest.mark.parametrize("which", list(DECORATE))
def test_decorator_passes_arguments_through(kata, which):
    decorated = DECORATE[which](kata, make_target())
    got = decorated(1, 5, 6, 7, c=8, z=9, y=10)
    assert_equal(
        got,
        (1, 5, (6, 7), 8, [("y", 10), ("z", 9)]),
        what=f"{which}: decorated(1, 5, 6, 7, c=8, z=9, y=10)",
        where="every positional and keyword argument must reach the original (*args, **kwargs)",
    )
    assert_equal(decorated(0), (0, 2, (), 3, []), what=f"{which}: decorated(0), the defaults")


# -- logged --------------------------------------------------------------------------------------
def expected_call_line(name, args, kwargs):
    shown = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return f"call {name}({', '.join(shown)})"


@pytest.mark.points(2)
def test_logged_logs_the_call_and_the_result(kata):
    lines = []

    def join_words(words, sep=" ", *, upper=False):
        text = sep.join(words)
        return text.upper() if upper else text

    decorated = kata.logged(log=lines.append)(join_words)
    cases = [
        ((["a", "b c"],), {}),
        ((["x", "y"], "-"), {"upper": True}),
        (([],), {"upper": False, "sep": "+"}),
    ]
    for args, kwargs in cases:
        lines.clear()
        decorated(*args, **kwargs)  # the value returned is test_decorator_passes_arguments_...'s
        expected = join_words(*args, **kwargs)
        assert_equal(
            lines,
            [expected_call_line("join_words", args, kwargs), f"join_words returned {expected!r}"],
            what="logged lines",
            where=f"join_words(*{args!r}, **{kwargs!r})",
        )


def check_positive_raising(raised):
    """A function that always raises a fresh ValueError, kept in ``raised``."""

    def check_positive(x):
        error = ValueError(f"{x} is not positive")
        raised.append(error)
        raise error

    return check_positive


@pytest.mark.points(1)
def test_logged_reraises_the_same_exception(kata):
    raised = []
    decorated = kata.logged(log=lambda line: None)(check_positive_raising(raised))
    try:
        result = decorated(-7)
    except ValueError as exc:
        if exc is not raised[0]:
            fail("logged raised a new ValueError; re-raise the original exception (bare raise)")
    except Exception as exc:
        fail(
            f"logged raised {type(exc).__name__}: {exc} instead of the function's own "
            "ValueError; log it, then re-raise it unchanged (bare raise)"
        )
    else:
        fail(f"logged swallowed the exception and returned {result!r}; log it, then re-raise it")


@pytest.mark.points(1)
def test_logged_logs_the_exception_as_the_second_line(kata):
    lines = []
    decorated = kata.logged(log=lines.append)(check_positive_raising([]))
    with contextlib.suppress(Exception):  # whether it propagates is another test's concern
        decorated(-7)
    # The last line only: the call line is test_logged_logs_the_call_and_the_result's concern.
    expected = "check_positive raised ValueError: -7 is not positive"
    if not lines or lines[-1] != expected:
        fail(
            f"logged lines for check_positive(-7), which raises ValueError('-7 is not positive'): "
            f"{lines!r}; the line after the call line must be {expected!r}, "
            "'<name> raised <type name>: <str(exception)>'"
        )


@probe
def call_printing(function, *args):
    """``function(*args)`` and what it printed, captured where the learner's ``print`` runs."""
    import contextlib
    import io

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        result = function(*args)
    return result, printed.getvalue()


@pytest.mark.points(1)
def test_bare_logged_prints(kata):
    def double(x):
        return 2 * x

    expected = "call double(21)\ndouble returned 42\n"
    # The lines' format is test_logged_logs_the_call_and_the_result's concern: what the learner's
    # own @logged(log=...) writes for the same call is accepted as well.
    own = []
    try:
        kata.logged(log=own.append)(double)(21)
    except Exception:
        own = None
    decorated = kata.logged(double)
    _, printed = call_printing(decorated, 21)
    if own is not None and printed == "".join(f"{line}\n" for line in own):
        return
    assert_equal(
        printed,
        expected,
        what="what bare @logged prints",
        where="@logged without arguments logs with print",
    )


# -- retry ---------------------------------------------------------------------------------------
class Flaky:
    """Raises ``failures`` fresh exceptions (made by ``error``), then returns ``value``."""

    def __init__(self, failures, error=ValueError, value="ok"):
        self.failures = failures
        self.error = error
        self.value = value
        self.calls = []
        self.raised = []

    def __call__(self, *args, **kwargs):
        self.calls.append((args, kwargs))
        if len(self.calls) <= self.failures:
            exc = self.error(f"failure {len(self.calls)}")
            self.raised.append(exc)
            raise exc
        return self.value


def call_count_problem(made, times):
    if made == times + 1:
        return " (one call too many: times counts every call, the first one included)"
    if made == times - 1:
        return " (one call too few: times counts every call, the first one included)"
    return ""


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "times, failures",
    [(3, 2), (5, 4), (4, 1)],
    ids=["3calls_2fail", "5calls_4fail", "4calls_1fail"],
)
def test_retry_calls_until_the_function_succeeds(kata, times, failures):
    flaky, sleeps = Flaky(failures), []
    decorated = kata.retry(times, ValueError, delay=0.25, sleep=sleeps.append)(flaky)
    try:
        result = decorated("arg", key=1)
    except ValueError as exc:
        fail(
            f"retry({times}) gave up with {exc!r} after {len(flaky.calls)} calls; the function "
            f"fails {failures} times and then succeeds, which fits in {times} calls"
            + call_count_problem(len(flaky.calls), times)
        )
    assert_equal(result, "ok", what="the result after the retries")
    assert_equal(
        len(flaky.calls),
        failures + 1,
        what="number of calls made",
        where=f"retry({times}), {failures} failures then success",
    )
    assert_equal(
        flaky.calls, [(("arg",), {"key": 1})] * (failures + 1), what="arguments of every call"
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("times", [3])
def test_retry_gives_up_after_times_calls_with_the_last_exception(kata, times):
    flaky, sleeps = Flaky(failures=100), []
    decorated = kata.retry(
        times, (KeyError, ValueError), delay=0.5, backoff=2.0, sleep=sleeps.append
    )(flaky)
    try:
        result = decorated()
    except ValueError as exc:
        if exc is not flaky.raised[-1]:
            which = next((i + 1 for i, e in enumerate(flaky.raised) if e is exc), None)
            fail(
                f"the exception that propagated is {exc!r}"
                + (f", from call {which}" if which else ", a new object")
                + f"; after {len(flaky.calls)} failed calls the last call's exception must "
                "propagate unchanged (re-raise it with a bare raise)"
            )
    except Exception as exc:  # any other type is an exception the learner made up
        fail(
            f"retry raised {type(exc).__name__}: {exc}; when every call fails, the last call's "
            "own exception must propagate unchanged"
        )
    else:
        fail(
            f"every call failed but the decorated function returned {result!r}; the last "
            "exception must propagate, not be swallowed"
        )
    made = len(flaky.calls)
    if made != times:
        fail(
            f"retry({times}) made {made} calls before giving up, expected {times}"
            + call_count_problem(made, times)
        )


@pytest.mark.points(1)
def test_retry_sleeps_delay_then_backoff_between_calls(kata):
    # The sleeps are judged against the calls the learner's retry really made: how many calls
    # it makes is the other retry tests' concern.
    flaky, sleeps = Flaky(failures=3), []
    kata.retry(6, ValueError, delay=0.5, backoff=2.0, sleep=sleeps.append)(flaky)()
    assert_close(
        sleeps,
        [0.5 * 2.0**k for k in range(len(flaky.calls) - 1)],
        what="sleeps between attempts",
        where=f"retry(6, delay=0.5, backoff=2.0), {len(flaky.calls)} calls (3 failures, then "
        "success): one sleep before each retry, none before the first call",
    )
    flaky, sleeps = Flaky(failures=100), []
    with contextlib.suppress(Exception):  # what propagates is test_retry_gives_up_...'s concern
        kata.retry(3, ValueError, delay=0.5, backoff=2.0, sleep=sleeps.append)(flaky)()
    assert_close(
        sleeps,
        [0.5 * 2.0**k for k in range(len(flaky.calls) - 1)],
        what="sleeps between attempts",
        where=f"retry(3, delay=0.5, backoff=2.0), {len(flaky.calls)} calls that all failed: one "
        "sleep before each retry, none after the last call",
    )


class EveryThird:
    """Fails twice, then succeeds, then again fails twice: every call of the decorated function
    needs three attempts."""

    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        if self.calls % 3:
            raise ValueError(f"attempt {self.calls} fails")
        return self.calls


@pytest.mark.points(1)
def test_retry_starts_afresh_on_every_call(kata):
    func, sleeps = EveryThird(), []
    # retry(5) leaves room: a count of calls off by one is test_retry_calls_until_...'s concern.
    decorated = kata.retry(5, ValueError, delay=0.5, backoff=2.0, sleep=sleeps.append)(func)
    results = []
    for call in (1, 2):
        try:
            results.append(decorated())
        except ValueError as exc:
            fail(
                f"call {call} of the decorated function gave up with {exc!r} after "
                f"{func.calls} attempts in all; each call needs 3 attempts and retry(5) allows "
                "5 per call: keep the attempt count in the wrapper's own local variables"
            )
    assert_equal(results, [3, 6], what="results of two calls, each after two failures")
    # The second call's sleeps against the first call's: the waits themselves are
    # test_retry_sleeps_delay_then_backoff_between_calls' concern.
    half = len(sleeps) // 2
    assert_close(
        sleeps[half:],
        sleeps[:half],
        what="sleeps of the second call of the decorated function",
        where=f"delay=0.5, backoff=2.0, all sleeps {sleeps}, compared with the first call's: "
        "every call starts again from delay; keep wait a local variable of the wrapper, not "
        "state shared by all calls",
    )


@pytest.mark.points(1)
def test_retry_lets_unlisted_exceptions_through_at_once(kata):
    flaky, sleeps = Flaky(failures=5, error=TypeError), []
    listed = (KeyError, ValueError)
    decorated = kata.retry(4, listed, delay=1.0, sleep=sleeps.append)(flaky)
    try:
        decorated()
    except TypeError as exc:
        propagated = exc
    else:
        fail("a TypeError (not in exceptions) was swallowed; it must propagate")
    if len(flaky.calls) != 1:  # the sleeps themselves are another test's concern
        fail(
            f"a TypeError is not in exceptions=(KeyError, ValueError), yet the function was "
            f"called {len(flaky.calls)} times with {len(sleeps)} sleeps; exceptions that are "
            "not listed propagate at once, without a retry (catch only `exceptions`)"
        )
    if propagated is not flaky.raised[0]:
        fail("the TypeError that propagated is not the function's own exception object")
    # A single class is accepted, and subclasses of a listed class are retried; retry(5)
    # leaves room for a count of calls off by one (test_retry_calls_until_...'s concern).
    lookup = Flaky(failures=2, error=KeyError)
    assert_equal(
        kata.retry(5, LookupError, sleep=lambda s: None)(lookup)(),
        "ok",
        what="retry(5, LookupError) around a function raising KeyError twice",
    )
    assert_equal(len(lookup.calls), 3, what="calls made (KeyError is a LookupError)")


@pytest.mark.points(1)
def test_retry_rejects_times_below_one(kata):
    for times in (0, -1):
        try:
            kata.retry(times)
        except ValueError:
            continue
        fail(f"retry({times}) must raise ValueError when called: at least one call is needed")


# -- memoize -------------------------------------------------------------------------------------
def memo_info(decorated, what):
    __tracebackhide__ = True
    info = getattr(decorated, "cache_info", None)
    if not callable(info):
        fail(f"{what}: the memoized function has no cache_info() method")
    return info()


# Each memoize test calls with arguments no other test uses, so that a cache shared across
# functions (test_memoized_functions_have_own_caches' concern) changes no other test's verdict.
@pytest.mark.points(2)
@pytest.mark.parametrize("seed", [41])
def test_memoize_answers_repeats_from_the_cache(kata, seed):
    real_calls = []

    def power(base, exponent=2, *, offset=0):
        real_calls.append((base, exponent, offset))
        return base**exponent + offset

    decorated = kata.memoize(power)
    gen = rng(seed)
    seen_orders = {}  # call identity -> keyword order of its first appearance
    for step in range(60):
        base = 700 + int(gen.integers(0, 4))
        kwargs = {}
        if gen.random() < 0.6:
            kwargs["exponent"] = int(gen.integers(1, 3))
        if gen.random() < 0.6:
            kwargs["offset"] = int(gen.integers(0, 2))
        items = list(kwargs.items())
        gen.shuffle(items)  # keyword order must not matter
        kwargs = dict(items)
        key = (base, frozenset(kwargs.items()))
        first_order = seen_orders.get(key)
        if first_order is None:
            seen_orders[key] = list(kwargs)
        got = decorated(base, **kwargs)
        call = f"step {step}: decorated({base}, **{kwargs})"
        expected = base ** kwargs.get("exponent", 2) + kwargs.get("offset", 0)
        assert_equal(
            got,
            expected,
            what=call,
            where=f"{describe(seed)}; a cached answer must come from this very call's "
            "arguments: keywords in the key",
        )
        misses = len(seen_orders)
        if len(real_calls) > misses:
            reason = (
                f"; it was first made with the keywords in the order {first_order}: sort "
                "the keyword items when building the key"
                if first_order is not None and first_order != list(kwargs)
                else ""
            )
            fail(f"{call} ran the function although the same call was made before{reason}")
        if len(real_calls) < misses:
            fail(f"{call} is a new call but was answered from the cache without running it")


@pytest.mark.points(1)
def test_memoize_cache_info_counts_hits_misses_and_size(kata):
    real_calls = []

    def triple(x):
        real_calls.append(x)
        if x == 5003 and real_calls.count(x) == 1:
            raise KeyError("the first call of triple(5003) fails")
        return 3 * x

    decorated = kata.memoize(triple)
    other = kata.memoize(lambda x: -x)  # its calls must not count in triple's numbers
    for x in (5501, 5502, 5501):
        other(x)
    # A cache shared with other functions (another test's concern) starts with their entries:
    # size is judged by how much it grows.
    start = memo_info(decorated, "triple")
    start_size = start.get("size", 0) if isinstance(start, dict) else 0
    calls = [5001, 5001, 5002, 5003, 5003, 5001, 5003]
    for x in calls:
        with contextlib.suppress(KeyError):  # the first triple(5003): a miss, nothing stored
            decorated(x)
    expected = {"hits": 3, "misses": 4, "size": start_size + 3}
    assert_equal(
        memo_info(decorated, "triple"),
        expected,
        what="cache_info()",
        where=f"triple called with {calls}, the first triple(5003) raising KeyError (a miss "
        "that stores nothing), after calls of another memoized function: a hit is a "
        "call answered from the cache, a miss one that ran the function, size the number of "
        "results stored, each decorated function counting its own",
    )


@pytest.mark.points(1)
def test_memoize_caches_none_but_not_exceptions(kata):
    real_calls = []

    def lookup(x):
        real_calls.append(x)
        if x == 900 and real_calls.count(900) == 1:
            raise KeyError("first call of lookup(900) fails")
        return None if x < 0 else x

    decorated = kata.memoize(lookup)
    repeated = [decorated(-901), decorated(-901)]
    if real_calls.count(-901) != 1:
        fail(
            "lookup(-901) returned None and was computed again on the repeat call: None is a "
            "result too; test `key in cache`, not `cache.get(key) is None`"
        )
    assert_equal(repeated, [None, None], what="lookup(-901) twice")
    try:
        decorated(900)
    except KeyError:
        pass
    else:
        fail("the first call of lookup(900) raises KeyError; memoize must let it propagate")
    decorated(900)
    assert_equal(
        real_calls,
        [-901, 900, 900],
        what="calls that reached lookup",
        where="lookup(-901) twice (None is cached), then lookup(900) raising once and called "
        "again: a call that raises stores nothing, so the next one runs the function",
    )


@pytest.mark.points(1)
def test_memoized_functions_have_own_caches(kata):
    ten_calls = []

    def ten(x):
        ten_calls.append(x)
        return x * 10

    plus_one = kata.memoize(lambda x: x + 1)
    times_ten = kata.memoize(ten)
    # An argument no other test uses, so that a cache shared across functions (and tests) still
    # shows plus_one's answer here rather than an older one.
    assert_equal(plus_one(1001), 1002, what="plus_one(1001)")
    assert_equal(
        [times_ten(1001), times_ten(1001)],
        [10010, 10010],
        what="times_ten(1001) twice, after plus_one(1001)",
        misconceptions={
            MISTAKES["memoize-shared-cache"]: [1002, 1002],
        },
    )
    assert_equal(
        ten_calls,
        [1001],
        what="calls that reached times_ten",
        where="times_ten(1001) twice after plus_one(1001): its own cache answers the repeat",
    )


@pytest.mark.points(1)
def test_memoize_cache_clear_empties_the_cache_and_the_counts(kata):
    real_calls = []

    def halve(x):
        real_calls.append(x)
        return x / 2

    decorated = kata.memoize(halve)
    for x in (6001, 6001, 6002):
        decorated(x)
    clear = getattr(decorated, "cache_clear", None)
    if not callable(clear):
        fail("the memoized function has no cache_clear() method")
    clear()
    decorated(6001)
    if real_calls.count(6001) != 2:
        fail(
            "halve(6001) after cache_clear() was answered from the cache; cache_clear must "
            "empty the cache, so the next call runs the function again"
        )
    # The learner's own cache_info() of a function memoized afresh is the reference: what
    # cache_info() returns is test_memoize_cache_info_counts_hits_misses_and_size's concern.
    fresh = kata.memoize(lambda x: x / 4)
    fresh(7001)
    assert_equal(
        memo_info(decorated, "halve"),
        memo_info(fresh, "a fresh memoized function"),
        what="halve.cache_info() after 6001, 6001, 6002, cache_clear() and then 6001",
        where="compared with a function memoized afresh and called once (expected "
        "{'hits': 0, 'misses': 1, 'size': 1}): cache_clear empties the cache and sets hits "
        "and misses back to 0",
    )


# -- CountCalls ----------------------------------------------------------------------------------
@probe
def is_instance(obj, cls):
    return isinstance(obj, cls)


@pytest.mark.points(1)
def test_count_calls_counts_every_call(kata):
    def scale(x, factor=2):
        return x * factor

    counted = kata.CountCalls(scale)
    if not is_instance(counted, kata.CountCalls):
        fail("CountCalls(func) must be an instance of CountCalls (a class-based decorator)")
    assert_equal(counted.calls, 0, what="calls before any call")
    # The results are test_decorator_passes_arguments_through's concern: here, the count.
    counted(3)
    counted(3, factor=5)
    counted(x=1)
    assert_equal(counted.calls, 3, what="calls after three calls")
    again = kata.CountCalls(scale)
    assert_equal(again.calls, 0, what="calls of a second CountCalls object (a count of its own)")


@probe
def greeter_class(count_calls):
    """A class with a method decorated by ``count_calls``, made where the learner's decorator
    lives: attribute lookup on the instances (``__get__``) happens there."""

    class Greeter:
        def __init__(self, name):
            self.name = name

        @count_calls
        def greet(self, greeting, punctuation="!"):
            return f"{greeting}, {self.name}{punctuation}"

    return Greeter


@pytest.mark.points(1)
def test_count_calls_decorates_methods(kata):
    Greeter = greeter_class(kata.CountCalls)
    ada, bo = Greeter("Ada"), Greeter("Bo")
    try:
        got = [ada.greet("Hi"), bo.greet("Yo", punctuation="?")]
    except TypeError as exc:
        fail(
            f"ada.greet('Hi') raised TypeError: {exc}. The CountCalls object is not a function, "
            "so the instance is not passed as self: implement __get__(self, instance, owner) "
            "returning the object bound to instance (types.MethodType(self, instance))"
        )
    assert_equal(got, ["Hi, Ada!", "Yo, Bo?"], what="greetings through the decorated method")
    on_class = Greeter.__dict__["greet"]
    if Greeter.greet is not on_class:
        fail(
            "Greeter.greet (looked up on the class) must return the CountCalls object itself, "
            f"got {Greeter.greet!r}"
        )
    assert_equal(Greeter.greet.calls, 2, what="Greeter.greet.calls after two method calls")
    assert_equal(Greeter.greet(ada, "Hey"), "Hey, Ada!", what="Greeter.greet(ada, 'Hey')")
    assert_equal(Greeter.greet.calls, 3, what="calls after a call through the class")
