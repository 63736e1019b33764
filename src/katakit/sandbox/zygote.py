"""The fork server: a clean interpreter with the libraries loaded, forking one learner per kata.

A learner's process must start quickly (torch takes seconds to import) yet hold nothing of the
grader. Forking the trusted process would copy the graders, their oracles and the report into
it; so katakit starts, once per grading process, a separate interpreter (``python -I``, with the
learner's scrubbed environment) that imports the libraries and nothing of the project, and asks
it over a control socket to fork each learner. The zygote hands back the learner's socket and the
read end of its output pipe (``SCM_RIGHTS``), and later reports how the process ended.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pickle
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from katakit.sandbox import contain

# What each library asked for means loading; the learner's own loop is always loaded.
_MODULES = {"numpy": ("numpy",), "torch": ("torch", "torch.nn.functional")}
ALWAYS = ("katakit.sandbox.learner",)


# -- the zygote's side ---------------------------------------------------------------------------
def main(control_fd: int, libraries: tuple[str, ...]) -> None:
    control = socket.socket(fileno=control_fd)
    try:
        _preload(libraries)
        control.send(pickle.dumps(("ready",)))
        _serve(control)
    except OSError:  # the trusted side went away mid-answer: nothing to report to anyone
        pass
    os._exit(0)


def _serve(control: socket.socket) -> None:
    killed: set[int] = set()  # learners the trusted side killed and no longer waits for
    while True:
        data = control.recv(1 << 16)
        if not data:
            return
        request = pickle.loads(data)  # from the trusted side, which started us
        killed = {pid for pid in killed if os.waitpid(pid, os.WNOHANG) == (0, 0)}
        if request[0] == "spawn":
            _spawn(control, contain.Options(**request[1]))
        elif request[0] == "wait":
            _, status = os.waitpid(request[1], 0)
            control.send(pickle.dumps(("status", status)))
        elif request[0] == "reap":  # no answer: the caller goes on while the kernel tears down
            killed.add(request[1])
        elif request[0] == "warm":  # no answer: asked at a quiet moment, nobody waits for it
            _warm()
        elif request[0] == "preload":  # no answer: a later spawn waits until it is done
            _preload(request[1])


def _preload(libraries: tuple[str, ...] | list[str]) -> None:
    import importlib

    names = [module for library in libraries for module in _MODULES.get(library, ())]
    for name in [*names, *ALWAYS]:
        try:
            importlib.import_module(name)
        except Exception:  # a module that only imports in some state is simply not preloaded
            continue
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)  # a forked learner must not inherit a thread pool
    _settle()


def _settle() -> None:
    """Make what is loaded now cheap for every learner forked from here on."""
    import gc

    from katakit import guard

    guard.index_bindings()  # once here, not in every learner (see there)
    # Out of the garbage collector's sight: a learner's first full collection would otherwise
    # walk torch's hundreds of thousands of objects and write to each, and the kernel would
    # copy every page of the zygote's memory into the learner, tenths of a second of its CPU.
    gc.collect()
    gc.freeze()


def _warm() -> None:
    """Pay here, once, what a library costs on its first use, so that the learners forked from
    now on are not charged for it: torch.func's first transform and the first torch.optim
    optimizer import torch._dynamo (about 1.3 s of CPU; a learner forked before pays it within
    its test's budget). Only a long-lived grader asks for it (``katakit watch``, between saves):
    in a single run it would delay every learner behind it, for the rare learner code that uses
    either."""
    torch = sys.modules.get("torch")
    with contextlib.suppress(Exception):  # no torch, or one without torch.func: nothing to warm
        torch.func.grad(lambda x: (x * x).sum())(torch.ones(2))
    _settle()  # torch._dynamo's modules too


def _spawn(control: socket.socket, options: contain.Options) -> None:
    ours, theirs = socket.socketpair()
    out_read, out_write = os.pipe()
    report_read, report_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            control.close()
            ours.close()
            os.close(out_read)
            os.close(report_read)
            _become_learner(theirs, out_write, report_write, options)
        finally:
            os._exit(71)
    theirs.close()
    os.close(out_write)
    os.close(report_write)
    with os.fdopen(report_read) as report:
        learner_pid = int(report.readline() or pid)
    socket.send_fds(
        control, [pickle.dumps(("spawned", pid, learner_pid))], [ours.fileno(), out_read]
    )
    ours.close()
    os.close(out_read)


def _become_learner(sock: socket.socket, out: int, report: int, options: contain.Options) -> None:
    os.setsid()
    namespaced = contain.unshare_namespaces() if options.namespaces else None
    if namespaced:
        inner = os.fork()
        if inner:  # stay outside as the reaper; our exit status tells how the learner ended
            os.write(report, f"{inner}\n".encode())
            os.close(report)
            sock.close()
            os.close(out)
            _, status = os.waitpid(inner, 0)
            os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
    else:
        os.write(report, f"{os.getpid()}\n".encode())
    os.close(report)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.close(out)
    keep = sock.fileno()
    os.closerange(3, keep)
    os.closerange(keep + 1, 1 << 16)  # nothing of the zygote's stays open in the learner
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(line_buffering=True, write_through=True)
    held = contain.apply(options, namespaced)
    from katakit.sandbox import learner

    learner.HELD[:] = held
    learner.serve(sock)


# -- the trusted side's client -------------------------------------------------------------------
@dataclasses.dataclass
class Spawned:
    """A learner process: ``pid`` the zygote's child (to wait for), ``learner_pid`` the process
    whose CPU time counts and which is killed (the same, or PID 1 of its own namespace)."""

    pid: int
    learner_pid: int
    sock: socket.socket
    output: int


class Zygote:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._control: socket.socket | None = None
        self._ready = False
        self._owner = os.getpid()
        self._libraries: tuple[str, ...] = ()

    def start(self, libraries: tuple[str, ...] = tuple(_MODULES)) -> None:
        """Start the zygote without waiting for it, loading ``libraries`` (``numpy``, ``torch``:
        what the katas to be graded use) meanwhile; a running one loads those it lacks."""
        if self._control is not None and self._owner == os.getpid():
            missing = tuple(name for name in libraries if name not in self._libraries)
            if missing:
                self._libraries += missing
                with self._lock, contextlib.suppress(OSError):
                    self._control.send(pickle.dumps(("preload", missing)))
            return
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        package_parent = str(Path(__file__).resolve().parents[2])
        # The launcher forks and exits at once, so the zygote is nobody's child here: it never
        # shows up in a caller's os.wait(), and it ends when the control socket closes.
        bootstrap = (
            "import os, sys; os.fork() and os._exit(0); os.setsid(); "
            "sys.path[:0] = [" + repr(package_parent) + "]; "
            "from katakit.sandbox.zygote import main; "
            f"main({theirs.fileno()}, {tuple(libraries)!r})"
        )
        environment = contain.environment()
        environment["PATH"] = os.environ.get("PATH", environment["PATH"])
        subprocess.run(
            [sys.executable, "-I", "-c", bootstrap],
            pass_fds=[theirs.fileno()],
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            cwd="/",
            check=True,
        )
        theirs.close()
        self._control, self._ready, self._owner = ours, False, os.getpid()
        self._libraries = tuple(libraries)

    def _ask(self, request: tuple, fds: int = 0) -> tuple[Any, list[int]]:
        for attempt in range(2):
            if self._owner != os.getpid() or self._control is None:
                self._control = None
                self.start(self._libraries or tuple(_MODULES))
            assert self._control is not None
            try:
                if not self._ready:
                    self._receive(0)
                    self._ready = True
                self._control.send(pickle.dumps(request))
                return self._receive(fds)
            except (OSError, EOFError):
                if attempt or request[0] != "spawn":
                    raise
                self._control = None  # the zygote died: start a new one, once
        raise AssertionError("unreachable")

    def _receive(self, fds: int) -> tuple[Any, list[int]]:
        assert self._control is not None
        data, received, _, _ = socket.recv_fds(self._control, 1 << 16, max(fds, 1))
        if not data:
            raise EOFError("katakit's zygote process ended unexpectedly")
        return pickle.loads(data), received

    def spawn(self, options: contain.Options) -> Spawned:
        with self._lock:
            (_, pid, learner_pid), fds = self._ask(("spawn", dataclasses.asdict(options)), 2)
        return Spawned(pid, learner_pid, socket.socket(fileno=fds[0]), fds[1])

    def reap(self, pid: int) -> None:
        """Have the zygote collect a learner that was killed, without waiting for its end
        (tearing down its namespaces takes the kernel tens of milliseconds)."""
        with self._lock:
            if self._control is not None and self._owner == os.getpid():
                with contextlib.suppress(OSError):
                    self._control.send(pickle.dumps(("reap", pid)))

    def warm(self) -> None:
        """Have the zygote pay torch's first-use costs now (see :func:`_warm`); it answers
        spawns again when done."""
        with self._lock:
            if self._control is not None and self._owner == os.getpid():
                with contextlib.suppress(OSError):
                    self._control.send(pickle.dumps(("warm",)))

    def wait(self, pid: int) -> int:
        with self._lock:
            (_, status), _ = self._ask(("wait", pid))
        return status


_zygote = Zygote()


def zygote() -> Zygote:
    """This process's zygote (a forked process gets its own on first use)."""
    return _zygote
