"""The adversarial corpus: one submission per way of getting marks without doing the work.

Each case is a ``demo/add`` written by a learner who attacks the grader instead of adding; beside
it sits an honest ``demo/mean``. Every case asserts that the attack earns nothing (the score an
honest or wrong answer would get, never more) and that ``demo/mean`` is graded exactly as it would
be alone. The forbidden-route cases attack a real kata (bn/batchnorm_forward), whose manifest
forbids torch's batch norm at the dispatcher.

Grow this file as attacks are thought of: one case, one sentence of what it tries.
"""

from __future__ import annotations

import os
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from katakit.catalog import Catalog
from katakit.isolation import Limits
from katakit.runner import grade
from katakit.target import Target

from .conftest import PROJECT, REPO, dead_or_dying

LIMITS = Limits(kata_seconds=10, memory_mb=512, output_mb=1)
HONEST_MEAN = "def mean(values):\n    return sum(values) / len(values)\n"
SECRET = "katakit-secret-token-0123"
SECRET_PATHS = [
    *(str(REPO / name) for name in ("solutions", "graders", ".git", "tests")),
    str(Path.home() / ".ssh"),
]


@dataclass(frozen=True)
class Attack:
    source: str
    score: int  # what demo/add must score (out of 3)
    status: str
    says: str = ""  # a part of the learner's message


ATTACKS = {
    # Reading the grader's expected values or code: nothing of the grader is in this process.
    "finds_no_grader_in_memory": Attack(
        """
        import gc, sys
        def add(a, b):
            graders = [m for m in sys.modules if m.startswith(("graders", "_pytest", "pytest"))]
            named = [o for o in gc.get_objects() if type(o).__name__ in ("TestReport", "Item")]
            return a + b + (1000 if graders or named else 0)
        """,
        3,
        "passed",
    ),
    "walks_the_stack_for_expected": Attack(
        """
        import sys
        def add(a, b):
            frame = sys._getframe()
            while frame is not None:
                for name, value in frame.f_locals.items():
                    if name in ("expected", "want", "oracle"):
                        return value
                frame = frame.f_back
            return 0
        """,
        0,
        "failed",
        "expected 5, got 0",
    ),
    "patches_the_comparison": Attack(
        """
        import numpy as np
        import katakit.checks
        katakit.checks.assert_close = lambda *args, **kwargs: None
        np.allclose = lambda *args, **kwargs: True
        np.testing.assert_allclose = lambda *args, **kwargs: None
        def add(a, b):
            return 0
        """,
        0,
        "failed",
    ),
    "patches_pytest_outcomes": Attack(
        """
        import _pytest.runner, pytest
        _pytest.runner.pytest_runtest_makereport = lambda item, call: None
        def add(a, b):
            pytest.skip("nothing to see")
        """,
        0,
        "failed",
    ),
    # Reading what it should not: the project, the environment, home folders.
    "reads_the_solution": Attack(
        f"""
        def add(a, b):
            namespace = {{}}
            exec(open({str(PROJECT / "solutions/demo/add.py")!r}).read(), namespace)
            return namespace["add"](a, b)
        """,
        0,
        "failed",
        "FileNotFoundError",
    ),
    "reads_the_environment": Attack(
        f"""
        import os
        def add(a, b):
            leaked = any({SECRET!r} in value for value in os.environ.values())
            return a + b + (1000 if leaked else 0)
        """,
        3,
        "passed",
    ),
    "reads_home_and_work_folders": Attack(
        f"""
        import os
        SECRETS = {SECRET_PATHS!r}
        def add(a, b):
            seen = [path for path in SECRETS if os.path.exists(path)]
            return a + b + (1000 if seen else 0)
        """,
        3,
        "passed",
    ),
    "reaches_the_network": Attack(
        """
        import socket
        def add(a, b):
            try:
                socket.create_connection(("1.1.1.1", 53), timeout=1).close()
                return a + b + 1000
            except OSError:
                return a + b
        """,
        3,
        "passed",
    ),
    # Breaking the grading: the parent, other processes, the output, the grader's files.
    "kills_the_parent": Attack(
        """
        import os, signal
        def add(a, b):
            for pid in [os.getppid(), *(int(p) for p in os.listdir("/proc") if p.isdigit())]:
                if pid not in (0, os.getpid()):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
            return a + b
        """,
        3,
        "passed",
    ),
    "stops_its_process_group": Attack(
        """
        import os, signal
        def add(a, b):
            os.killpg(0, signal.SIGSTOP)
            return a + b
        """,
        3,  # as the first process of its PID namespace it cannot stop itself
        "passed",
    ),
    "writes_into_the_project": Attack(
        f"""
        def add(a, b):
            for path in {[str(PROJECT / "graders/demo/test_add.py"), str(PROJECT / "pwned.txt")]!r}:
                try:
                    open(path, "w").write("pwned")
                except OSError:
                    pass
            return a + b
        """,
        3,
        "passed",
    ),
    "leaves_a_process_behind": Attack(
        """
        import ctypes, os, time
        def add(a, b):
            if os.fork() == 0:
                os.setsid()
                ctypes.CDLL(None).prctl(15, b"katakit-leftover", 0, 0, 0)
                time.sleep(600)
                os._exit(0)
            return a + b
        """,
        3,
        "passed",
    ),
    "starts_another_interpreter": Attack(
        """
        import subprocess, sys
        def add(a, b):
            out = subprocess.run([sys.executable, "-c", f"print({a} + {b})"], capture_output=True)
            return float(out.stdout)
        """,
        0,
        "failed",
        "PermissionError",
    ),
    "writes_to_the_door": Attack(
        """
        import os
        def add(a, b):
            for fd in range(3, 64):
                try:
                    os.write(fd, b"\\x00" * 8 + b"garbage")
                except OSError:
                    pass
            return a + b
        """,
        0,
        "crashed",
        "not katakit's protocol",
    ),
    "huge_message": Attack(
        """
        def add(a, b):
            raise ValueError("x" * 100_000)
        """,
        0,
        "failed",
        "ValueError",
    ),
}


