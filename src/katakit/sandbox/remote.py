"""The trusted side of one kata: its learner process, watched, and the module proxy graders use.

:class:`LearnerProcess` asks the zygote for a contained process, sends it the learner's source,
and hands graders a proxy of the module (``kata.f(x)`` performs the call there). While the
trusted side waits for an answer, :class:`WatchedLink` reads the learner's output, measures its
CPU time (so a busy machine never changes a grade; a generous wall-clock backstop catches a
learner that sleeps) and stops the process at any limit, raising :class:`LearnerGone` with the
outcome and the message for the learner.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import select
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from katakit import guard
from katakit.counting import OutOfComparisons
from katakit.distributed import RankFailure
from katakit.i18n import _
from katakit.sandbox import contain, rpc, wire
from katakit.sandbox.zygote import Spawned, zygote

SPIN_SECONDS = 200e-6  # how long a wait for the learner's answer polls before it sleeps
CHECK_SECONDS = 0.05  # how often the learner's CPU and wall time are checked while it works
WHERE_SECONDS = 2.0  # how long a stopped learner has to say where it was (a busy machine is slow)
OUTPUT_SHOWN = 1024  # bytes of a test's printed output kept for its failure message
CURRENT: list[LearnerProcess] = []  # the learner process of the kata being graded, if any


class LearnerGone(BaseException):
    """The learner's process is gone or was stopped; ``outcome`` is ``timeout`` or
    ``crashed``, and every later call of this kata raises the same."""

    def __init__(self, outcome: str, message: str) -> None:
        super().__init__(message)
        self.outcome = outcome
        self.message = message


@dataclass(frozen=True)
class Budget:
    """Limits of one kata's learner process; CPU seconds, not wall-clock seconds."""

    test_cpu: float = 10.0
    kata_cpu: float = 60.0
    memory_mb: int = 2048
    output_mb: int = 1
    wall_seconds: float | None = None  # the backstop's own length, where not the default

    @property
    def test_wall(self) -> float:
        """The backstop for a learner that waits instead of computing: long enough that a busy
        machine never reaches it before the CPU limit would."""
        return self.wall_seconds if self.wall_seconds is not None else 3 * self.test_cpu + 20.0


class TrustedPolicy(rpc.Policy):
    """What the learner side may do with the objects graders hand it: call callables, iterate
    iterables, compare keys, read a function's name and docstring. Nothing else."""

    OPERATIONS = frozenset(
        [
            "call",
            "iter",
            "next",
            "len",
            "getitem",
            "contains",
            "repr",
            "str",
            "bool",
            "hash",
            "dunder",
            "getattr",
        ]
    )
    ATTRIBUTES = frozenset(
        [
            "__name__",
            "__qualname__",
            "__doc__",
            "__module__",
            "__dict__",
            "__annotations__",
            "__type_params__",
        ]
    )

    def allows(self, obj: Any, op: str, name: str | None) -> bool:
        if op not in self.OPERATIONS:
            return False
        if op == "getattr":
            return name in self.ATTRIBUTES and callable(obj)
        return True


rpc.ExceptionCodec.extra_types.update(
    {
        "katakit.guard.ForbiddenCall": guard.ForbiddenCall,
        "numpy.linalg.LinAlgError": np.linalg.LinAlgError,
        "katakit.counting.OutOfComparisons": OutOfComparisons,
        "katakit.distributed.RankFailure": RankFailure,
    }
)


