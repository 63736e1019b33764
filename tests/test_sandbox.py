"""The door between the trusted side and the learner side: what may cross, and how."""

from __future__ import annotations

import pickle
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

from katakit.sandbox import probe, remote, wire
from katakit.sandbox.remote import CURRENT, Budget, LearnerGone, LearnerProcess
from katakit.sandbox.rpc import Proxy, kind_of

from .conftest import dead_or_dying

NESTED: list = [1]
for _ in range(150):
    NESTED = [NESTED]

LEARNER = """
import time
import numpy as np


def echo(value):
    return value


def sort_in_place(values):
    values.sort()


def scale_in_place(array, factor):
    array *= factor


def call_twice(function, value):
    return function(function(value))


def smallest(keys):
    return min(keys)


def peek(key):
    return key.value


def fail():
    raise KeyError("missing")


def catch(exceptions, function):
    try:
        function()
    except exceptions:
        return "caught"


def sleep():
    time.sleep(600)


def spin():
    while True:
        pass


def call_forever(function):
    while True:
        function()


def shout():
    print("x" * 4096)
    while True:
        print("y" * 4096)


class Counter:
    def __init__(self):
        self.count = 0

    def tick(self):
        self.count += 1
        return self


def squares(n):
    for i in range(n):
        yield i * i
"""


@pytest.fixture
def learner(tmp_path: Path, request):
    path = tmp_path / "learner.py"
    path.write_text(textwrap.dedent(LEARNER))
    # the wall-clock backstop is short only where it is what a test checks: on a loaded machine
    # a second of CPU can take many seconds of wall time
    wall = getattr(request, "param", 60.0)
    process = LearnerProcess(Budget(test_cpu=1.0, wall_seconds=wall))
    CURRENT[:] = [process]
    yield process.load("demo/learner", path, [], False), process
    CURRENT.clear()
    process.close()


def roundtrip(value):
    tree = wire.encode(value, lambda obj: pytest.fail(f"{obj!r} should go by value"))
    return wire.decode(wire.unpack(wire.pack(tree)[wire.HEADER_SIZE :]), lambda ref: None)


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        3,
        2.5,
        1 + 2j,
        "text",
        b"bytes",
        [1, (2, 3), {"a": {4, 5}}],
        frozenset({1}),
        slice(1, 9, 2),
        range(3),
        np.arange(6, dtype=np.float32).reshape(2, 3),
        np.array(1.5),
        np.arange(6.0).reshape(2, 3).T,
        np.int64(7),
        torch.Size([2, 3]),
        torch.float16,
        ValueError,
        int,
        np.float32,
        NESTED,
    ],
)
def test_plain_data_crosses_by_value(value):
    back = roundtrip(value)
    assert type(back) is type(value) or isinstance(value, type)
    if isinstance(value, type):
        assert back is value
    elif isinstance(value, np.ndarray):
        np.testing.assert_array_equal(back, value)
        assert back.dtype == value.dtype and back.shape == value.shape
    else:
        assert back == value


def test_tensors_cross_as_plain_tensors_with_their_dtype_and_grad_flag():
    value = torch.nn.Parameter(torch.randn(2, 3, dtype=torch.float64))
    back = roundtrip(value)
    assert type(back) is torch.Tensor and back.requires_grad and back.dtype == torch.float64
    assert torch.equal(back.detach(), value.detach())
    half = roundtrip(torch.randn(3).to(torch.bfloat16))
    assert half.dtype == torch.bfloat16


def test_generators_cross_as_copies_in_the_same_state():
    generator = np.random.default_rng(5)
    copy = roundtrip(generator)
    assert copy.normal() == generator.normal()


def test_a_message_naming_any_global_is_refused():
    class Boom:
        def __reduce__(self):
            return (print, ("boom",))

    with pytest.raises(wire.WireError, match="data only"):
        wire.unpack(pickle.dumps(Boom()))


def test_object_arrays_and_forged_shapes_are_refused():
    with pytest.raises(wire.WireError):
        wire.decode(("a", "|O", [1], b"\0" * 8), lambda ref: None)
    with pytest.raises(wire.WireError):
        wire.decode(("a", "<f8", [3], b"\0" * 8), lambda ref: None)


def test_learner_objects_stay_there_and_keep_their_identity(learner):
    module, _ = learner
    counter = module.Counter()
    assert isinstance(counter, Proxy) and kind_of(counter).endswith(".Counter")
    assert counter.tick() is counter
    assert counter.tick().count == 2
    assert list(module.squares(4)) == [0, 1, 4, 9]


def test_arguments_changed_in_place_are_written_back(learner):
    module, _ = learner
    values = [3, 1, 2]
    module.sort_in_place(values)
    assert values == [1, 2, 3]
    array = np.ones(3)
    module.scale_in_place(array, 2.0)
    np.testing.assert_array_equal(array, [2.0, 2.0, 2.0])


