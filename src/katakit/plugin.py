"""katakit's pytest plugin: hidden graders join the learner's run, and the run ends with scores.

Loaded through the ``pytest11`` entry point; it stays silent unless pytest runs inside a katakit
project (a folder with ``exercises/<topic>/katas.toml``). Then:

* collecting a kata file (``exercises/bn/batchnorm_forward.py``) yields its hidden grader
  (``graders/bn/test_batchnorm_forward.py``) when the project has one, so ``pytest exercises/bn``
  runs the public examples *and* the graders;
* the ``kata`` fixture hands a test the kata module from the chosen target, loaded by the engine;
* every test report becomes points (``@pytest.mark.points(n)``) in a :class:`Report`;
* the terminal summary is a score table; tracebacks are left to ``-v``.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import linecache
import os
import re
import signal
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from katakit import guard, isolation, journal

if sys.version_info < (3, 11):  # pragma: no cover - pytest brings the backport on 3.10
    from exceptiongroup import BaseExceptionGroup
from katakit.catalog import Catalog, Kata, find_root, katas_at, learner_libraries
from katakit.i18n import _
from katakit.integrity import Tampering, Watch
from katakit.readonly import ReadOnlyInputs
from katakit.reporting import score_table
from katakit.results import KataResult, Report, TestResult
from katakit.sandbox import remote, rpc
from katakit.sandbox.zygote import zygote
from katakit.target import (
    KataImportError,
    KataMissing,
    Target,
    learner_file,
    load_kata_module,
    resolve_target,
)

DEFAULT_TEST_TIMEOUT = 10.0
_SESSION = pytest.StashKey["KatakitSession"]()


class KataTimeout(BaseException):
    """Raised into learner code that runs past the time limit (BaseException: not swallowed by
    a learner's ``except Exception``)."""


class HiddenGrader(pytest.File):
    """Stands at the kata file's path (so ``pytest exercises/bn/x.py`` selects it) and collects
    the grader module that lives in ``graders/``."""

    def __init__(self, *, grader: Path, **kwargs) -> None:
        super().__init__(**kwargs)
        self.grader = grader

    def collect(self):
        yield pytest.Module.from_parent(self, path=self.grader)


class NotATestModule(pytest.File):
    """A learner's kata file: it holds no tests of its own."""

    def collect(self):
        return []


class KatakitSession:
    """State of one katakit run: the catalogue, the target, loaded modules and the results."""

    def __init__(
        self,
        catalog: Catalog,
        target: Target,
        katas: list[Kata] | None = None,
        *,
        show_table: bool = True,
        test_timeout: float = DEFAULT_TEST_TIMEOUT,
        limits: isolation.Limits | None = None,
        enough: Callable[[str, list[TestResult]], bool] = lambda kata_id, tests: False,
        cost: Callable[[str, str], float] | None = None,
    ) -> None:
        """``enough(kata_id, tests so far)`` true skips the kata's remaining tests: the
        self-check stops grading a mutant once a test has failed as it must. ``cost(kata_id,
        test name)`` orders each kata's tests, cheapest first (the self-check's mutants)."""
        self.catalog = catalog
        self.enough = enough
        self.cost = cost
        self.target = target
        self.show_table = show_table
        self.test_timeout = test_timeout
        # None runs every kata in this process (no fork available, or a debugger is wanted)
        self.limits = limits if isolation.available() else None
        self.watch = Watch()
        self.report = Report(target.name)
        self._results: dict[str, KataResult] = {}
        self._modules: dict[str, Any] = {}
        self._learners: dict[str, remote.LearnerProcess] = {}
        self._katas_after = False  # whether more katas follow the one being graded
        self._guards: dict[str, guard.Guard | None] = {}
        self._broken: dict[str, str] = {}
        for kata in katas or []:
            self._result(kata)

    # -- loading -------------------------------------------------------------------------------
    def module(self, kata: Kata) -> Any:
        """The target's module for ``kata``, loaded once per kata: with isolation, a proxy of the
        module in the kata's own contained process; without, the module itself."""
        if kata.id not in self._modules:
            try:
                self._modules[kata.id] = (
                    self._load_remote(kata) if self.limits is not None else self._load_here(kata)
                )
            except (KataMissing, KataImportError) as exc:
                self._modules[kata.id] = exc
        loaded = self._modules[kata.id]
        if isinstance(loaded, BaseException):
            raise loaded
        return loaded

    def _load_here(self, kata: Kata) -> Any:
        module = load_kata_module(self.target, kata.id)
        return ReadOnlyInputs(module) if kata.read_only_inputs else module

    def _load_remote(self, kata: Kata) -> Any:
        path = learner_file(self.target, kata.id)
        assert self.limits is not None
        budget = learner_budget(self.limits, self.test_timeout)
        learner = self._learners[kata.id] = remote.LearnerProcess(budget)
        remote.CURRENT[:] = [learner]
        try:
            return learner.load(kata.id, path, list(kata.forbidden), kata.read_only_inputs)
        except BaseException as exc:
            if isinstance(exc, rpc.Raised):  # what importing the module raised, over there
                raise KataImportError(_describe_remote_import_failure(exc, path)) from None
            raise
        finally:
            if self._katas_after:
                remote.start_spare(budget)  # the next kata's process, while this one is graded

    def _result(self, kata: Kata) -> KataResult:
        if kata.id not in self._results:
            result = KataResult(kata.id, kata.title, kata.points)
            self._results[kata.id] = result
            self.report.katas.append(result)
        return self._results[kata.id]

    def _kata_of(self, path: Path) -> tuple[Kata | None, bool]:
        """The kata a test file belongs to, and whether the file is a hidden grader."""
        kata = self.catalog.kata_for_path(path)
        is_grader = (self.catalog.root / "graders") in path.resolve().parents
        return kata, is_grader

    # -- collection ----------------------------------------------------------------------------
    @pytest.hookimpl
    def pytest_collect_file(self, file_path: Path, parent: pytest.Collector):
        """A kata file in ``exercises/`` collects as its hidden grader."""
        if file_path.suffix != ".py" or file_path.parent.parent.name != "exercises":
            return None
        kata = self.catalog.kata_for_path(file_path)
        if kata is None or file_path.stem != kata.name:
            return None
        grader = self.catalog.files(kata).grader
        if not grader.is_file():
            return None
        return HiddenGrader.from_parent(parent, path=file_path, grader=grader)

    @pytest.hookimpl(tryfirst=True)
    def pytest_pycollect_makemodule(self, module_path: Path, parent: pytest.Collector):
        """A kata file named on the command line (``pytest exercises/bn/x.py``) is not a test
        module: importing it here would report the learner's syntax error as a collection error
        and stop the run. Its hidden grader (above) loads it and says what is wrong."""
        kata = self.catalog.kata_for_path(module_path)
        if kata is not None and module_path == self.catalog.files(kata).stub:
            return NotATestModule.from_parent(parent, path=module_path)
        return None

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        # torch, hypothesis and the graders are loaded now and live until the end: kept out of
        # the garbage collector's sight, every later collection is quick, pytest's two at the
        # end of a run among them (a third of a second with torch's objects in view). The next
        # run in this process (katakit watch) lets them be collected again first.
        gc.freeze()

    @pytest.hookimpl
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        if self.cost is not None:
            self._cheapest_first(items)
        declared: dict[str, int] = {}
        for item in items:
            kata, is_grader = self._kata_of(item.path)
            if kata is None:
                continue
            self._result(kata)
            if is_grader:
                declared[kata.id] = declared.get(kata.id, 0) + _points(item)
        order = {kata.id: index for index, kata in enumerate(self.catalog.katas)}
        self.report.katas.sort(key=lambda result: order[result.id])
        for kata_id, total in declared.items():
            kata = self.catalog.by_id[kata_id]
            if total != kata.points:
                # One kata's broken grader must not stop the others from being graded.
                self._broken[kata_id] = (
                    f"grader error: the tests of {kata_id} carry {total} points but katas.toml "
                    f"says {kata.points}; make the @pytest.mark.points markers add up"
                )

    def _cheapest_first(self, items: list[pytest.Item]) -> None:
        """Each kata's tests by ``cost``, the katas in their order (a stable sort)."""
        assert self.cost is not None
        first: dict[str, int] = {}
        keys = {}
        for index, item in enumerate(items):
            kata, is_grader = self._kata_of(item.path)
            if kata is None or not is_grader:
                keys[item] = (index, 0.0)
                continue
            group = first.setdefault(kata.id, index)
            keys[item] = (group, self.cost(kata.id, item.nodeid.split("::", 1)[-1]))
        items.sort(key=keys.__getitem__)

    # -- running -------------------------------------------------------------------------------
    def _guard(self, kata: Kata) -> guard.Guard | None:
        """The kata's forbidden-call guard, made once; None when nothing is forbidden."""
        if kata.id not in self._guards:
            path = self.target.locate(kata.id)
            self._guards[kata.id] = (
                guard.Guard(kata.id, kata.forbidden, path) if kata.forbidden and path else None
            )
        return self._guards[kata.id]

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool | None:
        """With isolation on, each kata's tests run together, and the kata's learner process
        (started by the first test that asks for the ``kata`` fixture) ends with the last."""
        config = session.config
        if self.limits is None or config.option.collectonly or config.option.usepdb:
            return None
        if session.testsfailed and not config.option.continue_on_collection_errors:
            return None  # pytest's own loop reports the collection errors
        groups: dict[str | None, list[pytest.Item]] = {}
        for item in session.items:
            kata, _grader = self._kata_of(item.path)
            groups.setdefault(kata.id if kata else None, []).append(item)
        if list(groups) in ([], [None]):
            # no kata in this run (or, under pytest-xdist, the controller): pytest's own loop
            return None
        kata_ids = [kata_id for kata_id in groups if kata_id is not None]
        for kata_id, items in groups.items():
            self._katas_after = kata_id in kata_ids and kata_ids.index(kata_id) < len(kata_ids) - 1
            # each test knows its successor, so module fixtures live on within a group
            try:
                for index, item in enumerate(items):
                    following = items[index + 1] if index + 1 < len(items) else None
                    item.ihook.pytest_runtest_protocol(item=item, nextitem=following)
            finally:
                if kata_id is not None:
                    self.close_learner(kata_id)
            if session.shouldfail:
                raise session.Failed(session.shouldfail)
            if session.shouldstop:
                raise session.Interrupted(session.shouldstop)
        return True

    def close_learner(self, kata_id: str) -> None:
        learner = self._learners.pop(kata_id, None)
        if learner is not None:
            learner.close()
            remote.CURRENT.clear()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item):
        """Forbidden calls raise in learner code from the kata's first import to its teardown."""
        kata, _grader = self._kata_of(item.path)
        if kata is None or self.limits is not None:
            return (yield)
        self.watch.note()
        with self._guard(kata) or contextlib.nullcontext():
            return (yield)

    @contextlib.contextmanager
    def _time_limit(self, item: pytest.Item) -> Iterator[None]:
        """Raise :class:`KataTimeout` into a kata test that runs past ``test_timeout`` CPU
        seconds (in this process: without isolation; a learner process has its own budget)."""
        kata = self._kata_of(item.path)[0]
        if kata is not None and kata.id in self._learners:
            # the learner's process has its own CPU budget per test, counted from here
            self._learners[kata.id].link.start_test()
        limited = kata is not None and self.test_timeout > 0 and self.limits is None
        if not limited or not hasattr(signal, "setitimer"):
            yield
            return

        def on_alarm(signum, frame):
            raise KataTimeout(_("timed out after {seconds:g} s").format(seconds=self.test_timeout))

        # CPU seconds of this process (ITIMER_PROF), not wall time: a busy machine never times
        # out a test
        previous = signal.signal(signal.SIGPROF, on_alarm)
        signal.setitimer(signal.ITIMER_PROF, self.test_timeout)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.signal(signal.SIGPROF, previous)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item):
        kata, is_grader = self._kata_of(item.path)
        if kata is not None and is_grader and kata.id in self._broken:
            pytest.fail(self._broken[kata.id], pytrace=False)
        if item.get_closest_marker("gpu") is not None and not _cuda_available():
            pytest.skip("needs a CUDA GPU and none is visible; these points are not counted here")
        if kata is not None and is_grader and self.enough(kata.id, self._result(kata).tests):
            pytest.skip("the caller has seen enough of this kata (katakit verify: mutant killed)")
        with self._time_limit(item):
            return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item):
        try:
            with self._time_limit(item):
                return (yield)
        finally:
            kata, _grader = self._kata_of(item.path)
            in_process = kata is not None and self.limits is None
            active = self._guard(kata) if in_process else None
            if active is not None and active.violations:
                # Even if the learner caught the ForbiddenCall and went on, the test fails on it.
                raise guard.ForbiddenCall(active.violations[0])
            if in_process:
                replaced = self.watch.restore(active.patched() if active else set())
                if replaced:
                    raise Tampering(
                        _(
                            "your code replaced {names} globally; a kata may not change library "
                            "functions (they have been put back)"
                        ).format(names=", ".join(replaced))
                    )

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        report = yield
        kata, is_grader = self._kata_of(item.path)
        if kata is None:
            return report
        # The report says which kata it scores: it may be logged in another process (isolation).
        report.user_properties.append(("katakit_kata", kata.id))
        report.user_properties.append(("katakit_grader", is_grader))
        report.user_properties.append(("katakit_points", _points(item) if is_grader else 0))
        if call.excinfo is not None and report.outcome != "skipped":
            path = self.target.locate(kata.id)
            message = explain(call.excinfo, path)
            learner = self._learners.get(kata.id)
            if learner is not None and learner.link.output:
                printed = bytes(learner.link.output).decode("utf-8", "replace").rstrip()
                message += "\n" + _("  your code printed:") + "\n" + _indent(printed)
            for hidden in ("graders", "solutions"):  # never point a learner at hidden files
                message = message.replace(str(self.catalog.root / hidden), f"<{hidden}>")
            report.user_properties.append(("katakit_message", _cap(message)))
            report.user_properties.append(("katakit_outcome", _outcome(call)))
            report.user_properties.append(("katakit_cause", _cause(call.excinfo.value)))
            matched = getattr(call.excinfo.value, "misconception", None)
            if isinstance(call.excinfo.value, AssertionError) and matched is not None:
                report.user_properties.append(("katakit_misconception", _named(matched)))
        return report

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        properties = dict(report.user_properties)
        if "katakit_kata" not in properties:
            return
        kata = self.catalog.by_id[properties["katakit_kata"]]
        is_grader = properties["katakit_grader"]
        if report.when == "call" or report.outcome != "passed":
            outcome = properties.get("katakit_outcome", report.outcome)
            if report.skipped:
                outcome = "skipped"
            name = report.nodeid.split("::", 1)[-1]
            result = self._result(kata)
            tests = result.tests if is_grader else result.examples
            if any(test.name == name for test in tests):
                return  # a teardown error after a failed call: the first verdict stands
            points = properties.get("katakit_points", 0)
            tests.append(
                TestResult(
                    name,
                    points,
                    outcome,
                    properties.get("katakit_message", ""),
                    misconception=properties.get("katakit_misconception"),
                    cause=properties.get("katakit_cause", ""),
                    seconds=report.duration,
                )
            )

    @pytest.hookimpl
    def pytest_report_header(self) -> str:
        return f"katakit: target={self.target.name} root={self.catalog.root}"

    @pytest.hookimpl
    @pytest.hookimpl
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        # the learner's own exercises/: remember each kata's best score (`katakit next`)
        if self.target.folder == self.catalog.root / "exercises" and self.report.katas:
            journal.record(self.catalog.root, self.report)

    def pytest_terminal_summary(self, terminalreporter, config: pytest.Config) -> None:
        if not self.show_table or not self.report.katas:
            return
        terminalreporter.section("katakit scores", sep="=")
        width = terminalreporter._tw.fullwidth
        for line in score_table(self.report, width=width).splitlines():
            terminalreporter.write_line(line)


