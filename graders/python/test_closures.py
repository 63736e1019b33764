"""Hidden grader for python/closures; the oracles are closed forms (arithmetic sequences, means).

Besides the values, it looks at how the state is kept: the counter and the averager must be plain
functions whose state lives in closure cells (``fn.__closure__``), and calling them must leave the
kata module's globals (and attributes of its functions) untouched. Those facts are gathered by
probes where the learner's functions live, and come back as plain data.
"""

from __future__ import annotations

import numpy as np
import pytest

from katakit import misconceptions
from katakit.checks import assert_close, assert_equal, describe, fail, rng
from katakit.sandbox import probe

MISTAKES = misconceptions.of(__file__)


@probe
def module_state(module):
    """A fingerprint of the module's variables and of attributes stored on its functions (taken
    where the learner's module lives: plain strings and numbers)."""
    import types

    state = {}
    for name, value in vars(module).items():
        if name.startswith("__") or isinstance(value, types.ModuleType):
            continue
        if isinstance(value, types.FunctionType | type):
            attrs = {k: v for k, v in vars(value).items() if not k.startswith("__")}
            if attrs:
                state[f"{name}.<attributes>"] = repr(sorted(attrs.items(), key=lambda kv: kv[0]))
            continue
        state[name] = (id(value), repr(value))
    return state


def state_changes(before, module):
    """A sentence naming the module-level state that changed since ``before``, or ''."""
    after = module_state(module)
    changed = sorted(n for n in before.keys() | after.keys() if before.get(n) != after.get(n))
    if not changed:
        return ""
    return (
        f"\n  Module-level state changed while the closures ran: {', '.join(changed)}. Keep the "
        "state in variables of the factory function (declared nonlocal in the inner function), "
        "so that each closure has cells of its own."
    )


@probe
def closure_facts(fn):
    """Plain facts about ``fn``, gathered where it lives: whether it is a plain function, its
    type and name, whether it has closure cells, what each filled cell holds (the object, a
    fingerprint that changes when it does, its type, whether it is an iterator, its size, a
    namespace's variables), its own attributes."""
    import types
    from collections.abc import Iterator, Sized

    facts = {"function": isinstance(fn, types.FunctionType), "type": type(fn).__name__}
    if not facts["function"]:
        return facts
    facts["name"] = fn.__name__
    facts["has_cells"] = bool(fn.__closure__)
    facts["cells"] = []
    for cell in fn.__closure__ or ():
        try:
            item = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        sized = isinstance(item, Sized) and not isinstance(item, str)
        namespace = isinstance(item, types.SimpleNamespace)
        fingerprint = repr(item)
        plain = not isinstance(item, types.FunctionType | types.ModuleType | type)
        if plain and hasattr(item, "__dict__"):  # a box object of the learner's: its variables
            fingerprint += repr(sorted(vars(item).items(), key=lambda kv: kv[0]))
        facts["cells"].append(
            {
                "value": item,
                "fingerprint": fingerprint,
                "type": type(item).__name__,
                "iterator": isinstance(item, Iterator),
                "size": len(item) if sized else None,
                "namespace": dict(vars(item)) if namespace else None,
            }
        )
    facts["attributes"] = {k: v for k, v in vars(fn).items() if not k.startswith("__")}
    return facts


def closure_contents(fn, what):
    """What ``fn``'s closure cells hold (see ``closure_facts``) and the function's own
    attributes; fails unless ``fn`` is a closure."""
    __tracebackhide__ = True
    facts = closure_facts(fn)
    if not facts["function"]:
        fail(
            f"{what}: expected a closure (a plain function made inside the factory), got "
            f"{facts['type']}; the statement asks for an inner function keeping its state in "
            "enclosing variables, not an instance of a class"
        )
    if not facts["has_cells"]:
        fail(
            f"{what}: {facts['name']} has no closure cells (its __closure__ is None), so its "
            "state is not kept in enclosing variables; use a variable of the factory and nonlocal"
        )
    return facts["cells"], facts["attributes"]


def fingerprints(cells):
    return [cell["fingerprint"] for cell in cells]


