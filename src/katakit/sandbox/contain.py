"""What the operating system can do to contain the learner's process, applied layer by layer.

Always (any POSIX system): its own session and process group; an empty working folder; an
environment with nothing but what Python needs (no tokens, no paths of the project); limits on
CPU time, memory, file size (what it may write) and open files.

On Linux, where the process may create namespaces (as root, or through an unprivileged user
namespace): a new PID namespace (it sees no other process, and everything it starts dies with
it), a new network namespace with only loopback (gloo still works, nothing outside is reached),
and a new mount namespace whose root holds only the system's and Python's folders, read-only,
plus a small private /tmp (graders, solutions, other learners' work, home folders and the
project are simply not there). As root it then drops to user ``nobody``. Last, a seccomp filter
makes ``execve`` fail, so the learner cannot start another program (an interpreter without the
guard, a shell); forking stays allowed (``run_ranks``).

:func:`apply` returns the names of the layers that held, so a report can say what was in force.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import resource
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
CLONE_NEWIPC = 0x08000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = (
    1,
    2,
    4,
    32,
    4096,
    16384,
    1 << 18,
)
NOBODY = 65534


# What each layer that apply() may report gives the grade.
LAYERS = {
    "session": "own process group, empty working folder, scrubbed environment, CPU/memory/"
    "output limits",
    "pid": "sees no other process; nothing it starts outlives the kata",
    "network": "no network but its own loopback",
    "filesystem": "sees only the system's and Python's folders (no graders, solutions, homes)",
    "nobody": "runs as user nobody",
    "no-exec": "cannot start another program",
}


@dataclass(frozen=True)
class Options:
    """What to apply; plain data, so it crosses to the zygote as a message."""

    memory_mb: int = 2048
    output_mb: int = 1
    cpu_seconds: float = 60.0
    files: int = 256
    processes: int = 256
    namespaces: bool = True


# The locale, and what CUDA needs to find the same devices and driver as the grader.
_KEPT = (
    "LANG",
    "LC_ALL",
    "TZ",
    "CUDA_VISIBLE_DEVICES",
    "NVIDIA_VISIBLE_DEVICES",
    "NVIDIA_DRIVER_CAPABILITIES",
    "LD_LIBRARY_PATH",
)


def environment() -> dict[str, str]:
    """The learner's whole environment: nothing of the caller's but the locale and language."""
    names = ("LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "KATAKIT_LANG", "TZ")
    keep = {name: os.environ[name] for name in names if name in os.environ}
    return {
        **keep,
        "PATH": "/usr/bin:/bin",
        "HOME": "/tmp",
        "TMPDIR": "/tmp",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def unshare_namespaces() -> str | None:
    """Enter new PID, network, mount and IPC namespaces; None where the OS refuses. The caller
    must fork afterwards: its child is the first process (PID 1) of the new PID namespace."""
    if not sys.platform.startswith("linux"):
        return None
    libc = _libc()
    flags = CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWIPC
    if os.geteuid() == 0 and libc.unshare(flags) == 0:
        return "root"
    uid, gid = os.geteuid(), os.getegid()
    if libc.unshare(flags | CLONE_NEWUSER) != 0:
        return None
    try:  # map ourselves to root inside, so that mounts are allowed there
        Path("/proc/self/setgroups").write_text("deny")
        Path("/proc/self/uid_map").write_text(f"0 {uid} 1")
        Path("/proc/self/gid_map").write_text(f"0 {gid} 1")
    except OSError:
        return None
    return "user"


def _mount(libc: ctypes.CDLL, source: str, target: str, kind: str | None, flags: int) -> None:
    if libc.mount(source.encode(), target.encode(), kind.encode() if kind else None, flags, None):
        error = ctypes.get_errno()
        raise OSError(error, f"mount {source} on {target}: {os.strerror(error)}")


def _visible_folders() -> list[str]:
    """System and Python folders the learner's process needs to read, and nothing else."""
    wanted = {"/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc"}
    wanted |= {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    wanted |= {entry for entry in sys.path if entry and os.path.isdir(entry)}
    real = {os.path.realpath(folder) for folder in wanted if os.path.isdir(folder)}
    # a folder inside another visible one comes along with it
    return sorted(f for f in real if not any(f != o and f.startswith(o + "/") for o in real))


def hide_filesystem(tmp_mb: int) -> None:
    """A new root with only the visible folders (read-only), /dev basics, /proc and /tmp."""
    libc = _libc()
    _mount(libc, "none", "/", None, MS_REC | MS_PRIVATE)
    # One empty mount point on the host, shared by every learner (each mounts over it in its own
    # namespace, so nothing is ever written there)
    root = "/tmp/.katakit-root"
    os.makedirs(root, exist_ok=True)
    _mount(libc, "katakit", root, "tmpfs", MS_NOSUID | MS_NODEV)
    # /tmp first: a visible folder may live under /tmp (a virtual environment in a CI checkout)
    os.makedirs(root + "/tmp", exist_ok=True)
    _mount(libc, "katakit-tmp", root + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV)
    for folder in _visible_folders():
        inside = root + folder
        os.makedirs(inside, exist_ok=True)
        _mount(libc, folder, inside, None, MS_BIND | MS_REC)
        _mount(libc, folder, inside, None, MS_BIND | MS_REC | MS_REMOUNT | MS_RDONLY)
    os.makedirs(root + "/dev", exist_ok=True)
    gpus = [name for name in os.listdir("/dev") if name.startswith("nvidia")]
    for device in ("null", "zero", "urandom", "random", *gpus):
        if os.path.isdir("/dev/" + device):
            os.makedirs(root + "/dev/" + device, exist_ok=True)
        else:
            open(root + "/dev/" + device, "w").close()
        _mount(libc, "/dev/" + device, root + "/dev/" + device, None, MS_BIND | MS_REC)
    if gpus and os.path.isdir("/sys"):  # the CUDA driver reads the devices' PCI details
        os.makedirs(root + "/sys", exist_ok=True)
        _mount(libc, "/sys", root + "/sys", None, MS_BIND | MS_REC)
    os.makedirs(root + "/proc", exist_ok=True)
    _mount(libc, "proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV)
    os.chdir(root)
    os.makedirs("old-root", exist_ok=True)
    # pivot_root is syscall 155 on x86_64 and 41 on arm64 (each number is harmless on the other)
    if libc.syscall(155, b".", b"old-root") and libc.syscall(41, b".", b"old-root"):
        raise OSError(ctypes.get_errno(), "pivot_root failed")
    os.chdir("/")
    if libc.umount2(b"/old-root", 2):  # MNT_DETACH
        raise OSError(ctypes.get_errno(), "could not detach the old root")
    os.rmdir("/old-root")
    _mount(libc, "none", "/", None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC)
    del tmp_mb


def loopback_up() -> None:
    """Bring up ``lo`` in the new network namespace (gloo binds to it)."""
    import fcntl
    import socket
    import struct

    SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sh", b"lo", 0)
        flags = struct.unpack("16sh", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sh", b"lo", flags | IFF_UP))


# seccomp: a filter that makes execve/execveat fail with EPERM (no new program can start, so no
# interpreter without the guard); everything else is allowed.
_EXEC_CALLS = {"x86_64": (59, 322), "aarch64": (221, 281)}
_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}


def forbid_exec() -> bool:
    import platform
    import struct

    machine = platform.machine()
    if not sys.platform.startswith("linux") or machine not in _EXEC_CALLS:
        return False
    execve, execveat = _EXEC_CALLS[machine]
    eperm = 0x00050000 | 1  # SECCOMP_RET_ERRNO | EPERM
    allow = 0x7FFF0000  # SECCOMP_RET_ALLOW
    kill = 0x80000000  # SECCOMP_RET_KILL_PROCESS, for a foreign architecture's calls

    def op(code: int, jt: int, jf: int, k: int) -> bytes:
        return struct.pack("HBBI", code, jt, jf, k)

    load, jeq, ret = 0x20, 0x15, 0x06  # BPF_LD|BPF_W|BPF_ABS, BPF_JMP|BPF_JEQ|BPF_K, BPF_RET|BPF_K
    program = b"".join(
        [
            op(load, 0, 0, 4),  # seccomp_data.arch
            op(jeq, 1, 0, _AUDIT_ARCH[machine]),
            op(ret, 0, 0, kill),
            op(load, 0, 0, 0),  # seccomp_data.nr
            op(jeq, 2, 0, execve),
            op(jeq, 1, 0, execveat),
            op(ret, 0, 0, allow),
            op(ret, 0, 0, eperm),
        ]
    )
    buffer = ctypes.create_string_buffer(program)
    fprog = struct.pack("HxxxxxxQ", len(program) // 8, ctypes.addressof(buffer))
    fprog_buffer = ctypes.create_string_buffer(fprog)
    libc = _libc()
    PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0):
        return False
    return libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, fprog_buffer, 0, 0) == 0


def drop_privileges() -> bool:
    if os.geteuid() != 0:
        return False
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)
    return True


