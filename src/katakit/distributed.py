"""Run a function in several forked processes joined by ``torch.distributed``: the ranks of a
multi-process grader.

Graders of distributed katas (SyncBN, data and model parallelism) all need the same machinery, so
it lives here once::

    from katakit.distributed import run_ranks

    def one_rank(rank, world_size, shards):
        x = shards[rank].clone().requires_grad_()
        y = kata.sync_batch_norm(x)            # the learner's code, calling dist.all_reduce
        y.sum().backward()
        return {"y": y, "dx": x.grad}          # tensors come back to the parent on the CPU

    results = run_ranks(one_rank, 3, args=(shards,), timeout=8.0)   # one result per rank

How it works:

* ``world_size`` processes are **forked** (not spawned) from the calling process, so each rank
  starts with everything already loaded -- torch, the grader and the learner's module, which lives
  under a private name that a spawned interpreter could not import again. ``fn`` may be a closure.
* Each rank joins a process group over a fresh ``FileStore`` in a temporary folder (no ports to
  find, nothing shared between calls), with the gloo backend on the CPU by default. Gloo talks over
  the loopback interface (``GLOO_SOCKET_IFNAME``, unless already set), so no network is needed.
  With ``backend="nccl"`` rank ``r`` first selects ``cuda:r``; the calling process must not have
  initialised CUDA itself (a forked child cannot use it then): see the note below.
* A rank sends ``fn``'s return value back through a pipe (tensors are detached and moved to the
  CPU, inside lists, tuples and dicts too), then waits to be stopped. The parent stops every rank
  once all have answered, so no rank leaves a collective while a peer still needs its data.
* Anything that goes wrong ends **all** ranks and raises :class:`RankFailure` (an
  ``AssertionError``, so katakit shows its message to the learner as is): a rank that raises (the
  message names the rank, the exception and the line it came from), a rank that ends without
  answering (``os._exit``, a crash, a signal), or ranks still busy after ``timeout`` seconds --
  usually a collective that not every rank reaches. When one rank dies its peers fail too
  ("connection reset by peer"); the report names the likeliest cause, not the first news.
  Ranks are killed with ``SIGKILL`` by process group (each rank leads its own, so processes it
  started go too) and reaped, and each rank also dies with its parent (``PR_SET_PDEATHSIG`` on
  Linux), so no process is ever left behind, even when katakit stops the grader itself.

Keep ``timeout`` below the per-test limit (10 s by default) so that the learner reads this
module's message rather than a bare timeout, and keep world sizes small (2-4): a fork and a
process-group setup cost tens of milliseconds per rank.

CUDA note: ``torch.cuda.is_available()`` initialises the CUDA driver in the calling process unless
``PYTORCH_NVML_BASED_CUDA_CHECK=1`` is set, and a process forked after that cannot use CUDA.
Importing this module sets that variable (unless it is already set) so katakit's own check before
a ``gpu`` test stays fork-safe; a grader of an nccl test should use ``torch.cuda.device_count()``
(NVML-based) and never touch CUDA itself before calling :func:`run_ranks`.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import re
import select
import shutil
import signal
import socket
import struct
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import timedelta
from typing import Any

__all__ = ["RankFailure", "run_ranks"]

os.environ.setdefault("PYTORCH_NVML_BASED_CUDA_CHECK", "1")

_HEADER = struct.Struct("<Q")  # length of the pickled answer that follows
# A rank's process group gives up on a collective a little after the parent would: the parent's
# message ("did not finish within ...") is the one the learner should read.
_GROUP_GRACE_S = 5.0
# After a first problem, how long the other ranks may still report theirs.
_GRACE_S = 0.5
# What a rank says when a peer died under it: a consequence, not the cause.
_PEER_FAILED = re.compile(r"connection (reset|closed)|broken pipe|read error|write error", re.I)
_ENGINE_DIR = os.path.dirname(os.path.abspath(__file__))


class RankFailure(AssertionError):
    """A rank raised, died or did not finish; every rank has been stopped when this is raised."""


def run_ranks(
    fn: Callable[..., Any],
    world_size: int,
    *,
    args: tuple = (),
    timeout: float = 30.0,
    backend: str = "gloo",
) -> list[Any]:
    """Call ``fn(rank, world_size, *args)`` in ``world_size`` forked ranks; return their answers.

    The list is ordered by rank. Raises :class:`RankFailure` when a rank raises, dies or is still
    running after ``timeout`` seconds; all ranks are stopped and reaped before it returns or raises.
    """
    if not isinstance(world_size, int) or world_size < 1:
        raise ValueError(f"world_size must be a positive int, got {world_size!r}")
    if not hasattr(os, "fork"):
        raise RuntimeError("run_ranks needs os.fork (Linux or macOS)")
    import torch
    import torch.distributed as dist

    if not dist.is_available():
        raise RuntimeError("this torch build has no torch.distributed")
    if backend == "nccl" and torch.cuda.is_initialized():
        raise RuntimeError(
            "CUDA is already initialised in this process, so forked nccl ranks could not use it; "
            "do not touch CUDA in the grader before run_ranks"
        )
    folder = tempfile.mkdtemp(prefix="katakit-ranks-")
    store_path = os.path.join(folder, "store")
    parent = os.getpid()
    pids: list[int] = []
    reads: list[int] = []
    try:
        for rank in range(world_size):
            read_end, write_end = os.pipe()
            _flush_std_streams()
            pid = os.fork()
            if pid == 0:  # the rank: never returns from here
                try:
                    for fd in (*reads, read_end):
                        os.close(fd)
                    _rank_main(
                        fn, rank, world_size, args, backend, store_path, timeout, write_end, parent
                    )
                finally:
                    os._exit(70)
            os.close(write_end)
            with contextlib.suppress(OSError):  # the child does it too; whoever is first wins
                os.setpgid(pid, pid)
            pids.append(pid)
            reads.append(read_end)
        return _collect(pids, reads, timeout)
    finally:
        _stop(pids)
        for fd in reads:
            with contextlib.suppress(OSError):
                os.close(fd)
        shutil.rmtree(folder, ignore_errors=True)


# -- the parent's side ------------------------------------------------------------------------
def _collect(pids: list[int], reads: list[int], timeout: float) -> list[Any]:
    """Read every rank's answer; raise RankFailure at the first problem.

    A rank that dies makes its peers fail too (gloo reports "connection reset by peer"), and
    either news may arrive first: after the first problem the others get a short grace period,
    then the likeliest cause is reported.
    """
    deadline = time.monotonic() + timeout
    buffers = {fd: bytearray() for fd in reads}
    rank_of = {fd: rank for rank, fd in enumerate(reads)}
    answers: dict[int, Any] = {}
    problems: list[tuple[int, int, str]] = []  # (priority, rank, message); 0 = likeliest cause
    pending = set(reads)
    while pending:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            if problems:
                break
            _timed_out(sorted(rank_of[fd] for fd in pending), len(reads), timeout)
        ready, _, _ = select.select(sorted(pending), [], [], remaining)
        for fd in ready:
            chunk = os.read(fd, 1 << 16)
            buffers[fd] += chunk
            rank = rank_of[fd]
            # A whole answer counts even before end of file (a process the rank started may
            # still hold the pipe open); end of file before a whole answer means the rank died.
            answer = _decode(buffers[fd])
            if answer is None:
                if not chunk:
                    pending.discard(fd)
                    problems.append((0, rank, _death(rank, len(reads), pids[rank])))
                continue
            pending.discard(fd)
            kind, value = answer
            if kind == "error":
                message = f"rank {rank} of {len(reads)} {value}"
                problems.append((1 if _PEER_FAILED.search(value) else 0, rank, message))
            else:
                answers[rank] = value
        if problems and deadline - time.monotonic() > _GRACE_S:
            deadline = time.monotonic() + _GRACE_S
    if problems:
        problems.sort(key=lambda problem: problem[0])
        _, rank, message = problems[0]
        others = len(problems) - 1
        if others:
            message += f" (and {others} other rank{'s' if others > 1 else ''} failed after it)"
        raise RankFailure(message)
    return [answers[rank] for rank in range(len(reads))]


def _decode(buffer: bytearray) -> tuple[str, Any] | None:
    if len(buffer) < _HEADER.size:
        return None
    (length,) = _HEADER.unpack_from(buffer)
    if len(buffer) < _HEADER.size + length:
        return None
    return pickle.loads(bytes(buffer[_HEADER.size :]))


def _timed_out(unfinished: list[int], world_size: int, timeout: float) -> None:
    which = "rank" if len(unfinished) == 1 else "ranks"
    names = ", ".join(map(str, unfinished))
    raise RankFailure(
        f"{which} {names} of {world_size} did not finish within {timeout:g} s; every rank was "
        "stopped: a collective that not every rank reaches (or reaches in a different order)? "
        "Every rank must make the same collective calls, with tensors of the same shape, in the "
        "same order"
    )


def _death(rank: int, world_size: int, pid: int) -> str:
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        status = None
    if status is not None and os.WIFSIGNALED(status):
        how = f"was killed by signal {signal.Signals(os.WTERMSIG(status)).name}"
    elif status is not None and os.WIFEXITED(status):
        how = (
            f"ended its process with exit status {os.WEXITSTATUS(status)} (sys.exit, os._exit "
            "or quit() in a rank?)"
        )
    else:
        how = "ended"
    return f"rank {rank} of {world_size} {how} before returning its result; every rank was stopped"


def _stop(pids: list[int]) -> None:
    """SIGKILL every rank's process group (and the rank itself), then reap them all."""
    for pid in pids:
        for kill in (os.killpg, os.kill):
            with contextlib.suppress(OSError):
                kill(pid, signal.SIGKILL)
    for pid in pids:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