@probe
def stored_sizes(fn):
    """``(where, type, size)`` for every container ``fn`` keeps: in its closure cells, in its
    own attributes (a function's or a callable object's), one level into a box object."""
    import types
    from collections.abc import Sized

    found = []

    def look(where, item, depth=0):
        if isinstance(item, Sized) and not isinstance(item, str | bytes):
            found.append((where, type(item).__name__, len(item)))
        elif (
            depth == 0
            and hasattr(item, "__dict__")
            and not isinstance(item, types.FunctionType | types.ModuleType | type)
        ):
            for name, value in vars(item).items():
                look(f"{where}.{name}", value, depth + 1)

    if isinstance(fn, types.FunctionType):
        for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or (), strict=False):
            try:
                look(f"closure cell {name!r}", cell.cell_contents)
            except ValueError:  # an empty cell
                continue
    for name, value in getattr(fn, "__dict__", {}).items():
        if not name.startswith("__"):
            look(f"attribute {name!r}", value)
    return found


@pytest.mark.points(1)
@pytest.mark.parametrize("args", [(), (-3, 4)], ids=["defaults", "start-3_step4"])
def test_counter_adds_step_and_returns_the_new_count(kata, args):
    start, step = args if args else (0, 1)
    counter = kata.make_counter(*args)
    got = [counter() for _ in range(5)]
    assert_equal(
        got,
        [start + step * k for k in range(1, 6)],
        what="five calls of the counter",
        where=f"make_counter{args}",
        misconceptions={
            MISTAKES["counter-returns-old-count"]: [start + step * k for k in range(5)],
        },
    )


@pytest.mark.points(2)
def test_two_counters_never_share_a_count_and_a_new_one_restarts(kata):
    # The reference is the learner's own counters, each called alone: this test judges
    # independence only (the counts themselves are test_counter_adds_step_...'s).
    alone = kata.make_counter()
    first_alone = [alone() for _ in range(4)]
    alone = kata.make_counter(100, 10)
    second_alone = [alone() for _ in range(3)]
    before = module_state(kata)
    first, second = kata.make_counter(), kata.make_counter(100, 10)
    got = [first(), first(), second(), first(), second(), second()]
    third = kata.make_counter()
    got += [third(), first(), third()]
    f, s = first_alone, second_alone
    expected = [f[0], f[1], s[0], f[2], s[1], s[2], f[0], f[3], f[1]]
    if got != expected:
        fail(
            "interleaved calls of first = make_counter(), second = make_counter(100, 10) and, "
            "after six calls, third = make_counter():\n"
            f"  expected {expected} (what the same counters return when each is called alone)\n"
            f"  got      {got}\n"
            "  Each counter must keep its own count, and a new counter starts from its own start."
            + state_changes(before, kata)
        )
    assert_equal(got, expected, what="interleaved counts")


@pytest.mark.points(1)
def test_counter_keeps_its_count_in_a_closure_cell(kata):
    counter = kata.make_counter(100, 7)
    cells, attributes = closure_contents(counter, "make_counter(100, 7)")
    for call in range(1, 4):
        before = fingerprints(cells)
        returned = counter()
        cells, attributes = closure_contents(counter, "make_counter(100, 7)")
        if fingerprints(cells) == before:
            contents = [cell["value"] for cell in cells]
            fail(
                f"call {call} of the counter (it returned {returned!r}) changed none of its "
                f"closure cells (they hold {contents!r}"
                + (f"; the function carries attributes {attributes!r}" if attributes else "")
                + "). The count must live in a variable of make_counter, rebound through "
                "nonlocal, not in a function attribute or elsewhere"
            )


@pytest.mark.points(1)
def test_closures_leave_module_globals_and_function_attributes_alone(kata):
    before = module_state(kata)
    counters = [kata.make_counter(), kata.make_counter(5, 2)]
    averagers = [kata.make_averager(), kata.make_averager()]
    for k in range(4):
        for counter in counters:
            counter()
        for averager in averagers:
            averager(float(k))
    message = state_changes(before, kata)
    if message:
        fail("calling counters and averagers must not touch module-level state" + message)