def test_grader_callables_run_on_the_grader_side(learner):
    module, _ = learner
    calls = []

    def double(value):
        calls.append(value)
        return 2 * value

    assert module.call_twice(double, 3) == 12
    assert calls == [3, 6]


class Key:
    def __init__(self, value):
        self.value = value

    def __lt__(self, other):
        return self.value < other.value


def test_grader_objects_can_be_compared_but_not_read(learner):
    module, _ = learner
    keys = [Key(3), Key(1), Key(2)]
    assert module.smallest(keys) is keys[1]
    with pytest.raises(AttributeError):
        module.peek(keys[0])


def test_builtin_classes_cross_by_name(learner):
    module, _ = learner

    def boom():
        raise ValueError("boom")

    assert module.catch((ValueError, KeyError), boom) == "caught"


def test_learner_exceptions_keep_their_builtin_type(learner):
    module, _ = learner
    with pytest.raises(KeyError) as caught:
        module.fail()
    line = textwrap.dedent(LEARNER).splitlines().index('    raise KeyError("missing")') + 1
    assert caught.value.frames[-1] == ("fail", line, 'raise KeyError("missing")')


@probe
def tensor_grad(x):
    x = x.clone().requires_grad_(True)
    (x * x).sum().backward()
    return x.grad


@probe
def append_one(values):
    values.append(1)


@probe
def first_transform_cpu_seconds():
    import time

    import torch

    start = time.process_time()
    torch.func.grad(lambda x: (x**3).sum())(torch.ones(3))
    return time.process_time() - start


@pytest.mark.parametrize("warm", [True, False])
def test_the_zygote_pays_torch_func_first_cost_when_asked_to_warm_up(tmp_path, monkeypatch, warm):
    """Asked to warm up (``katakit watch`` does, at start), the zygote pays torch's first-use
    costs for every learner forked after; unasked (a single run, where the warm-up would delay
    every learner behind it) a learner's first torch.func transform imports torch._dynamo
    itself, over a second of its test's CPU."""
    from katakit.sandbox import zygote as fork_server

    server = fork_server.Zygote()  # this test's own: another test's watcher may warm the shared one
    monkeypatch.setattr(fork_server, "_zygote", server)
    path = tmp_path / "learner.py"
    path.write_text("")
    server.start()
    if warm:
        server.warm()  # answered by nobody: the next spawn waits until the warm-up is done
    process = LearnerProcess(Budget(test_cpu=5.0, wall_seconds=60.0))
    CURRENT[:] = [process]
    try:
        process.load("demo/learner", path, [], False)
        assert (first_transform_cpu_seconds() < 0.3) is warm
    finally:
        CURRENT.clear()
        process.close()


@probe
def what_a_learner_inherits():
    import gc
    import sys

    return "torch" in sys.modules, gc.get_freeze_count()


def test_the_zygote_loads_only_the_libraries_asked_for_and_more_when_asked(tmp_path, monkeypatch):
    """A run whose katas never touch torch does not wait for its import; a later run in the same
    process that needs it has it loaded for the learners after. Whatever is loaded is frozen out
    of the learners' garbage collection (so a collection does not copy the zygote's memory)."""
    from katakit.sandbox import zygote as fork_server

    server = fork_server.Zygote()
    monkeypatch.setattr(fork_server, "_zygote", server)
    path = tmp_path / "learner.py"
    path.write_text("")
    seen = []
    for libraries in [("numpy",), ("numpy", "torch")]:
        server.start(libraries)
        process = LearnerProcess(Budget())
        CURRENT[:] = [process]
        try:
            process.load("demo/learner", path, [], False)
            seen.append(what_a_learner_inherits())
        finally:
            CURRENT.clear()
            process.close()
    (torch_first, frozen_first), (torch_then, frozen_then) = seen
    assert (torch_first, torch_then) == (False, True)
    assert 0 < frozen_first < frozen_then


def test_a_learners_polling_for_answers_is_allowed_for_in_its_cpu_limit(learner):
    """The learner side polls briefly for each answer; the trusted side allows for it by the
    number of messages (fixed by the learner's code, not by the machine's load), at most
    doubling the limit."""
    _module, process = learner
    link = process.link
    link.start_test()
    assert link.test_cpu_limit() == link.budget.test_cpu
    link.test_messages = 1000
    assert link.test_cpu_limit() == pytest.approx(
        link.budget.test_cpu + 1000 * wire.LEARNER_SPIN_SECONDS
    )
    link.test_messages = 10**9
    assert link.test_cpu_limit() == 2 * link.budget.test_cpu


def test_probes_run_on_the_learner_side(learner):
    grad = tensor_grad(torch.tensor([1.0, 2.0]))
    assert torch.equal(grad, torch.tensor([2.0, 4.0]))
    values = []
    append_one(values)
    assert values == [1]  # written back, as for any call


