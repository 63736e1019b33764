"""Hidden grader for algo/maps.

The oracles are Python's own structures run beside the learner's: a ``dict`` for ``HashMap``, and
a sorted list searched with ``bisect`` for ``OrderedMap``. Long seeded operation sequences (and
derandomized hypothesis state machines) compare every answer and ``len``; the structure is
checked by tests of its own, through ``slots()`` and ``tree()``: the open-addressing invariants,
the height bound, iteration, floor and ceiling each have theirs, so one mistake costs the points
of its own promise. The long sequences run in one trip to the learner's process (the probe
``replay``), which records every answer and, at the checked steps, the table; the grader then
walks the records beside its oracle, so a failure still names the first operation that went
wrong.
"""

from __future__ import annotations

import bisect
import math
import traceback

import pytest
from hypothesis import Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from katakit import misconceptions
from katakit.checks import as_plain, assert_equal, fail, rng
from katakit.sandbox import probe

MISTAKES = misconceptions.of(__file__)

TOMBSTONE = "<deleted>"
# No shrinking: every shrink step replays a sequence across the process boundary, and a
# shrink can take a minute; an unshrunk failing sequence is at most 25 steps anyway.
MACHINE_SETTINGS = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=25,
    stateful_step_count=25,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
)


class History:
    """The operations run so far, to show a learner how to replay a failing case."""

    def __init__(self, constructor: str, where: str) -> None:
        self.lines = [f"m = {constructor}()"]
        self.where = where

    def add(self, line: str) -> None:
        self.lines.append(line)

    def __str__(self) -> str:
        shown = self.lines[-12:]
        skipped = len(self.lines) - len(shown)
        head = f"  ... ({skipped} earlier operations)\n" if skipped else ""
        body = "\n".join(f"  {line}" for line in shown)
        return f"{self.where}, after {len(self.lines) - 1} operations:\n{head}{body}"


def expect_key_error(operation, what: str, history: History | str) -> None:
    __tracebackhide__ = True
    try:
        result = operation()
    except KeyError:
        return
    fail(f"{what}: expected KeyError for a key that is not in the map, got {result!r}\n{history}")


def run_machine(kata, machine: type, legend: str) -> None:
    """Run a hypothesis state machine; on failure, put its failing steps in the message.

    (The steps arrive as exception notes; they are moved into the message so the learner sees
    them whatever the exception was.)
    """
    __tracebackhide__ = True
    try:
        run_state_machine_as_test(machine, settings=MACHINE_SETTINGS)
    except Exception as exc:
        steps = [
            note
            for note in getattr(exc, "__notes__", ())
            if note.startswith("state.") and not note.startswith(("state.check", "state.teardown"))
        ]
        if isinstance(exc, AssertionError):
            what = str(exc)
        else:
            learner_file = getattr(kata, "__file__", None)
            lines = [
                f"{frame.f_code.co_name}, line {line}"
                for frame, line in traceback.walk_tb(exc.__traceback__)
                if frame.f_code.co_filename == learner_file
            ]
            # raised in the learner's own process: the learner's frames came with it
            lines = lines or [
                f"{name}, line {line}" for name, line, _ in getattr(exc, "frames", ())
            ]
            where = f" (in {lines[-1]})" if lines else ""
            what = f"your code raised {type(exc).__name__}: {exc}{where}"
        fail(
            f"{what}\n  the failing sequence hypothesis found ({legend}):\n"
            + "\n".join(f"    {step}" for step in steps)
        )


# -- HashMap ----------------------------------------------------------------------------------


@probe
def table_of(m):
    """``m.slots()`` and, for each slot holding a (key, value) pair, ``hash(key)`` computed where
    the learner's table computes it (str hashes are salted per process, so the grader's own
    hash() of a string would name another home slot); None for the other slots. One trip."""
    slots = m.slots()
    if isinstance(slots, list):
        slots = list(slots)  # a table handed out as is would change under later records
    hashed = []
    for entry in slots if isinstance(slots, list) else ():
        try:
            pair = isinstance(entry, tuple | list) and len(entry) == 2
            hashed.append(hash(entry[0]) if pair else None)
        except Exception:
            hashed.append(None)
    return slots, hashed