class WatchedLink(wire.Link):
    """The trusted side's end: every wait watches the learner's output, CPU time and wall time."""

    def __init__(self, spawned: Spawned, budget: Budget) -> None:
        super().__init__(spawned.sock)
        self.sock.setblocking(False)  # every wait is a select that also watches the limits
        self.spawned = spawned
        self.budget = budget
        self.output = bytearray()  # what the current test printed (the first OUTPUT_SHOWN bytes)
        self.printed = 0
        self.gone: LearnerGone | None = None
        self.start_test()

    def start_test(self) -> None:
        self.output.clear()
        self.test_started_cpu = self.cpu_seconds()
        self.test_started_wall = time.monotonic()
        self.test_messages = 0  # received in this test: each may follow a learner's poll
        self.last_check = time.monotonic()

    def test_cpu_limit(self) -> float:
        """The test's CPU seconds, plus the most the learner side spent polling for answers
        (``wire.LEARNER_SPIN_SECONDS`` per message; at most doubling the limit)."""
        allowance = self.test_messages * wire.LEARNER_SPIN_SECONDS
        return self.budget.test_cpu + min(allowance, self.budget.test_cpu)

    def cpu_seconds(self) -> float:
        """User + system CPU time of the learner's process (and the children it waited for)."""
        try:
            fields = Path(f"/proc/{self.spawned.learner_pid}/stat").read_text().rsplit(")", 1)[1]
        except (OSError, IndexError):
            return 0.0  # no /proc (macOS): only the wall-clock backstop applies
        parts = fields.split()
        return sum(int(value) for value in parts[11:15]) / os.sysconf("SC_CLK_TCK")

    def send(self, message: Any) -> None:
        if self.gone is not None:
            raise self.gone
        data = memoryview(wire.pack(message))
        while data:
            try:
                data = data[self.sock.send(data) :]
                continue
            except BlockingIOError:  # the learner is not reading: wait, watching it
                pass
            except OSError:  # the learner's end is closed: it has ended
                self.stop("crashed", None)
            if not select.select([], [self.sock], [], CHECK_SECONDS)[1]:
                self._check()
            self._drain_output()

    def receive(self) -> Any:
        self.test_messages += 1
        try:
            return super().receive()
        except wire.WireError:
            self.stop(
                "crashed",
                _(
                    "the kata's process was stopped: your code wrote something that is not "
                    "katakit's protocol into its channel (a kata must not write to file "
                    "descriptors it did not open)"
                ),
            )

    def read_some(self) -> memoryview:
        if self.gone is not None:
            raise self.gone
        try:
            chunk = self.read_within(SPIN_SECONDS)
        except ConnectionResetError:  # the learner's end closed with our answer unread
            chunk = b""
        if chunk:
            # what the learner printed before it answered is in the pipe by now: read it, so a
            # failure message shows it
            self._drain_output()
            if time.monotonic() - self.last_check > CHECK_SECONDS:
                # a learner that keeps the door busy (a loop of calls back to the grader) never
                # lets a wait time out below: its limits are checked here too
                self._check()
            return chunk
        if chunk is not None:
            self._drain_output()
            self.stop("crashed", None)
        while True:
            readable = select.select([self.sock, self.spawned.output], [], [], CHECK_SECONDS)[0]
            if not readable:
                self._check()  # CPU and wall time, only while the answer is slow to come
                continue
            if self.spawned.output in readable:
                self._drain_output()
            if self.sock in readable:
                try:
                    chunk = super().read_some()
                except BlockingIOError:
                    continue
                except ConnectionResetError:
                    chunk = b""
                if not chunk:
                    self._drain_output()
                    self.stop("crashed", None)
                return chunk

    def _drain_output(self) -> None:
        while select.select([self.spawned.output], [], [], 0)[0]:
            chunk = os.read(self.spawned.output, 1 << 16)
            if not chunk:
                return
            self.printed += len(chunk)
            self.output += chunk[: max(0, OUTPUT_SHOWN - len(self.output))]
            if self.printed > self.budget.output_mb * 1024 * 1024:
                self.stop(
                    "crashed",
                    _(
                        "the kata's process was stopped: your code printed too much output: "
                        "the kata went past its output limit"
                    ),
                )

    def _check(self) -> None:
        if self.gone is not None:
            raise self.gone
        self.last_check = time.monotonic()
        cpu = self.cpu_seconds()
        if cpu - self.test_started_cpu > self.test_cpu_limit():
            self.stop("timeout", _test_cpu(), seconds=self.budget.test_cpu)
        if cpu > self.budget.kata_cpu:
            self.stop("timeout", _kata_cpu(), seconds=self.budget.kata_cpu)
        if time.monotonic() - self.test_started_wall > self.budget.test_wall:
            self.stop("timeout", _no_progress(), seconds=self.budget.test_wall)

    def _where(self) -> str:
        """Interrupt the learner's code and read where it was: `` (last in add, line 2)``."""
        try:
            os.kill(self.spawned.learner_pid, signal.SIGUSR1)
            deadline = time.monotonic() + WHERE_SECONDS
            buffer = b""
            while time.monotonic() < deadline:
                if select.select([self.sock], [], [], deadline - time.monotonic())[0]:
                    chunk = self.sock.recv(1 << 16)
                    if not chunk:
                        break
                    buffer += chunk
                    if len(buffer) >= wire.HEADER_SIZE:
                        length = wire.frame_length(buffer[: wire.HEADER_SIZE])
                        if len(buffer) >= wire.HEADER_SIZE + length:
                            answer = wire.unpack(buffer[wire.HEADER_SIZE :][:length])
                            function, line, _source = answer[1][3][-1]
                            return _(" (last in {function}, line {line})").format(
                                function=function, line=line
                            )
        except Exception:  # whatever the learner made of the interruption, it ends now
            return ""
        return ""

    def stop(self, outcome: str, message: str | None, **values: Any) -> None:
        """End the learner's process (and all it started); raise and remember why.

        A timeout's ``message`` has a ``{where}`` field for where the learner's code was."""
        if self.gone is None:
            where = self._where() if outcome == "timeout" else ""
            self._kill()
            status = zygote().wait(self.spawned.pid)
            if message is None:
                outcome, message = _describe_exit(status, self.budget)
            elif outcome == "timeout":
                message = message.format(where=where, **values)
            self.gone = LearnerGone(outcome, message)
        raise self.gone

    def _kill(self) -> None:
        for kill in (os.killpg, os.kill):
            try:
                kill(self.spawned.learner_pid, signal.SIGKILL)
            except OSError:
                continue

    def close(self) -> None:
        if self.gone is None:
            self._kill()  # the learner and all it started, at once (see contain)
            zygote().reap(self.spawned.pid)
            self.gone = LearnerGone("crashed", _("the kata's process was closed"))
        self.sock.close()
        os.close(self.spawned.output)