@pytest.fixture(scope="module")
def demo_katas(demo_catalog: Catalog):
    return demo_catalog.select(["demo/add", "demo/mean"])


def submission(folder: Path, add_source: str) -> Target:
    (folder / "demo").mkdir(parents=True)
    (folder / "demo/add.py").write_text(textwrap.dedent(add_source))
    (folder / "demo/mean.py").write_text(HONEST_MEAN)
    return Target(folder.name, folder)


@pytest.mark.parametrize("case", sorted(ATTACKS))
def test_an_attack_earns_nothing_and_harms_nobody(
    demo_catalog, demo_katas, tmp_path, monkeypatch, case
):
    attack = ATTACKS[case]
    monkeypatch.setenv("KATAKIT_SECRET_FOR_TEST", SECRET)
    report = grade(
        demo_catalog, demo_katas, submission(tmp_path / case, attack.source), limits=LIMITS
    )
    add, mean = report.kata("demo/add"), report.kata("demo/mean")
    assert (add.score, add.status) == (attack.score, attack.status), add.first_failure
    assert attack.says in add.first_failure
    assert len(add.first_failure) <= 2100
    assert (mean.score, mean.status) == (2, "passed")
    assert not (PROJECT / "pwned.txt").exists()
    assert "pwned" not in (PROJECT / "graders/demo/test_add.py").read_text()


def test_nothing_outlives_the_kata(demo_catalog, demo_katas, tmp_path):
    grade(
        demo_catalog,
        demo_katas,
        submission(tmp_path / "s", ATTACKS["leaves_a_process_behind"].source),
        limits=LIMITS,
    )
    alive = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            name = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            continue  # gone meanwhile
        if name == "katakit-leftover" and not dead_or_dying(pid):
            alive.append(pid)
    assert not alive


def test_a_symbolic_link_to_the_solution_is_refused(demo_catalog, demo_katas, tmp_path):
    target = submission(tmp_path / "s", "def add(a, b):\n    return 0\n")
    (tmp_path / "s/demo/add.py").unlink()
    (tmp_path / "s/demo/add.py").symlink_to(PROJECT / "solutions/demo/add.py")
    add = grade(demo_catalog, demo_katas, target, limits=LIMITS).kata("demo/add")
    assert (add.score, add.status) == (0, "error")
    assert "symbolic link" in add.first_failure