@pytest.mark.points(1)
@pytest.mark.parametrize("seed", [3, 4])
def test_averager_returns_the_running_mean(kata, seed):
    gen = rng(seed)
    if seed == 3:
        values = [int(v) for v in gen.integers(-50, 50, 25)]  # plain ints: the mean is a float
    else:
        values = [float(v) for v in gen.normal(7.0, 20.0, 40)]
    average = kata.make_averager()
    got = [average(v) for v in values]
    cumulative = np.cumsum(values, dtype=np.float64)
    expected = cumulative / np.arange(1, len(values) + 1)
    previous = np.concatenate([[0.0], expected[:-1]])
    assert_close(
        got,
        expected,
        what="running means",
        where=describe(seed, n_values=len(values)),
        rtol=1e-9,
        atol=1e-9,
        misconceptions={
            MISTAKES["averager-returns-total"]: cumulative,
            MISTAKES["averager-mean-before-add"]: previous,
        },
    )


@pytest.mark.points(1)
def test_averagers_are_independent_closures(kata):
    # The reference is the learner's own averagers, each fed alone: this test judges
    # independence only; the means themselves are test_averager_returns_the_running_mean's.
    n = 300
    first_values = [float(k) for k in range(n + 1)]
    second_values = [1.0] * len(range(0, n, 3)) + [4.0]
    alone = kata.make_averager()
    first_alone = [alone(v) for v in first_values]
    alone = kata.make_averager()
    second_alone = [alone(v) for v in second_values]
    first, second = kata.make_averager(), kata.make_averager()
    first_got, second_got = [], []
    for k in range(n):
        first_got.append(first(first_values[k]))
        if k % 3 == 0:
            second_got.append(second(1.0))
    first_got.append(first(float(n)))
    second_got.append(second(4.0))
    where = (
        "first fed 0.0, 1.0, ..., 300.0 and second fed 1.0 after every third of them, then 4.0, "
        "compared with the same averagers each fed alone: each averager must keep its own "
        "running numbers"
    )
    assert_close(first_got, first_alone, what="first averager", where=where, rtol=1e-12)
    assert_close(second_got, second_alone, what="second averager", where=where, rtol=1e-12)


@pytest.mark.points(1)
def test_averager_keeps_running_numbers_not_past_values(kata):
    average = kata.make_averager()
    n = 300
    for k in range(n):
        average(float(k))
    for where, kind, size in stored_sizes(average):
        if size >= n:
            fail(
                f"after {n} values, the averager keeps a {kind} of {size} items ({where}); keep "
                "only a running total and a count (rebound with nonlocal), so the memory stays "
                "constant"
            )


@pytest.mark.points(1)
def test_averager_keeps_its_running_numbers_in_closure_cells(kata):
    average = kata.make_averager()
    cells, attributes = closure_contents(average, "make_averager()")
    for value in (4.0, 10.0, 1.0):
        before = fingerprints(cells)
        average(value)
        cells, attributes = closure_contents(average, "make_averager()")
        if attributes:
            fail(
                f"the averager carries the function attributes {attributes!r}; keep the "
                "running total and count in variables of make_averager, rebound with nonlocal, "
                "not on the function"
            )
        if fingerprints(cells) == before:
            contents = [cell["value"] for cell in cells]
            fail(
                f"average({value}) changed none of the averager's closure cells (they hold "
                f"{contents!r}); keep the running numbers in variables of make_averager, "
                "rebound with nonlocal"
            )


@pytest.mark.points(1)
@pytest.mark.parametrize("n", [1, 4, 7])
def test_each_multiplier_keeps_its_own_factor(kata, n):
    multipliers = kata.make_multipliers(n)
    if not isinstance(multipliers, list):
        multipliers = list(multipliers)
    assert_equal(len(multipliers), n, what=f"number of functions from make_multipliers({n})")
    for x in (3, -2.5):
        assert_close(
            [f(x) for f in multipliers],
            [x * i for i in range(n)],
            what=f"[f({x}) for f in make_multipliers({n})]",
            misconceptions={
                MISTAKES["late-binding"]: [x * (n - 1)] * n,
            },
        )