def set_limits(options: Options) -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu = int(used.ru_utime + used.ru_stime + options.cpu_seconds) + 1
    _lower(resource.RLIMIT_CPU, cpu)
    _lower(resource.RLIMIT_DATA, used.ru_maxrss * 1024 + options.memory_mb * 1024 * 1024)
    # writing past the cap fails (EFBIG) instead of filling a disk
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    _lower(resource.RLIMIT_FSIZE, options.output_mb * 1024 * 1024)
    _lower(resource.RLIMIT_NOFILE, options.files)
    if os.geteuid() != 0:  # counted per user; as root it would not hold anyway
        _lower(resource.RLIMIT_NPROC, options.processes)


def _lower(which: int, value: int) -> None:
    _soft, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(which, (value, value if hard == resource.RLIM_INFINITY else hard))


def apply(options: Options, namespaced: str | None) -> list[str]:
    """Contain this process (already forked, already in its namespaces if ``namespaced``)."""
    held = ["session"]
    os.environ.clear()
    os.environ.update(environment())
    if namespaced:
        try:
            hide_filesystem(options.output_mb)
            held.append("filesystem")
        except OSError:
            pass
        try:
            loopback_up()
            held.append("network")
        except OSError:
            pass
        held.append("pid")
    workdir = _private_folder()
    os.chdir(workdir)
    # Without a new root, user nobody must still be able to read Python (not so under /root)
    if (namespaced or all(map(_world_readable, _visible_folders()))) and drop_privileges():
        held.append("nobody")
    set_limits(options)
    if forbid_exec():
        held.append("no-exec")
    return held


def _world_readable(folder: str) -> bool:
    """True when every folder on the way to ``folder`` lets other users in and read."""
    path = Path(folder)
    for part in (path, *path.parents):
        mode = part.stat().st_mode
        if mode & 0o005 != 0o005:
            return False
    return True


def _private_folder() -> str:
    import tempfile

    folder = tempfile.mkdtemp(prefix="katakit-learner-", dir="/tmp")
    os.chmod(folder, 0o777)  # still writable once the process is user nobody
    return folder