def check_table(
    table: tuple, reference: dict, peak: int, history: History | str, bounds: bool = True
) -> None:
    """The open-addressing invariants of a table read by ``table_of(m)``, and its live entries
    vs ``reference``.

    ``bounds=False`` skips the load-factor and capacity bounds (the state machines leave them to
    the seeded tests: shrinking a failure that needs a long sequence takes too long).
    """
    __tracebackhide__ = True
    slots, hashed = table
    slots = as_plain(slots, "m.slots()")
    if not isinstance(slots, list):
        fail(f"m.slots(): expected a list of slots, got {type(slots).__name__}\n{history}")
    capacity = len(slots)
    if capacity < 8 or capacity & (capacity - 1):
        fail(f"capacity {capacity}: it must be a power of two, at least 8\n{history}")
    live: dict = {}
    used = 0
    for index, entry in enumerate(slots):
        if entry is None:
            continue
        used += 1
        if entry == TOMBSTONE:
            continue
        if not (isinstance(entry, list) and len(entry) == 2):
            fail(
                f"slot {index} holds {entry!r}: a slot is None, '{TOMBSTONE}' or a (key, value) "
                f"tuple\n{history}"
            )
        key, value = entry
        if key in live:
            fail(
                f"key {key!r} is stored twice, in slots {live[key][0]} and {index}: an insert "
                "must walk the whole probe sequence (past tombstones, up to an empty slot) before "
                f"deciding the key is new; only then may it reuse the first tombstone\n{history}"
            )
        live[key] = (index, value)
    stored = {key: value for key, (_, value) in live.items()}
    if stored != reference:
        missing = sorted(map(repr, reference.keys() - stored.keys()))[:5]
        extra = sorted(map(repr, stored.keys() - reference.keys()))[:5]
        wrong = sorted(
            repr(k) for k in stored.keys() & reference.keys() if stored[k] != reference[k]
        )
        fail(
            "the live entries of m.slots() differ from the map's contents: "
            f"missing keys {missing}, keys that should be gone {extra}, wrong values for "
            f"{wrong[:5]}\n{history}"
        )
    if bounds and 3 * used > 2 * capacity:
        fail(
            f"{used} of {capacity} slots are used (live entries plus tombstones), more than two "
            "thirds: resize before the table gets that full, and count tombstones as used -- "
            "they lengthen every probe sequence, and a table with no empty slot left makes a "
            f"lookup of a missing key walk forever\n{history}"
        )
    if bounds and capacity > max(8, 8 * peak):
        fail(
            f"capacity {capacity}, but the map has never held more than {peak} keys: size the "
            "rebuilt table by the live keys (a rebuild drops the tombstones) rather than always "
            f"doubling, or insert/delete churn grows the table without bound\n{history}"
        )
    for key, (index, _) in live.items():
        home = probe = hashed[index] % capacity
        while probe != index:
            if slots[probe] is None:
                fail(
                    f"key {key!r} sits in slot {index}, but the walk from its home slot {home} "
                    f"(hash(key) % {capacity}) meets the empty slot {probe} first, so a lookup "
                    "stops there and misses it. Deleting must leave a tombstone, not an empty "
                    "slot; a key goes into the first free slot of its own probe sequence\n"
                    f"{history}"
                )
            probe = (probe + 1) % capacity


@probe
def replay(make, plan, read_at, read):
    """Run ``plan`` on a new ``make()`` where the learner's map lives, in one trip. One record per
    operation: (outcome, result, len(m), ``read(m)`` at the steps in ``read_at``, else None).
    The outcome is "ok" or "keyerror"; any other exception ends the run with a last record
    ("raised", (type, message, where in the learner's file), None, None)."""
    import sys
    import traceback

    m = make()
    learner_file = getattr(sys.modules.get(type(m).__module__), "__file__", None)

    def perform(op, args):
        if op == "setitem":
            m[args[0]] = args[1]
            return None
        if op == "delitem":
            del m[args[0]]
            return None
        if op == "getitem":
            return m[args[0]]
        if op == "contains":
            return args[0] in m
        return getattr(m, op)(*args)  # get, floor, ceiling

    records, read_at = [], set(read_at)
    for step, (op, args) in enumerate(plan):
        try:
            try:
                outcome, result = "ok", perform(op, args)
            except KeyError:
                outcome, result = "keyerror", None
            records.append((outcome, result, len(m), read(m) if step in read_at else None))
        except Exception as exc:
            frames = traceback.extract_tb(exc.__traceback__)
            mine = [f"{f.name}, line {f.lineno}" for f in frames if f.filename == learner_file]
            where = mine[-1] if mine else None
            records.append(("raised", (type(exc).__name__, str(exc)[:300], where), None, None))
            break
    return records


