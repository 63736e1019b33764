"""The learner side: a short loop that loads the learner's module and performs calls on it.

It runs in a contained process (see :mod:`katakit.sandbox.contain`) that holds nothing of the
grader: no grader module, no oracle, no expected value, no report. Its services are:

* ``load``: install the kata's forbidden-call guard, then run the learner's source (sent as text:
  the process cannot read the project's files) as a module, and hand back a reference to it;
* ``probe`` / ``ship``: run, or hand back as a callable, a small self-contained function a grader
  sent as source, for checks that need the learner's objects here (autograd through a learner's
  module); probes return data only.

Everything else is ordinary requests on the module and the objects it made (see :mod:`rpc`).
"""

from __future__ import annotations

import builtins
import contextlib
import linecache
import math
import os
import sys
import types
from typing import Any

from katakit import guard
from katakit.readonly import ReadOnlyInputs
from katakit.sandbox import rpc, wire

_PROBE_GLOBALS = ("numpy", "torch")
HELD: list[str] = []  # the containment layers that held for this process


class Learner:
    def __init__(self, peer: rpc.Peer) -> None:
        self.peer = peer
        self.learner_file: str | None = None
        self._compiled: dict[str, Any] = {}
        peer.services.update(
            load=self.load, probe=self.probe, ship=self.ship, held=lambda: list(HELD)
        )

    def load(
        self, kata_id: str, filename: str, source: str, forbidden: list, read_only: bool
    ) -> Any:
        self.learner_file = filename
        rpc.ExceptionCodec.learner_file = filename
        # what tracebacks, messages and the guard show: the file is not readable from here
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        guard_ = guard.Guard(kata_id, forbidden, filename, everywhere=True)
        guard_.block_operators()
        guard_.__enter__()  # for the life of this process
        name = f"katakit_learner__{kata_id.replace('/', '__')}"
        module = types.ModuleType(name)
        module.__file__ = filename
        sys.modules[name] = module  # as an import does: dataclasses and pickling look it up
        code = compile(source, filename, "exec", dont_inherit=True)
        exec(code, module.__dict__)
        return ReadOnlyInputs(module) if read_only else module

    def _function(self, source: str, name: str) -> Any:
        if source not in self._compiled:
            namespace: dict[str, Any] = {"__builtins__": builtins, "math": math}
            for module in _PROBE_GLOBALS:
                if module in sys.modules:
                    namespace[module] = sys.modules[module]
            if "numpy" in namespace:
                namespace["np"] = namespace["numpy"]
            if "torch" in namespace:
                namespace["F"] = sys.modules["torch"].nn.functional
            exec(compile(source, "<katakit probe>", "exec", dont_inherit=True), namespace)
            self._compiled[source] = namespace
        return self._compiled[source][name]

    def probe(self, source: str, name: str, args: tuple, kwargs: dict) -> Any:
        return self._function(source, name)(*args, **kwargs)

    def ship(self, source: str, name: str) -> Any:
        return self._function(source, name)


class PollingLink(wire.Link):
    """The learner side's end: a wait for an answer polls for ``LEARNER_SPIN_SECONDS`` before it
    sleeps (see :data:`wire.LEARNER_SPIN_SECONDS`)."""

    def read_some(self) -> memoryview:
        chunk = self.read_within(wire.LEARNER_SPIN_SECONDS)
        return super().read_some() if chunk is None else chunk


class Interrupted(BaseException):
    """Raised into the learner's code when it ran out of time, so its answer says where."""


def _interrupt(signum: int, frame: Any) -> None:
    raise Interrupted("interrupted: out of time")


def serve(sock: Any) -> None:
    """Answer requests on ``sock`` until the trusted side closes it; never returns."""
    import signal

    signal.signal(signal.SIGUSR1, _interrupt)
    peer = rpc.Peer(PollingLink(sock))
    peer.write_back = True
    Learner(peer)
    status = 0
    try:
        peer.serve_forever()
    except (EOFError, OSError, wire.WireError):
        status = 0
    except BaseException:
        status = 70
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(status)
