"""Run one kata's tests in a forked child process, so whatever the learner's code does there --
loop forever, exit, crash, eat memory, flood output, patch libraries -- stays there.

The parent already has torch and the graders imported, so a fork costs milliseconds (pages are
shared copy-on-write). The child runs the kata's items through pytest's ordinary protocol and
streams every report back over a pipe as soon as it exists, so a crash loses only what had not run
yet. The parent replays those reports through its own hooks (progress line, scores) and, past the
kata's time limit, kills the child and reports what is left as timed out.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import select
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest

# How much of a failure's traceback travels back; the learner's message is kept separately.
_LONGREPR_LIMIT = 20_000


@dataclass(frozen=True)
class Limits:
    """What one kata may use. Defaults are generous for graders that run in about a second."""

    kata_seconds: float = 60.0
    memory_mb: int = 2048
    output_mb: int = 1


DEFAULT_LIMITS = Limits()


def available() -> bool:
    return hasattr(os, "fork") and sys.platform != "win32"


def run_kata(
    items: list[pytest.Item],
    config: pytest.Config,
    limits: Limits,
    verdict: Callable[[pytest.Item, str, str], pytest.TestReport],
) -> None:
    """Run ``items`` (all of one kata) in a child; replay its reports here.

    ``verdict(item, outcome, message)`` builds the report for an item the child never finished.
    Library modules the child had to import are imported here afterwards, so the next kata's
    child starts with them (torch imports many lazily, at a cost paid once instead of per kata).
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child never returns from here
        os.close(read_end)
        _child(items, config, write_end, limits)
    os.close(write_end)
    finished: set[str] = set()
    imported: list[str] = []
    deadline = time.monotonic() + limits.kata_seconds
    timed_out = _relay(read_end, config, items, finished, imported, deadline)
    if timed_out:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    os.close(read_end)
    _import_libraries(imported)
    unfinished = [item for item in items if item.nodeid not in finished]
    if not unfinished:
        return
    if timed_out:
        outcome, message = (
            "timeout",
            (
                f"the kata ran past its time limit of {limits.kata_seconds:g} s and was stopped: "
                "look for a loop that never ends or work that grows too fast"
            ),
        )
    else:
        outcome, message = "crashed", _describe_exit(status, limits)
    for item in unfinished:
        config.hook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
        config.hook.pytest_runtest_logreport(report=verdict(item, outcome, message))
        config.hook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)


def _relay(
    fd: int,
    config: pytest.Config,
    items: list[pytest.Item],
    finished: set[str],
    imported: list[str],
    deadline: float,
) -> bool:
    """Replay the child's reports until it closes the pipe; True if the deadline came first."""
    locations = {item.nodeid: item.location for item in items}
    buffer = b""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return True
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            return True
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return False
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            data = json.loads(line)
            if "katakit_imported" in data:
                imported.extend(data["katakit_imported"])
                continue
            report = config.hook.pytest_report_from_serializable(config=config, data=data)
            if report.skipped and isinstance(report.longrepr, list):
                report.longrepr = tuple(report.longrepr)  # JSON made pytest's tuple a list
            location = locations.get(report.nodeid, report.location)
            if report.when == "setup":
                config.hook.pytest_runtest_logstart(nodeid=report.nodeid, location=location)
            config.hook.pytest_runtest_logreport(report=report)
            if report.when == "teardown":
                config.hook.pytest_runtest_logfinish(nodeid=report.nodeid, location=location)
                finished.add(report.nodeid)


def _describe_exit(status: int, limits: Limits) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        name = signal.Signals(number).name
        if number == signal.SIGSEGV:
            return f"the kata's process crashed ({name}): a fault in native code it called"
        if number == signal.SIGKILL:
            return f"the kata's process was killed ({name}), most likely for using too much memory"
        return f"the kata's process was stopped by signal {name}"
    code = os.WEXITSTATUS(status)
    return (
        f"the kata's code ended the whole process (exit status {code}); "
        "do not call sys.exit, os._exit or quit() in a kata"
    )


def _import_libraries(names: list[str]) -> None:
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # a module that only imports in some state is simply not preloaded
            continue


def _library_modules(before: set[str]) -> list[str]:
    """Modules imported since ``before`` that belong to packages this process already had."""
    packages = {name.split(".")[0] for name in before}
    return [
        name
        for name in list(sys.modules)
        if name not in before and name.split(".")[0] in packages and name.split(".")[0] != "graders"
    ]


class _Forward:
    """Child-side plugin: every report goes to the parent the moment it is made."""

    def __init__(self, config: pytest.Config, fd: int) -> None:
        self.config = config
        self.fd = fd

    @pytest.hookimpl
    def send(self, data: dict) -> None:
        payload = (json.dumps(data) + "\n").encode()
        view = memoryview(payload)
        while view:
            view = view[os.write(self.fd, view) :]

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # Captured output can be huge (a learner printing in a loop): the message is enough.
        report.sections = []
        # a skip's longrepr is a (file, line, reason) tuple that pytest's summary unpacks
        if report.longrepr is not None and not report.skipped:
            report.longrepr = str(report.longrepr)[-_LONGREPR_LIMIT:]
        self.send(self.config.hook.pytest_report_to_serializable(config=self.config, report=report))


def _child(items: list[pytest.Item], config: pytest.Config, fd: int, limits: Limits) -> None:
    status = 0
    try:
        before = set(sys.modules)
        _confine(limits)
        terminal = config.pluginmanager.get_plugin("terminalreporter")
        if terminal is not None:  # the parent prints progress for both
            config.pluginmanager.unregister(terminal)
        forward = _Forward(config, fd)
        config.pluginmanager.register(forward, "katakit-forward")
        for index, item in enumerate(items):
            following = items[index + 1] if index + 1 < len(items) else None
            item.ihook.pytest_runtest_protocol(item=item, nextitem=following)
        forward.send({"katakit_imported": _library_modules(before)})
    except BaseException:
        status = 70  # the parent reports every test that did not finish
    finally:
        os._exit(status)


def _confine(limits: Limits) -> None:
    """Resource limits and a single thread for this child only."""
    if "torch" in sys.modules:
        # A forked child must not reuse the parent's OpenMP pool, and one thread is plenty.
        sys.modules["torch"].set_num_threads(1)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    data_now = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    memory = data_now + limits.memory_mb * 1024 * 1024
    _lower(resource.RLIMIT_DATA, memory)
    # Output beyond the cap makes the write fail (EFBIG) instead of filling the disk.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    _lower(resource.RLIMIT_FSIZE, limits.output_mb * 1024 * 1024)


def _lower(which: int, value: int) -> None:
    soft, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    if soft == resource.RLIM_INFINITY or value < soft:
        resource.setrlimit(which, (value, hard))