def replayed(kata, constructor: str, plan: list, lines: list, read_at: set, read, history):
    """Replay ``plan`` on ``kata.<constructor>()``; yield (operation, record) in step order,
    adding each step's line to ``history``, and fail at an exception other than KeyError."""
    __tracebackhide__ = True
    records = replay(getattr(kata, constructor), plan, sorted(read_at), read.there())
    for (op, args), line, record in zip(plan, lines, records, strict=False):
        history.add(line)
        outcome, result, length, state = record
        if outcome == "raised":
            name, message, where = as_plain(result, "the exception")
            at = f" (in {where})" if where else ""
            fail(f"{line}: your code raised {name}: {message}{at}\n{history}")
        yield op, args, outcome, result, length, state
    if len(records) < len(plan):
        fail(f"the operations stopped after {len(records)} of {len(plan)}\n{history}")


def expect_result(line: str, outcome: str, result, expected, history: History) -> None:
    """``expected`` is the value the operation must give, or KeyError."""
    __tracebackhide__ = True
    if expected is KeyError:
        if outcome != "keyerror":
            fail(
                f"{line}: expected KeyError for a key that is not in the map, got {result!r}\n"
                f"{history}"
            )
        return
    if outcome == "keyerror":
        fail(f"{line}: raised KeyError, but the key is in the map\n{history}")
    assert_equal(result, expected, what=line, where=str(history))


def run_hash_operations(kata, seed: int, keys: list, steps: int) -> None:
    """``steps`` random operations on ``kata.HashMap`` and a dict, compared after each one.

    Only the answers and ``len(m)`` are judged: the table behind them (``slots()``, tombstones,
    load factor, capacity) is the business of the tests of the table."""
    __tracebackhide__ = True
    gen = rng(seed)
    plan, lines = [], []
    for _ in range(steps):
        key = keys[int(gen.integers(len(keys)))]
        draw = gen.random()
        if draw < 0.45:
            value = int(gen.integers(1000))
            plan.append(("setitem", (key, value)))
            lines.append(f"m[{key!r}] = {value}")
        elif draw < 0.7:
            plan.append(("delitem", (key,)))
            lines.append(f"del m[{key!r}]")
        elif draw < 0.85:
            plan.append(("getitem", (key,)))
            lines.append(f"m[{key!r}]")
        elif draw < 0.93:
            plan.append(("get", (key, -1)))
            lines.append(f"m.get({key!r}, -1)")
        else:
            plan.append(("contains", (key,)))
            lines.append(f"{key!r} in m")
    history = History("HashMap", f"seed {seed}, {len(keys)} possible keys")
    reference: dict = {}
    steps_done = replayed(kata, "HashMap", plan, lines, set(), table_of, history)
    for line, (op, args, outcome, result, length, _) in zip(lines, steps_done, strict=False):
        key = args[0]
        expected = {
            "setitem": None,
            "delitem": None if key in reference else KeyError,
            "getitem": reference.get(key, KeyError),
            "get": reference.get(key, -1),
            "contains": key in reference,
        }[op]
        expect_result(line, outcome, result, expected, history)
        if op == "setitem":
            reference[key] = args[1]
        elif op == "delitem":
            reference.pop(key, None)
        assert_equal(length, len(reference), what="len(m)", where=str(history))


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "seed, key_space, steps",
    [
        # few keys in a small table: long collision chains, many tombstones
        (101, list(range(-12, 36)), 1500),
        # keys that all collide modulo 8, 16 and 32
        (102, [64 * i + 3 for i in range(30)], 800),
        # many distinct keys: the table grows through several resizes
        (103, [f"key{i}" for i in range(400)] + list(range(10**6, 10**6 + 400)), 3000),
    ],
    ids=["small_key_space", "colliding_keys", "growing_table"],
)
def test_hash_map_matches_dict_on_random_operations(kata, seed, key_space, steps):
    run_hash_operations(kata, seed, key_space, steps)