def learner_budget(limits: isolation.Limits, test_timeout: float) -> remote.Budget:
    """What a kata's learner process may use, from the run's limits and per-test timeout."""
    return remote.Budget(
        test_cpu=test_timeout if test_timeout > 0 else float("inf"),
        kata_cpu=limits.kata_seconds,
        memory_mb=limits.memory_mb,
        output_mb=limits.output_mb,
    )


def _points(item: pytest.Item) -> int:
    marker = item.get_closest_marker("points")
    return int(marker.args[0]) if marker and marker.args else 0


def _outcome(call: pytest.CallInfo) -> str:
    assert call.excinfo is not None
    if call.excinfo.errisinstance(remote.LearnerGone):
        return call.excinfo.value.outcome
    if isinstance(call.excinfo.value, rpc.Raised) and call.excinfo.value.remote_type in (
        "builtins.SystemExit",
        "builtins.KeyboardInterrupt",
        "builtins.MemoryError",
    ):
        return "crashed"  # the learner's code tried to end its process, or ran out of memory
    if call.excinfo.errisinstance(KataMissing):
        return "missing"
    if call.excinfo.errisinstance(KataTimeout):
        return "timeout"
    if call.excinfo.errisinstance((MemoryError, SystemExit)) or _is_flood(call.excinfo.value):
        return "crashed"
    if call.excinfo.errisinstance(Tampering):
        return "error"
    return "error" if call.when != "call" else "failed"