# -- the rank's side --------------------------------------------------------------------------
def _rank_main(
    fn: Callable[..., Any],
    rank: int,
    world_size: int,
    args: tuple,
    backend: str,
    store_path: str,
    timeout: float,
    fd: int,
    parent: int,
) -> None:
    answer: tuple[str, Any]
    try:
        with contextlib.suppress(OSError):
            os.setpgid(0, 0)
        _die_with(parent)
        for name in ("SIGALRM", "SIGINT", "SIGTERM"):  # the grader's handlers are not the rank's
            with contextlib.suppress(ValueError, OSError):
                signal.signal(getattr(signal, name), signal.SIG_DFL)
        import torch
        import torch.distributed as dist

        torch.set_num_threads(1)
        if backend == "gloo" and "GLOO_SOCKET_IFNAME" not in os.environ:
            loopback = _loopback_interface()
            if loopback:
                os.environ["GLOO_SOCKET_IFNAME"] = loopback
        if backend == "nccl":
            torch.cuda.set_device(rank)
        store = dist.FileStore(store_path, world_size)
        dist.init_process_group(
            backend,
            store=store,
            rank=rank,
            world_size=world_size,
            timeout=timedelta(seconds=timeout + _GROUP_GRACE_S),
        )
        answer = ("ok", _to_cpu(fn(rank, world_size, *args)))
    except BaseException as exc:  # everything, SystemExit included, becomes the rank's message
        answer = ("error", _describe(exc))
    _flush_std_streams()
    try:
        payload = pickle.dumps(answer)
    except Exception as exc:
        payload = pickle.dumps(
            ("error", f"returned a value that cannot be sent back ({type(exc).__name__}: {exc})")
        )
    try:
        data = memoryview(_HEADER.pack(len(payload)) + payload)
        while data:
            data = data[os.write(fd, data) :]
        os.close(fd)
        while True:  # the parent stops every rank once all have answered
            signal.pause()
    finally:
        os._exit(0)