@pytest.mark.points(2)
def test_delete_leaves_a_tombstone_that_lookups_step_over(kata):
    # 1, 33 and 65 share a home slot in any table of 8, 16 or 32 slots: a chain of three.
    history = History("HashMap", "keys 1, 33, 65 share one home slot")
    m = kata.HashMap()
    for key in (1, 33, 65):
        history.add(f"m[{key}] = {key * 10}")
        m[key] = key * 10
    history.add("del m[33]")
    del m[33]
    for key, expected in ((65, 650), (1, 10)):
        if key not in m:
            fail(
                f"{key} in m: expected True, got False -- deleting 33 (the middle of the chain "
                "1 -> 33 -> 65) emptied its slot, so the walk to 65 stops early. Replace a "
                "deleted entry with a tombstone that lookups step over "
                f"[{MISTAKES['delete-empties-slot'].id}]\n{history}"
            )
        assert_equal(m[key], expected, what=f"m[{key}]", where=str(history))
    expect_key_error(lambda: m[33], "m[33]", history)
    slots = as_plain(m.slots(), "m.slots()")
    home = 1 % len(slots)
    assert_equal(
        slots[home : home + 3],
        [[1, 10], TOMBSTONE, [65, 650]],
        what=f"m.slots()[{home}:{home + 3}] (the chain's slots)",
        where=str(history),
        misconceptions={MISTAKES["delete-empties-slot"]: [[1, 10], None, [65, 650]]},
    )
    check_table(table_of(m), {1: 10, 65: 650}, 3, history, bounds=False)


@pytest.mark.points(1)
def test_insert_after_a_tombstone_does_not_duplicate_a_key_further_along(kata):
    history = History("HashMap", "keys 1, 33, 65 share one home slot")
    m = kata.HashMap()
    for key in (1, 33, 65):
        history.add(f"m[{key}] = 0")
        m[key] = 0
    for line, action in (
        ("del m[1]", lambda: m.__delitem__(1)),
        ("m[65] = 7", lambda: m.__setitem__(65, 7)),
    ):
        history.add(line)
        action()
    assert_equal(len(m), 2, what="len(m)", where=str(history))
    check_table(table_of(m), {33: 0, 65: 7}, 3, history, bounds=False)
    history.add("del m[65]")
    del m[65]
    if 65 in m:
        fail(
            "65 in m: expected False after del m[65], got True -- m[65] = 7 stored a second copy "
            "of 65 in the first tombstone instead of updating the one further along. Walk the "
            f"probe sequence to an empty slot before deciding a key is new\n{history}"
        )


def check_every_step(kata, plan: list, peak_bound, history: History) -> None:
    """Replay ``plan`` (("set", key, value) / ("del", key)) in one trip, reading the table after
    every operation, and check len(m) and the table invariants at each step. ``peak_bound`` is
    the capacity bound's key count, or None for the largest len the map has had."""
    __tracebackhide__ = True
    ops = [("setitem", (k, *v)) if a == "set" else ("delitem", (k,)) for a, k, *v in plan]
    lines = [f"m[{k!r}] = {v[0]}" if a == "set" else f"del m[{k!r}]" for a, k, *v in plan]
    reference: dict = {}
    peak = 0
    steps = replayed(kata, "HashMap", ops, lines, set(range(len(ops))), table_of, history)
    for line, (op, args, outcome, _, length, table) in zip(lines, steps, strict=False):
        if outcome == "keyerror":
            fail(f"{line}: raised KeyError, but the key is in the map\n{history}")
        if op == "setitem":
            reference[args[0]] = args[1]
        else:
            del reference[args[0]]
        peak = max(peak, len(reference))
        assert_equal(length, len(reference), what="len(m)", where=str(history))
        check_table(table, reference, peak if peak_bound is None else peak_bound, history)


@pytest.mark.points(2)
def test_table_invariants_hold_while_growing_and_deleting(kata):
    # Grow to a few hundred keys, delete most of them, then grow again: every phase of the
    # resizing rule. The table is checked after every operation.
    seed = 201
    gen = rng(seed)
    keys = [int(k) for k in gen.choice(10**9, size=300, replace=False)]
    plan = [("set", k, step) for step, k in enumerate(keys[:200])]
    plan += [("del", k) for k in keys[:180]]
    plan += [("set", k, 380 + step) for step, k in enumerate(keys[200:])]
    check_every_step(kata, plan, None, History("HashMap", f"seed {seed}"))


@pytest.mark.points(1)
def test_churn_with_few_keys_does_not_grow_the_table(kata):
    # At most 4 keys live at a time, but every insert uses a fresh key: tombstones pile up and
    # force rebuilds, which must stay at a small capacity.
    plan = []
    for key in range(400):
        plan.append(("set", key, 1))
        if key >= 3:
            plan.append(("del", key - 3))
    history = History("HashMap", "insert/delete churn with at most 4 live keys")
    check_every_step(kata, plan, 4, history)