def _describe_exit(status: int, budget: Budget) -> tuple[str, str]:
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)
    if code > 128:
        number = code - 128
        name = signal.Signals(number).name if number in signal.valid_signals() else str(number)
        if number == signal.SIGSEGV:
            return "crashed", _(
                "the kata's process crashed ({signal}): a fault in native code"
            ).format(signal=name)
        if number == signal.SIGXCPU:
            return "timeout", _kata_cpu().format(seconds=budget.kata_cpu, where="")
        if number == signal.SIGKILL:
            return "crashed", _(
                "the kata's process was killed ({signal}), most likely for memory"
            ).format(signal=name)
        return "crashed", _("the kata's process was stopped by signal {signal}").format(signal=name)
    return "crashed", _(
        "the kata's code ended its whole process (exit status {code}); do not call sys.exit, "
        "os._exit or quit() in a kata"
    ).format(code=code)


# A timeout's message, translated when said; ``{where}`` is where the learner's code was.
def _test_cpu() -> str:
    return _(
        "timed out: your code used more than {seconds:g} s of CPU time{where} and was stopped; "
        "look for a loop that never ends or work that grows too fast"
    )


def _kata_cpu() -> str:
    return _(
        "timed out: the kata used more than {seconds:g} s of CPU time in all{where} and was "
        "stopped; look for a loop that never ends or work that grows too fast"
    )


def _no_progress() -> str:
    return _(
        "timed out: your code made no progress for {seconds:g} s{where} and was stopped; look "
        "for a loop that never ends or work that grows too fast"
    )


class LearnerProcess:
    """One kata's contained learner process, from the first call of a test to the kata's end."""

    def __init__(self, budget: Budget, *, namespaces: bool = True) -> None:
        self.link = WatchedLink(_spawn(_options(budget, namespaces)), budget)
        self.peer = rpc.Peer(self.link, TrustedPolicy())

    def load(self, kata_id: str, path: Path, forbidden: list[str], read_only: bool) -> Any:
        """The learner's module there, as a proxy; raises what importing it raised."""
        source = path.read_text(encoding="utf-8", errors="replace")
        return self.peer.request("load", 0, kata_id, str(path), source, forbidden, read_only)

    def held(self) -> list[str]:
        return self.peer.request("held", 0)

    def probe(self, source: str, name: str, args: tuple, kwargs: dict) -> Any:
        return self.peer.request("probe", 0, source, name, args, kwargs)

    def ship(self, source: str, name: str) -> Any:
        return self.peer.request("ship", 0, source, name)

    def close(self) -> None:
        self.link.close()


# -- a spare learner process, started while the current kata is graded ---------------------------
# Forking from the zygote and building a learner's containment (namespaces, a new root) takes
# about a tenth of a second; started early, it overlaps the grading of the kata before.
_SPARE: list[tuple[int, contain.Options, concurrent.futures.Future]] = []
_STARTERS: dict[int, concurrent.futures.ThreadPoolExecutor] = {}  # by process: a fork has none


def _options(budget: Budget, namespaces: bool) -> contain.Options:
    return contain.Options(
        memory_mb=budget.memory_mb,
        output_mb=budget.output_mb,
        cpu_seconds=budget.kata_cpu + 2,
        namespaces=namespaces,
    )


def start_spare(budget: Budget, *, namespaces: bool = True) -> None:
    """Start the next kata's learner process in the background, under ``budget``."""
    if not _SPARE:
        options = _options(budget, namespaces)
        if os.getpid() not in _STARTERS:
            _STARTERS[os.getpid()] = concurrent.futures.ThreadPoolExecutor(max_workers=1)
        starter = _STARTERS[os.getpid()]
        _SPARE.append((os.getpid(), options, starter.submit(zygote().spawn, options)))


def _spawn(options: contain.Options) -> Spawned:
    """The spare, when one was started in this process with these options; else a new one."""
    if _SPARE:
        owner, spare_options, future = _SPARE.pop()
        if owner == os.getpid():  # (a forked child has the future but not the thread)
            try:
                spawned = future.result()
            except Exception:  # the zygote died meanwhile: spawn restarts it
                spawned = None
            if spawned is not None and spare_options == options:
                return spawned
            if spawned is not None:  # started for other limits: not to be used
                _discard(spawned)
    return zygote().spawn(options)


def _discard(spawned: Spawned) -> None:
    for kill in (os.killpg, os.kill):
        with contextlib.suppress(OSError):
            kill(spawned.learner_pid, signal.SIGKILL)
    zygote().reap(spawned.pid)
    spawned.sock.close()
    os.close(spawned.output)