def _die_with(parent: int) -> None:
    """Ask the kernel to SIGKILL this rank when its parent dies (Linux); else rely on _stop."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _loopback_interface() -> str | None:
    with contextlib.suppress(OSError, AttributeError):
        for _, name in socket.if_nameindex():
            if name == "lo" or name.startswith("lo0"):
                return name
    return None


def _to_cpu(value: Any) -> Any:
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        return value.detach().cpu()
    if isinstance(value, dict):
        return {key: _to_cpu(item) for key, item in value.items()}
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(_to_cpu(item) for item in value)
    if isinstance(value, list):
        return [_to_cpu(item) for item in value]
    return value


def _describe(exc: BaseException) -> str:
    """``raised ValueError: boom (in forward, line 12 of kata.py)``: what and where."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    frames = traceback.extract_tb(exc.__traceback__)
    own = [
        frame
        for frame in frames
        if os.path.dirname(os.path.abspath(frame.filename)) != _ENGINE_DIR
        and f"{os.sep}torch{os.sep}" not in frame.filename
        and f"{os.sep}site-packages{os.sep}" not in frame.filename
    ]
    where = ""
    if own and not isinstance(exc, AssertionError):  # a verdict speaks for itself
        frame = own[-1]
        where = f" (in {frame.name}, line {frame.lineno} of {os.path.basename(frame.filename)})"
    if isinstance(exc, SystemExit):
        return f"called sys.exit({exc.code!r}){where}: a rank must return its result"
    return f"raised {text}{where}"


def _flush_std_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