@probe
def lookups_after_editing_slots(make):
    """Build a map of 1 and 9 (one probe chain), blank the list ``m.slots()`` returned, then look
    both keys up again: (m[1], m[9]), or the exception's repr."""
    m = make()
    m[1], m[9] = 10, 90
    table = m.slots()
    if isinstance(table, list):
        table[:] = [None] * len(table)
    try:
        return m[1], m[9]
    except Exception as exc:  # the table itself was blanked
        return repr(exc)


@pytest.mark.points(1)
def test_slots_returns_a_new_list(kata):
    got = lookups_after_editing_slots(kata.HashMap)
    if got != (10, 90):
        fail(
            "after m[1] = 10; m[9] = 90 and blanking the list m.slots() returned, m[1], m[9] gave "
            f"{got!r} instead of (10, 90): slots() handed out the table itself. Return a new "
            "list (list(self.table)), so that a caller cannot break the map"
        )


@pytest.mark.points(1)
def test_keys_with_equal_hashes_and_mixed_types(kata):
    # hash(-1) == hash(-2) in CPython: the table must compare keys, not hashes. Judged by the
    # answers alone (the table's layout is the business of the tests of the table).
    m = kata.HashMap()
    history = History("HashMap", "keys -1 and -2 (equal hashes), strings and ints")
    reference: dict = {}
    for key, value in ((-1, "a"), (-2, "b"), ("-1", "c"), (7, "d"), (-9, "e"), ("", "f")):
        history.add(f"m[{key!r}] = {value!r}")
        m[key] = value
        reference[key] = value
    for key, value in reference.items():
        assert_equal(m[key], value, what=f"m[{key!r}]", where=str(history))
    assert_equal(len(m), len(reference), what="len(m)", where=str(history))
    # -2 went in after -1, so it sits further along their probe sequence: deleting it leaves -1
    # where lookups find it however the deletion is done
    history.add("del m[-2]")
    del m[-2]
    assert_equal(m.get(-1), "a", what="m.get(-1)", where=str(history))
    assert_equal(m.get(-2, "gone"), "gone", what="m.get(-2, 'gone')", where=str(history))


# 0, 32 and 64 share a home slot in tables of 8, 16 and 32 slots, and so do 1, 33, 65;
# hash(-1) == hash(-2).
COLLIDING_KEYS = st.sampled_from([0, 32, 64, 1, 33, 65, -1, -2, 7])


@pytest.mark.points(1)
def test_hash_map_state_machine(kata):
    class HashMapMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.m = kata.HashMap()
            self.reference: dict = {}

        @rule(key=COLLIDING_KEYS, value=st.integers(0, 9))
        def put(self, key, value):
            self.m[key] = value
            self.reference[key] = value

        @rule(key=COLLIDING_KEYS)
        def delete(self, key):
            if key in self.reference:
                del self.m[key]
                del self.reference[key]
            else:
                expect_key_error(lambda: self.m.__delitem__(key), f"del m[{key}]", "")

        @rule(key=COLLIDING_KEYS)
        def lookup(self, key):
            assert_equal(self.m.get(key), self.reference.get(key), what=f"m.get({key})")

        @invariant()
        def check_length(self):
            # the answers and len(m); the table behind them is the tests of the table's business
            assert_equal(len(self.m), len(self.reference), what="len(m)")

    run_machine(
        kata,
        HashMapMachine,
        "state = HashMapMachine() is m = HashMap(); put is m[key] = value, delete is del m[key], "
        "lookup is m.get(key)",
    )


# -- OrderedMap -------------------------------------------------------------------------------


def floor_of(keys: list, query):
    index = bisect.bisect_right(keys, query)
    return keys[index - 1] if index else None


def ceiling_of(keys: list, query):
    index = bisect.bisect_left(keys, query)
    return keys[index] if index < len(keys) else None