@pytest.mark.parametrize(
    ("learner", "function", "outcome", "says"),
    [
        (60.0, "spin", "timeout", "more than 1 s of CPU time (last in spin"),
        (3.0, "sleep", "timeout", "made no progress for 3 s"),
        (60.0, "shout", "crashed", "printed too much output"),
    ],
    indirect=["learner"],
)
def test_a_limit_stops_the_learner_and_names_why(learner, function, outcome, says):
    module, process = learner
    process.link.start_test()
    with pytest.raises(LearnerGone) as gone:
        getattr(module, function)()
    assert gone.value.outcome == outcome
    assert says in gone.value.message
    with pytest.raises(LearnerGone):
        module.echo(1)  # everything after that reports the same


def test_a_learner_calling_back_forever_still_runs_out_of_cpu(learner):
    """The allowance for the learner's polling, given per message, at most doubles the test's
    CPU limit: a loop of calls back to the grader cannot earn itself unlimited time."""
    module, process = learner
    process.link.start_test()
    with pytest.raises(LearnerGone) as gone:
        module.call_forever(lambda: None)
    assert gone.value.outcome == "timeout"
    assert process.link.test_messages * wire.LEARNER_SPIN_SECONDS > process.link.budget.test_cpu


def test_without_namespaces_the_learner_still_runs_contained_by_its_session(tmp_path):
    """Where namespaces cannot be made (a container without the right), the POSIX layers hold."""
    path = tmp_path / "learner.py"
    path.write_text("import os\n\ndef where():\n    return os.getcwd(), sorted(os.environ)\n")
    process = LearnerProcess(Budget(), namespaces=False)
    try:
        module = process.load("demo/learner", path, [], False)
        folder, variables = module.where()
        held = process.held()
    finally:
        process.close()
    assert "session" in held and "pid" not in held and "filesystem" not in held
    assert Path(folder).name.startswith("katakit-learner-")
    assert "KATAKIT_TARGET" not in variables and "HOME" in variables


def test_a_spare_learner_serves_the_next_kata_and_one_for_other_limits_is_killed(tmp_path):
    path = tmp_path / "learner.py"
    path.write_text("def add(a, b):\n    return a + b\n")
    budget = Budget()
    remote.start_spare(budget)
    spare = remote._SPARE[0][2].result()
    learner = LearnerProcess(budget)
    try:
        assert learner.link.spawned.learner_pid == spare.learner_pid
        assert learner.load("demo/add", path, [], False).add(2, 3) == 5
    finally:
        learner.close()
    remote.start_spare(Budget(memory_mb=1024))
    other = remote._SPARE[0][2].result()
    learner = LearnerProcess(budget)  # not the spare: it was started under other limits
    try:
        assert learner.link.spawned.learner_pid != other.learner_pid
        assert dead_or_dying(other.learner_pid)
    finally:
        learner.close()


def test_a_read_only_kata_takes_a_list_of_grader_callables(tmp_path):
    # The read-only check copies list arguments; a grader's callable in the list is a proxy
    # over there, copied as the reference it is.
    path = tmp_path / "learner.py"
    path.write_text("def apply_all(functions, x):\n    return [f(x) for f in functions]\n")
    process = LearnerProcess(Budget())
    CURRENT[:] = [process]
    try:
        module = process.load("demo/apply", path, [], True)
        assert module.apply_all([lambda v: v + 1, lambda v: v * 2], 3) == [4, 6]
    finally:
        CURRENT.clear()
        process.close()


READ_ONLY = """
def reverse_sum(values):
    values.reverse()
    return sum(values)
"""


@pytest.mark.parametrize("isolated", [True, False])
def test_changing_a_read_only_input_fails_one_test_then_copies_are_given(tmp_path, isolated):
    """One mistake, one loss: the first call that changes its argument fails (naming it); the
    calls after it get copies, so later tests judge their values and see their inputs intact."""
    from types import ModuleType

    from katakit.readonly import ReadOnlyInputs

    path = tmp_path / "learner.py"
    path.write_text(READ_ONLY)
    if isolated:
        process = LearnerProcess(Budget())
        CURRENT[:] = [process]
        module = process.load("demo/learner", path, [], True)
    else:
        plain = ModuleType("demo_learner")
        exec(compile(READ_ONLY, str(path), "exec"), plain.__dict__)
        module = ReadOnlyInputs(plain)
    try:
        first = [1, 2, 3]
        with pytest.raises(AssertionError, match="modified its argument 'values' in place"):
            module.reverse_sum(first)
        later = [4, 5, 6]
        assert module.reverse_sum(later) == 15
        assert later == [4, 5, 6]
    finally:
        if isolated:
            CURRENT.clear()
            process.close()