# -- forbidden kernels, by every route -----------------------------------------------------------
FORWARD = (REPO / "solutions/bn/batchnorm_forward.py").read_text()
NORMALISE = "    x_hat = (x - mean.reshape(per_channel)) / np.sqrt(var.reshape(per_channel) + eps)"
ROUTES = {
    "functional": "torch.nn.functional.batch_norm(t, None, None, training=True, eps=eps)",
    "private_binding": "torch._VF.batch_norm(t, None, None, None, None, True, 0.0, eps, False)",
    "op_overload": "torch.ops.aten.native_batch_norm.default("
    "t, None, None, None, None, True, 0.0, eps)[0]",
    "redispatch": "torch.ops.aten.native_batch_norm.default.redispatch("
    "torch._C.DispatchKeySet(torch._C.DispatchKey.CPU), t, None, None, None, None, True, 0.0, "
    "eps)[0]",
    "jit_operation": "torch._C._jit_get_operation('aten::native_batch_norm')[0]("
    "t, None, None, None, None, True, 0.0, eps)[0]",
    "exec_elsewhere": "_elsewhere(t, eps)",
    "thread": "_in_a_thread(t, eps)",
}
HELPERS = """
import threading
import torch


def _elsewhere(t, eps):
    namespace = {"t": t, "eps": eps}
    code = "import torch\\nout = torch.batch_norm(t, None, None, None, None, True, 0.0, eps, False)"
    exec(compile(code, "somewhere_else.py", "exec"), namespace)
    return namespace["out"]


def _in_a_thread(t, eps):
    box = []
    def normalise():
        box.append(torch.nn.functional.batch_norm(t, None, None, training=True, eps=eps))

    thread = threading.Thread(target=normalise)
    thread.start()
    thread.join()
    return box[0]
"""


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_a_forbidden_kernel_is_refused_by_every_route(tmp_path, route):
    assert NORMALISE in FORWARD, "the reference changed: update this test's patch point"
    call = ROUTES[route]
    # the training branch normalises through torch's own kernel, by this route
    patched = FORWARD.replace(
        NORMALISE,
        "    t = torch.from_numpy(np.ascontiguousarray(x.reshape(x.shape[0], x.shape[1], -1)))\n"
        f"    x_hat = ({call}).numpy().reshape(x.shape) if training else "
        "(x - mean.reshape(per_channel)) / np.sqrt(var.reshape(per_channel) + eps)",
    )
    (tmp_path / "bn").mkdir()
    (tmp_path / "bn/batchnorm_forward.py").write_text(patched + HELPERS)
    catalog = Catalog.load(REPO)
    report = grade(catalog, catalog.select(["bn/batchnorm_forward"]), Target("t", tmp_path))
    kata = report.kata("bn/batchnorm_forward")
    assert kata.score < kata.max_score
    assert "is not allowed in bn/batchnorm_forward" in kata.first_failure


# -- the comparison count of the sorting katas ---------------------------------------------------
SORTS = (REPO / "solutions/algo/sorting.py").read_text()
COUNT_CHEATS = {
    # compare the hidden values directly, so that no comparison is counted
    "reads_the_values": """
def insertion_sort(items):
    items.sort(key=lambda key: key.value)
""",
    # put the counter back to zero after sorting
    "resets_the_counter": """
def insertion_sort(items):
    for i in range(1, len(items)):
        j = i
        while j > 0 and items[j] < items[j - 1]:
            items[j], items[j - 1] = items[j - 1], items[j]
            j -= 1
    items[0]._counter.count = 0
""",
    # sort plain copies made through the keys' own methods
    "sorts_copies": """
import copy


def insertion_sort(items):
    order = sorted(range(len(items)), key=lambda i: copy.copy(items[i]))
    items[:] = [items[i] for i in order]
""",
}


@pytest.mark.parametrize("cheat", sorted(COUNT_CHEATS))
def test_the_comparison_count_cannot_be_lowered(tmp_path, cheat):
    (tmp_path / "algo").mkdir()
    (tmp_path / "algo/sorting.py").write_text(SORTS + COUNT_CHEATS[cheat])
    catalog = Catalog.load(REPO)
    report = grade(catalog, catalog.select(["algo/sorting"]), Target("t", tmp_path))
    sorting = report.kata("algo/sorting")
    lost = [test for test in sorting.tests if test.outcome != "passed"]
    assert lost, sorting.first_failure
    assert all("insertion" in test.name for test in lost), [test.name for test in lost]


def test_a_class_with_every_attack_is_graded_in_full(demo_catalog, demo_katas, tmp_path):
    """Each attacker is one learner of a batch; every learner, honest or not, is graded as alone,
    and the batch's own output (reports, gradebook) is whole."""
    import csv

    from katakit.batch import batch_grade

    classroom = tmp_path / "class"
    for case, attack in ATTACKS.items():
        submission(classroom / case, attack.source)
    submission(classroom / "honest", "def add(a, b):\n    return a + b\n")
    out = tmp_path / "out"
    batch_grade(demo_catalog, demo_katas, classroom, out, jobs=2, limits=LIMITS)
    with (out / "gradebook.csv").open() as handle:
        rows = {row["learner"]: row for row in csv.DictReader(handle)}
    assert set(rows) == {*ATTACKS, "honest"}
    assert rows["honest"]["total"] == "5"
    for case, attack in ATTACKS.items():
        assert rows[case]["demo/add"] == str(attack.score), case
        assert rows[case]["demo/mean"] == "2", case