def expect_bound(side: str, actual, keys: list, query, where: str) -> None:
    """``m.floor(query)`` (``side`` "floor") or ``m.ceiling(query)`` against the sorted keys."""
    __tracebackhide__ = True
    if side == "floor":
        expected = floor_of(keys, query)
        index = bisect.bisect_left(keys, query)
        strict = keys[index - 1] if index else None
        mistake = MISTAKES["floor-strict"]
    else:
        expected = ceiling_of(keys, query)
        index = bisect.bisect_right(keys, query)
        strict = keys[index] if index < len(keys) else None
        mistake = MISTAKES["ceiling-strict"]
    assert_equal(
        actual, expected, what=f"m.{side}({query!r})", where=where, misconceptions={mistake: strict}
    )


def check_floor_ceiling(m, keys: list, query, where: str) -> None:
    __tracebackhide__ = True
    expect_bound("floor", m.floor(query), keys, query, where)
    expect_bound("ceiling", m.ceiling(query), keys, query, where)


def height_bound(n: int) -> float:
    return 2 * math.log2(n + 1)


def shape_facts(shape, where: str) -> tuple[list, int]:
    """(keys in order, height) of a ``tree()`` result, after ``as_plain``; checks the format."""
    __tracebackhide__ = True
    keys: list = []

    def walk(node) -> int:
        if node is None:
            return 0
        if not (isinstance(node, list) and len(node) == 3):
            fail(f"m.tree(): a subtree is None or (left, key, right), got {node!r} [{where}]")
        left = walk(node[0])
        keys.append(node[1])
        return 1 + max(left, walk(node[2]))

    height = walk(shape)
    return keys, height


@probe
def contents_state(m):
    """len(m), list(m) and m.items(), read in one trip."""
    return len(m), list(m), m.items()


@probe
def shape_state(m):
    """m.tree() and m.height(), read in one trip."""
    return m.tree(), m.height()


@probe
def tree_height(m):
    """The height of ``m.tree()`` (nodes on its longest root-to-leaf path), measured where the
    tree lives (a degenerate tree nests too deep to cross between the processes as data); or a
    description of the first subtree that is neither None nor (left, key, right)."""
    best, stack = 0, [(m.tree(), 0)]
    while stack:
        node, depth = stack.pop()
        if node is None:
            continue
        if not (isinstance(node, list | tuple) and len(node) == 3):
            return f"a subtree is None or (left, key, right), got {node!r}"[:300]
        best = max(best, depth + 1)
        stack.extend([(node[0], depth + 1), (node[2], depth + 1)])
    return best


def check_contents(state: tuple, reference: dict, where: str) -> None:
    """len(m), iteration and items() of the state read by ``contents_state(m)``."""
    __tracebackhide__ = True
    keys = sorted(reference)
    length, listed, items = state
    assert_equal(length, len(keys), what="len(m)", where=where)
    assert_equal(listed, keys, what="list(m) (keys in ascending order)", where=where)
    assert_equal(
        items, [(k, reference[k]) for k in keys], what="m.items() (ascending)", where=where
    )


def check_shape(state: tuple, reference: dict, where: str) -> None:
    """The format of m.tree(), its keys read left to right, and m.height() against it, of the
    state read by ``shape_state(m)``."""
    __tracebackhide__ = True
    tree, reported_height = state
    in_order, height = shape_facts(as_plain(tree, "m.tree()"), where)
    assert_equal(
        in_order,
        sorted(reference),
        what="the keys of m.tree() read left to right (a search tree)",
        where=where,
    )
    assert_equal(reported_height, height, what="m.height() (the height of m.tree())", where=where)


def check_height_bound(m, n: int, where: str, advice: str) -> None:
    """The height of ``m.tree()`` is at most 2 log2(n + 1) for its ``n`` keys."""
    __tracebackhide__ = True
    height = tree_height(m)
    if isinstance(height, str):
        fail(f"m.tree(): {height}; the height is measured on m.tree() [{where}]")
    if height > height_bound(n):
        fail(
            f"height {height} with {n} keys (the longest root-to-leaf path of m.tree()): a "
            f"balanced tree keeps it at most 2*log2(n+1) = {height_bound(n):.2f}. {advice} "
            f"[{where}]"
        )