def _cause(exc: BaseException) -> str:
    """Why a test failed, where the kata's state depends on it: the module has a syntax error
    or does not import, or the learner's code has not been written yet; "" otherwise."""
    if isinstance(exc, KataImportError):
        origin = exc.__cause__ or exc.__context__
        return "syntax-error" if isinstance(origin, SyntaxError) else "import-error"
    not_written = isinstance(exc, NotImplementedError) or (
        isinstance(exc, rpc.Raised) and exc.remote_type == "builtins.NotImplementedError"
    )
    return "not-implemented" if not_written else ""


def _named(matched: Any) -> dict[str, str | None]:
    """A matched misconception as report data: its stable id, or None for a grader that names
    the mistake by plain text."""
    from katakit.misconceptions import Misconception

    if isinstance(matched, Misconception):
        return {"id": matched.id, "text": matched.en}
    return {"id": None, "text": str(matched)}


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


def _is_flood(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno == errno.EFBIG


MESSAGE_LIMIT = 2000  # characters of a failure message: enough to fix the code, no more


def _cap(message: str) -> str:
    return rpc.cut(message, MESSAGE_LIMIT)


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def _describe_remote_import_failure(exc: rpc.Raised, path: Path) -> str:
    text = getattr(exc, "_katakit_text", str(exc))
    name = exc.remote_type.rsplit(".", 1)[-1]
    if isinstance(exc, SyntaxError):
        return _("{file} has a syntax error on line {line}: {error}").format(
            file=path.name, line=exc.lineno, error=exc.msg
        )
    where = _(" (line {line})").format(line=exc.frames[-1][1]) if exc.frames else ""
    return _("importing {file} raised {error}: {text}{where}").format(
        file=path.name, error=name, text=text, where=where
    )


def explain(excinfo: pytest.ExceptionInfo, learner_file: Path | None) -> str:
    """A message for the learner: the grader's own text, or what their code raised and where,
    with the failing example a property test found (Hypothesis attaches it as notes)."""
    exc = excinfo.value
    if isinstance(exc, BaseExceptionGroup):
        # Hypothesis found several distinct failures: each, numbered, with its own example
        parts = [
            explain(pytest.ExceptionInfo.from_exception(sub), learner_file)
            for sub in exc.exceptions
        ]
        numbered = [f"{n}. " + part.replace("\n", "\n   ") for n, part in enumerate(parts, 1)]
        return "\n".join([_("{count} different failures:").format(count=len(parts)), *numbered])
    return "\n".join([_explain_one(excinfo, learner_file), *_examples(exc)])


def _examples(exc: BaseException) -> list[str]:
    """Hypothesis's notes on ``exc`` (the falsifying example, state-machine steps), without the
    ``kata=<module ...>`` argument, which only names the engine's proxy."""
    return [_KATA_ARGUMENT.sub("", note) for note in getattr(exc, "__notes__", ())]


_KATA_ARGUMENT = re.compile(r"\n\s*kata=<[^\n]*>,(?=\n)")


def _explain_one(excinfo: pytest.ExceptionInfo, learner_file: Path | None) -> str:
    exc = excinfo.value
    if isinstance(exc, remote.LearnerGone):
        return exc.message
    if isinstance(exc, rpc.Raised):
        return _explain_raised(exc)
    # The frames in the learner's file: the function to name and the line to point at.
    frames = list(traceback.walk_tb(excinfo.tb))
    own = [
        (getattr(frame.f_code, "co_qualname", frame.f_code.co_name), line)
        for frame, line in frames
        if learner_file is not None and Path(frame.f_code.co_filename) == learner_file
    ]
    # an assert in the learner's own code fails there; a grader's check fails in the grader
    learners_assert = bool(own) and Path(frames[-1][0].f_code.co_filename) == learner_file
    verdict = pytest.fail.Exception | KataMissing | KataImportError
    if isinstance(exc, verdict) or (isinstance(exc, AssertionError) and not learners_assert):
        return str(exc)
    if isinstance(exc, KataTimeout):
        where = (
            _(" (last in {function}, line {line})").format(function=own[-1][0], line=own[-1][1])
            if own
            else ""
        )
        return _(
            "{stopped}{where}: look for a loop that never ends or work that grows too fast"
        ).format(stopped=exc, where=where)
    if isinstance(exc, NotImplementedError) and own:
        return _not_written().format(function=own[-1][0])
    if isinstance(exc, guard.ForbiddenCall | Tampering):
        return str(exc)
    if isinstance(exc, MemoryError):
        return _out_of_memory()
    if _is_flood(exc):
        return _("printed too much output: the kata went past its output limit")
    if isinstance(exc, SystemExit):
        return _exited().format(code=repr(exc.code))
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if own:
        function, line = own[-1]
        source = linecache.getline(str(learner_file), line).strip()
        shown = f": {source}" if source else ""
        return _raised().format(function=function, error=text, line=line, source=shown)
    return _("grading stopped with {error}").format(error=text)


def _explain_raised(exc: rpc.Raised) -> str:
    """What the learner's code raised in its own process, named with its line."""
    name = exc.remote_type.rsplit(".", 1)[-1]
    text = getattr(exc, "_katakit_text", "")
    function, line, source = exc.frames[-1] if exc.frames else ("", 0, "")
    if name == "NotImplementedError" and function:
        return _not_written().format(function=function)
    if isinstance(exc, guard.ForbiddenCall):
        return text
    if name == "SystemExit":
        return _exited().format(code=text)
    if name == "MemoryError":
        return _out_of_memory()
    described = f"{name}: {text}" if text else name
    if not function:
        return _("your code raised {error}").format(error=described)
    shown = f": {source}" if source else ""
    return _raised().format(function=function, error=described, line=line, source=shown)


# Messages said in more than one place above; functions, so each is translated when shown.
def _not_written() -> str:
    return _("not implemented yet: {function}")


def _exited() -> str:
    return _("called sys.exit({code}): a kata must return its result, not end the process")


def _out_of_memory() -> str:
    return _("ran out of memory: the kata used more than its memory limit")


def _raised() -> str:
    return _("{function} raised {error} (line {line}{source})")


# -- module-level hooks: options, activation, the kata fixture ----------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("katakit")
    group.addoption(
        "--katakit-target",
        default=os.environ.get("KATAKIT_TARGET", "exercises"),
        help="code to grade: exercises (default), solutions, or a folder of <topic>/<kata>.py "
        "(env KATAKIT_TARGET)",
    )
    group.addoption(
        "--katakit-no-isolate",
        action="store_true",
        default=os.environ.get("KATAKIT_ISOLATE", "1") == "0",
        help="run learner code in this process (for a debugger; no containment) instead of "
        "a contained process per kata "
        "(env KATAKIT_ISOLATE=0)",
    )
    group.addoption(
        "--katakit-kata-timeout",
        type=float,
        default=isolation.Limits.kata_seconds,
        help="CPU seconds all of one kata's tests may use together (default %(default)s)",
    )
    group.addoption(
        "--katakit-memory",
        type=int,
        default=isolation.Limits.memory_mb,
        help="MiB of memory one kata may allocate (default %(default)s)",
    )
    group.addoption(
        "--katakit-timeout",
        type=float,
        default=DEFAULT_TEST_TIMEOUT,
        help="CPU seconds the learner's code may use in one test before it scores 0 as "
        f"'timeout' (default {DEFAULT_TEST_TIMEOUT:g}; 0 disables)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "points(n): points a grader test is worth (katakit)")
    config.addinivalue_line("markers", "gpu: needs a CUDA device; skipped without one")
    session = next(
        (p for p in config.pluginmanager.get_plugins() if isinstance(p, KatakitSession)), None
    )
    if session is None:
        root = _project_root(config)
        if root is None:
            return
        catalog = Catalog.load(root)
        target = resolve_target(config.getoption("katakit_target"), root)
        limits = isolation.Limits(
            kata_seconds=config.getoption("katakit_kata_timeout"),
            memory_mb=config.getoption("katakit_memory"),
        )
        session = KatakitSession(
            catalog,
            target,
            test_timeout=config.getoption("katakit_timeout"),
            limits=None if config.getoption("katakit_no_isolate") else limits,
        )
        config.pluginmanager.register(session, "katakit-session")
        if session.limits is not None and _is_kata_run(config, root):
            # the learners' fork server imports torch (where the katas use it) while pytest
            # collects
            starts = [config.invocation_params.dir / arg.split("::")[0] for arg in config.args]
            katas = katas_at(catalog, starts) or catalog.katas
            zygote().start(learner_libraries(catalog, katas))
        if (
            _is_kata_run(config, root)
            and config.option.verbose <= 0
            and config.option.tbstyle == "auto"
        ):
            # The score table carries each failure's message; tracebacks are for -v.
            config.option.tbstyle = "no"
            config.option.reportchars = "s"
    config.stash[_SESSION] = session
    gc.unfreeze()  # what an earlier run in this process froze (see pytest_collection_finish)
    _settle_environment()


def _project_root(config: pytest.Config) -> Path | None:
    for start in (*(Path(arg.split("::")[0]) for arg in config.args), config.rootpath):
        root = find_root(start if start.is_absolute() else config.invocation_params.dir / start)
        if root is not None:
            return root
    return None


# Grader inputs are small: one thread is faster than a pool's start-up, and forked workers stay
# safe. Set before numpy or torch is imported; an explicit setting by the user wins.
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _settle_environment() -> None:
    """One thread per process, and property tests that are the same on every run."""
    for name in _THREAD_VARIABLES:
        os.environ.setdefault(name, "1")
    from hypothesis import settings
    from hypothesis.errors import InvalidArgument

    try:
        # registered by an earlier run in this process (katakit watch, a test of the suite):
        # registering again inside a test's own settings is deprecated
        settings.get_profile("katakit")
    except InvalidArgument:
        _register_profile()
    settings.load_profile("katakit")


def _register_profile() -> None:
    from hypothesis import HealthCheck, Phase, settings

    settings.register_profile(
        "katakit",
        derandomize=True,
        database=None,
        deadline=None,
        print_blob=False,
        # graders take the kata module as a fixture; it is the same object for every example
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        # no "explain" phase: it lists engine and grader lines, which say nothing to a learner
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    )


def _is_kata_run(config: pytest.Config, root: Path) -> bool:
    """True when every path pytest was given lies in the project's exercises or graders."""
    starts = [Path(arg.split("::")[0]) for arg in config.args] or [Path(".")]
    kata_areas = (root / "exercises", root / "graders")
    for start in starts:
        path = (config.invocation_params.dir / start).resolve()
        if not any(area == path or area in path.parents for area in kata_areas):
            return False
    return True


@pytest.fixture
def kata(request: pytest.FixtureRequest) -> ModuleType:
    """The kata module under test, loaded from the run's target by the engine."""
    session = request.config.stash.get(_SESSION, None)
    if session is None:
        raise pytest.UsageError("the kata fixture needs a katakit project (exercises/*/katas.toml)")
    found = session.catalog.kata_for_path(request.node.path)
    if found is None:
        raise pytest.UsageError(f"{request.node.path} does not belong to any kata in katas.toml")
    return session.module(found)