def run_ordered_operations(
    kata, seed: int, key_range: int, steps: int, *, bounds: bool = False
) -> None:
    """``steps`` random operations on ``kata.OrderedMap`` and a sorted list, compared after
    each one.

    Without ``bounds``: insertions, deletions and lookups, whose answers and ``len(m)`` are
    judged (the tree behind them, its iteration and its height are their own tests' business).
    With ``bounds``: insertions and deletions with ``floor`` / ``ceiling`` queries in between,
    and only the queries' answers are judged."""
    __tracebackhide__ = True
    gen = rng(seed)
    plan, lines = [], []
    for _ in range(steps):
        key = int(gen.integers(key_range))
        draw = gen.random()
        if draw < 0.45:
            value = int(gen.integers(1000))
            plan.append(("setitem", (key, value)))
            lines.append(f"m[{key}] = {value}")
        elif draw < 0.7:
            plan.append(("delitem", (key,)))
            lines.append(f"del m[{key}]")
        elif bounds:
            # an existing key half the time, otherwise a point between keys
            query = key if gen.random() < 0.5 else key + 0.5
            plan += [("floor", (query,)), ("ceiling", (query,))]
            lines += [f"m.floor({query})", f"m.ceiling({query})"]
        elif draw < 0.9:
            plan.append(("getitem", (key,)))
            lines.append(f"m[{key}]")
        else:
            plan.append(("contains", (key,)))
            lines.append(f"{key} in m")
    history = History("OrderedMap", f"seed {seed}, keys in range({key_range})")
    reference: dict = {}
    keys: list = []
    steps_done = replayed(kata, "OrderedMap", plan, lines, set(), contents_state, history)
    for line, (op, args, outcome, result, length, _) in zip(lines, steps_done, strict=False):
        key = args[0]
        if op in ("floor", "ceiling"):
            if outcome == "keyerror":
                fail(f"{line}: raised KeyError; with no such key the answer is None\n{history}")
            expect_bound(op, result, keys, key, str(history))
        elif not bounds:
            expected = {
                "setitem": None,
                "delitem": None if key in reference else KeyError,
                "getitem": reference.get(key, KeyError),
                "contains": key in reference,
            }[op]
            expect_result(line, outcome, result, expected, history)
        if op == "setitem":
            if key not in reference:
                bisect.insort(keys, key)
            reference[key] = args[1]
        elif op == "delitem" and key in reference:
            del reference[key]
            keys.pop(bisect.bisect_left(keys, key))
        if not bounds:
            assert_equal(length, len(reference), what="len(m)", where=str(history))


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "seed, key_range, steps",
    [(301, 60, 1500), (302, 5000, 2500)],
    ids=["dense_keys", "sparse_keys"],
)
def test_ordered_map_matches_sorted_reference_on_random_operations(kata, seed, key_range, steps):
    run_ordered_operations(kata, seed, key_range, steps)


@pytest.mark.points(2)
def test_floor_and_ceiling_at_exact_keys_between_keys_and_beyond_the_ends(kata):
    where = "keys 10, 20, ..., 100"
    m = kata.OrderedMap()
    assert_equal(m.floor(5), None, what="m.floor(5) on an empty map", where="empty map")
    assert_equal(m.ceiling(5), None, what="m.ceiling(5) on an empty map", where="empty map")
    for key in (50, 20, 80, 10, 30, 60, 90, 40, 70, 100):
        m[key] = str(key)
    keys = list(range(10, 101, 10))
    for query in (10, 40, 100, 35, 41, 99, 9, 101, 5, 200, 10.5, 99.5):
        check_floor_ceiling(m, keys, query, where)
    # and between random insertions and deletions, on trees of every shape
    run_ordered_operations(kata, 311, 120, 1200, bounds=True)


@pytest.mark.points(1)
def test_iteration_and_items_are_in_ascending_order(kata):
    seed = 401
    gen = rng(seed)
    m = kata.OrderedMap()
    reference = {}
    for key in gen.permutation(200).tolist():
        m[key] = key * 3
        reference[key] = key * 3
    for key in gen.permutation(200)[:120].tolist():
        del m[key]
        del reference[key]
    m[1000] = -1
    reference[1000] = -1
    m[-5] = 5
    reference[-5] = 5
    check_contents(
        contents_state(m),
        reference,
        f"seed {seed}: 200 shuffled inserts, 120 deletes, two more inserts",
    )


SORTED_ORDERS = {
    "ascending": list(range(200)),
    "descending": list(range(199, -1, -1)),
    "alternating_ends": [k for i in range(100) for k in (i, 199 - i)],
}


@pytest.mark.points(1)
@pytest.mark.parametrize("order", list(SORTED_ORDERS))
def test_height_stays_logarithmic_under_sorted_insertions(kata, order):
    # The height alone, measured on m.tree(): the contents, iteration and height() are the
    # other tests' business.
    m = kata.OrderedMap()
    for count, key in enumerate(SORTED_ORDERS[order], start=1):
        m[key] = key
        if count in (3, 7, 15, 50, 200):
            check_height_bound(
                m,
                count,
                f"after {count} insertions in {order.replace('_', ' ')} order",
                "A plain BST degenerates into a linked list on sorted input; rebalance after "
                "each insertion (AVL rotations or red-black recolouring).",
            )


@probe
def longest_path_keys(m) -> list:
    """The keys on a longest root-to-leaf path of ``m.tree()``, read where the tree lives (a
    degenerate tree nests too deep to cross between the processes as data)."""
    best: list = []
    stack = [(m.tree(), [])]
    while stack:
        node, path = stack.pop()
        if not (isinstance(node, list | tuple) and len(node) == 3):
            continue
        path = [*path, node[1]]
        if len(path) > len(best):
            best = path
        stack.extend([(node[0], path), (node[2], path)])
    return best


@pytest.mark.points(1)
def test_height_stays_logarithmic_through_deletions(kata):
    # Keep only the keys on one longest root-to-leaf path of the learner's own tree and delete
    # everything else: without rebalancing on deletion that path stays as long as it was.
    seed = 501
    m = kata.OrderedMap()
    for key in range(512):
        m[key] = key
    keep = set(as_plain(longest_path_keys(m), "the keys on a longest path of m.tree()"))
    doomed = [key for key in rng(seed).permutation(512).tolist() if key not in keep]
    for count, key in enumerate(doomed, start=1):
        del m[key]
        if count % 50 == 0 or count == len(doomed):
            where = (
                f"seed {seed}: keys 0..511 inserted in order, then {count} keys deleted in random "
                f"order, keeping those on a longest root-to-leaf path, {sorted(keep)}"
            )
            check_height_bound(
                m,
                512 - count,
                where,
                "Rebalance after every deletion too (AVL rotations or red-black fix-ups), not "
                "only after insertions.",
            )


@pytest.mark.points(1)
def test_tree_shape_is_a_search_tree_matching_height(kata):
    m = kata.OrderedMap()
    assert_equal(m.tree(), None, what="m.tree() of an empty map", where="empty map")
    assert_equal(m.height(), 0, what="m.height() of an empty map", where="empty map")
    m[5] = "five"
    assert_equal(m.tree(), (None, 5, None), what="m.tree() with one key", where="m[5] = 'five'")
    assert_equal(m.height(), 1, what="m.height() with one key", where="m[5] = 'five'")
    for key in (3, 8, 1, 4, 7, 9, 2, 6):
        m[key] = str(key)
    reference = {k: str(k) for k in range(1, 10)}
    reference[5] = "five"
    check_shape(shape_state(m), reference, "keys 5, 3, 8, 1, 4, 7, 9, 2, 6")
    m[5] = "FIVE"
    reference[5] = "FIVE"
    check_shape(shape_state(m), reference, "after overwriting key 5")
    for key in (3, 9, 5):
        del m[key]
        del reference[key]
    check_shape(shape_state(m), reference, "after del m[3], del m[9], del m[5]")


@pytest.mark.points(1)
def test_ordered_map_state_machine(kata):
    class OrderedMapMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.m = kata.OrderedMap()
            self.reference: dict = {}

        @rule(key=st.integers(0, 30), value=st.integers(0, 9))
        def put(self, key, value):
            self.m[key] = value
            self.reference[key] = value

        @rule(key=st.integers(0, 30))
        def delete(self, key):
            if key in self.reference:
                del self.m[key]
                del self.reference[key]
            else:
                expect_key_error(lambda: self.m.__delitem__(key), f"del m[{key}]", "")

        @rule(key=st.integers(0, 30))
        def lookup(self, key):
            if key in self.reference:
                assert_equal(self.m[key], self.reference[key], what=f"m[{key}]")
            else:
                expect_key_error(lambda: self.m[key], f"m[{key}]", "")

        @invariant()
        def check_length(self):
            # the answers and len(m): floor and ceiling, iteration, the tree's shape and its
            # height are the other tests' business
            assert_equal(len(self.m), len(self.reference), what="len(m)")

    run_machine(
        kata,
        OrderedMapMachine,
        "state = OrderedMapMachine() is m = OrderedMap(); put is m[key] = value, delete is "
        "del m[key], lookup is m[key]",
    )
