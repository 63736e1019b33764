"""The one door between the trusted side and the learner side: what a message may hold.

A value crosses in one of two ways:

* **by value**, when it is plain data: ``None``, ``bool``, ``int``, ``float``, ``complex``,
  ``str``, ``bytes``, exact ``list``/``tuple``/``dict``/``set``/``frozenset`` of such values,
  builtin classes (``int``, ``ValueError``) and NumPy's scalar types (``np.float32``) by name,
  NumPy arrays and scalars of numeric dtypes (base class only), random generators (NumPy's and
  torch's, as copies in the same state), torch tensors (rebuilt as plain
  tensors: dtype, shape, values and ``requires_grad`` survive; subclasses, views and graphs do
  not), ``torch.Size``, ``torch.dtype``, ``torch.device``, ``slice``, ``range`` and ``...``;
* **by reference**, for everything else: the object stays where it was made and the other side
  gets a :class:`Ref` (its number in the owner's table and its type's name, for messages).

Encoded values are trees of builtins with tagged tuples, pickled, and unpickled by an unpickler
that resolves no global at all, so nothing the other side sends can name a class or a function
to run. Decoding checks every tag, dtype and length; a malformed message is a
:class:`WireError`, never an object the receiver did not mean to build.
"""

from __future__ import annotations

import builtins
import io
import os
import pickle
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

# One message may not exceed this (a learner returning a huge array is refused, not buffered).
MAX_FRAME = 256 * 1024 * 1024
MAX_DEPTH = 200
_HEADER = struct.Struct("!Q")
_NUMPY_KINDS = "biufc"  # bool, signed, unsigned, float, complex: never objects or records
_BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")
_TORCH_DTYPES = (
    "float16",
    "bfloat16",
    "float32",
    "float64",
    "complex64",
    "complex128",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "bool",
)


class WireError(Exception):
    """A message that breaks the format: too big, too deep, or not built from allowed parts."""


@dataclass(frozen=True)
class Ref:
    """An object that stays with its owner: ``number`` in the owner's table, ``kind`` its type's
    qualified name (for messages only), ``callable`` whether calling it makes sense."""

    number: int
    kind: str
    callable: bool = False


@dataclass(frozen=True)
class Back:
    """An object the receiver itself owns, handed back (the receiver's table ``number``)."""

    number: int


class _NoGlobals(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise WireError(f"a message named {module}.{name}; messages carry data only")


def pack(message: Any) -> bytes:
    body = pickle.dumps(message, protocol=5)
    if len(body) > MAX_FRAME:
        raise WireError(f"a message of {len(body)} bytes is over the limit of {MAX_FRAME}")
    return _HEADER.pack(len(body)) + body


def unpack(body: bytes) -> Any:
    try:
        return _NoGlobals(io.BytesIO(body)).load()
    except WireError:
        raise
    except Exception as exc:  # any unpickling failure is a malformed message
        raise WireError(f"a malformed message ({type(exc).__name__})") from exc


def frame_length(header: bytes) -> int:
    (length,) = _HEADER.unpack(header)
    if length > MAX_FRAME:
        raise WireError(f"a message of {length} bytes is over the limit of {MAX_FRAME}")
    return length


HEADER_SIZE = _HEADER.size


# How long the learner side polls for the trusted side's answer before it sleeps. A counted
# comparison or a grader's callable is a trip to the trusted side and back, thousands per test in
# the sorting katas; waking a sleeping process takes a virtual machine tens of microseconds, more
# than the trip itself. Its CPU time is the learner's, so the trusted side adds this much per
# message it received to the test's CPU limit (see remote.WatchedLink): fixed by the learner's
# code, never by the machine's load.
LEARNER_SPIN_SECONDS = 100e-6


class Link:
    """Whole messages over a connected stream socket."""

    BUFFER = 4 * 1024 * 1024  # socket buffers: a big array crosses in few system calls

    def __init__(self, sock: Any) -> None:
        self.sock = sock
        self._pending = bytearray()  # bytes read past the last whole message
        self._scratch = bytearray(self.BUFFER)  # what one read lands in (no allocation per read)
        for option in (socket.SO_SNDBUF, socket.SO_RCVBUF):
            try:
                sock.setsockopt(socket.SOL_SOCKET, option, self.BUFFER)
            except OSError:  # a smaller buffer only costs speed
                continue

    def send(self, message: Any) -> None:
        self.sock.sendall(pack(message))

    def receive(self) -> Any:
        pending = self._pending
        while True:
            if len(pending) >= HEADER_SIZE:
                end = HEADER_SIZE + frame_length(bytes(pending[:HEADER_SIZE]))
                if len(pending) >= end:
                    body = bytes(pending[HEADER_SIZE:end])
                    del pending[:end]
                    return unpack(body)
            chunk = self.read_some()
            if not chunk:
                raise EOFError("the other side closed the connection")
            pending += chunk

    def read_some(self) -> memoryview:
        """What the socket has now (waiting for something); empty when the other side closed.
        The view is valid until the next read."""
        return memoryview(self._scratch)[: self.sock.recv_into(self._scratch)]

    def read_within(self, seconds: float) -> memoryview | None:
        """What arrives within ``seconds``, read without sleeping (yielding the CPU between
        tries); None when nothing did. A quick answer then costs no wake-up: on a virtual
        machine, waking a process that slept takes tens of microseconds, more than the call."""
        deadline = time.perf_counter() + seconds
        while True:
            try:
                size = self.sock.recv_into(self._scratch, 0, socket.MSG_DONTWAIT)
            except BlockingIOError:
                if time.perf_counter() > deadline:
                    return None
                os.sched_yield()
                continue
            return memoryview(self._scratch)[:size]


# -- encoding ---------------------------------------------------------------------------------
_SCALARS = (type(None), bool, int, float, str, bytes)


def encode(value: Any, export: Callable[[Any], Any], depth: int = 0) -> Any:
    """``value`` as a tree of builtins; ``export(obj)`` turns an object that cannot go by value
    into its reference (a :class:`Ref` or a :class:`Back`, turned into tagged tuples here)."""
    if depth > MAX_DEPTH:
        raise WireError(
            f"a value nested more than {MAX_DEPTH} levels deep cannot be sent between the "
            "grader and your code"
        )
    kind = type(value)
    if kind in _SCALARS:
        return value
    down = depth + 1
    if kind is list:
        return _encode_all(value, export, down)
    if kind is tuple:
        return ("t", _encode_all(value, export, down))
    if kind is dict:
        return ("d", [(encode(k, export, down), encode(v, export, down)) for k, v in value.items()])
    if kind is complex:
        return ("c", value.real, value.imag)
    if kind is set or kind is frozenset:
        return ("S" if kind is set else "F", _encode_all(value, export, down))
    if kind is slice:
        return (
            "sl",
            [encode(part, export, down) for part in (value.start, value.stop, value.step)],
        )
    if kind is range:
        return ("rg", value.start, value.stop, value.step)
    if value is Ellipsis:
        return ("E",)
    if value is NotImplemented:
        return ("N",)
    if (
        kind is type
        and value.__module__ == "builtins"
        and getattr(builtins, value.__name__, None) is value
    ):
        return ("B", value.__name__)  # int, list, ValueError...: the same class on both sides
    if kind is type and issubclass(value, np.generic) and value.__module__ == "numpy":
        return ("nt", np.dtype(value).str)
    if kind is np.ndarray and value.dtype.kind in _NUMPY_KINDS:
        # tobytes() writes C order whatever the strides; the shape is the array's own (0-d too)
        return ("a", value.dtype.str, list(value.shape), value.tobytes())
    if (
        isinstance(value, np.generic)
        and kind.__module__ == "numpy"
        and value.dtype.kind in _NUMPY_KINDS
    ):
        return ("s", value.dtype.str, value.tobytes())
    if kind is np.dtype and value.kind in _NUMPY_KINDS:
        return ("nd", value.str)
    if kind is np.random.Generator:
        # a copy in the same state: the receiver draws exactly what the sender would have
        bits = value.bit_generator
        if type(bits).__name__ in _BIT_GENERATORS:
            return ("G", type(bits).__name__, encode(bits.state, export, down))
    torch = _torch()
    if torch is not None:
        if kind is torch.Tensor or kind is torch.nn.Parameter:
            return _encode_tensor(value, torch)
        if kind is torch.Generator:
            return ("TG", str(value.device), value.get_state().numpy().tobytes())
        if kind is torch.Size:
            return ("Z", [int(n) for n in value])
        if kind is torch.dtype:
            return ("dt", str(value).removeprefix("torch."))
        if kind is torch.device:
            return ("dv", str(value))
    reference = export(value)
    if isinstance(reference, Ref):
        return ("r", reference.number, reference.kind, reference.callable)
    return ("h", reference.number)


def _encode_all(items: Any, export: Callable[[Any], Any], depth: int) -> list:
    # scalars inline: a table or a history is thousands of them, and a call each is most of
    # what sending it costs
    scalars = _SCALARS
    return [item if type(item) in scalars else encode(item, export, depth) for item in items]


def _encode_tensor(tensor: Any, torch: Any) -> tuple:
    name = str(tensor.dtype).removeprefix("torch.")
    if name not in _TORCH_DTYPES or tensor.layout != torch.strided or tensor.is_quantized:
        raise WireError(f"a tensor of dtype {tensor.dtype} and layout {tensor.layout} cannot cross")
    data = tensor.detach().to("cpu").contiguous()
    if name == "bfloat16":  # NumPy has no bfloat16: send the raw 16-bit patterns
        data = data.view(torch.int16)
    raw = data.numpy().tobytes() if data.numel() else b""
    return ("T", name, list(tensor.shape), raw, bool(tensor.requires_grad), str(tensor.device))


def _torch() -> Any:
    import sys

    return sys.modules.get("torch")  # torch goes by value only where it is loaded


# -- decoding ---------------------------------------------------------------------------------
def decode(tree: Any, resolve: Callable[[Any], Any], depth: int = 0) -> Any:
    """The value ``tree`` encodes; ``resolve`` turns a :class:`Ref` into a proxy and a
    :class:`Back` into the receiver's own object."""
    if depth > MAX_DEPTH:
        raise WireError(f"a value nested more than {MAX_DEPTH} levels deep")
    kind = type(tree)
    if kind in _SCALARS:
        return tree
    down = depth + 1
    if kind is list:
        return _decode_all(tree, resolve, down)
    if kind is not tuple or not tree or type(tree[0]) is not str:
        raise WireError(f"unexpected {kind.__name__} in a message")
    tag, *rest = tree
    try:
        return _DECODERS[tag](rest, resolve, down)
    except KeyError:
        raise WireError(f"unknown tag {tag!r} in a message") from None
    except (TypeError, ValueError) as exc:
        raise WireError(f"a malformed {tag!r} value: {exc}") from exc


def _items(rest: list, resolve: Callable[[Any], Any], depth: int) -> list:
    (items,) = rest
    if type(items) is not list:
        raise WireError("a container without its list of items")
    return _decode_all(items, resolve, depth)


def _decode_all(items: list, resolve: Callable[[Any], Any], depth: int) -> list:
    # inline, as in _encode_all: scalars, and tuples of scalars (a hash table's slots)
    scalars = _SCALARS
    result = []
    for item in items:
        if type(item) in scalars:
            result.append(item)
        elif (
            type(item) is tuple
            and len(item) == 2
            and item[0] == "t"
            and type(item[1]) is list
            and all(type(part) in scalars for part in item[1])
        ):
            result.append(tuple(item[1]))
        else:
            result.append(decode(item, resolve, depth))
    return result


def _dict(rest: list, resolve: Callable[[Any], Any], depth: int) -> dict:
    result = {}
    for pair in _exact(rest[0], list):
        key, value = _exact(pair, tuple)
        result[decode(key, resolve, depth)] = decode(value, resolve, depth)
    return result


def _array(rest: list, resolve: Callable[[Any], Any], depth: int) -> np.ndarray:
    dtype_text, shape, raw = rest
    dtype = np.dtype(_exact(dtype_text, str))
    if dtype.kind not in _NUMPY_KINDS:
        raise WireError(f"arrays of dtype {dtype} cannot cross")
    shape = tuple(_exact(n, int) for n in _exact(shape, list))
    if any(n < 0 for n in shape) or int(np.prod(shape, dtype=np.int64)) * dtype.itemsize != len(
        _exact(raw, bytes)
    ):
        raise WireError("an array whose bytes do not match its shape")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def _scalar(rest: list, resolve: Callable[[Any], Any], depth: int) -> np.generic:
    dtype_text, raw = rest
    dtype = np.dtype(_exact(dtype_text, str))
    if dtype.kind not in _NUMPY_KINDS or len(_exact(raw, bytes)) != dtype.itemsize:
        raise WireError("a malformed NumPy scalar")
    return np.frombuffer(raw, dtype=dtype)[0]


def _tensor(rest: list, resolve: Callable[[Any], Any], depth: int) -> Any:
    import torch

    name, shape, raw, requires_grad, device = rest
    if _exact(name, str) not in _TORCH_DTYPES:
        raise WireError(f"tensors of dtype {name} cannot cross")
    shape = [_exact(n, int) for n in _exact(shape, list)]
    dtype = getattr(torch, name)
    carrier = torch.int16 if name == "bfloat16" else dtype
    numpy_dtype = torch.empty((), dtype=carrier).numpy().dtype
    if int(np.prod(shape, dtype=np.int64)) * numpy_dtype.itemsize != len(_exact(raw, bytes)):
        raise WireError("a tensor whose bytes do not match its shape")
    values = torch.from_numpy(np.frombuffer(raw, dtype=numpy_dtype).reshape(shape).copy())
    if name == "bfloat16":
        values = values.view(torch.bfloat16)
    device = _exact(device, str)
    if device != "cpu" and torch.cuda.is_available():
        values = values.to(device)
    return values.requires_grad_(bool(requires_grad) and values.is_floating_point())


def _generator(rest: list, resolve: Callable[[Any], Any], depth: int) -> np.random.Generator:
    name, state = rest
    if _exact(name, str) not in _BIT_GENERATORS:
        raise WireError(f"unknown bit generator {name}")
    bits = getattr(np.random, name)()
    bits.state = decode(state, resolve, depth)
    return np.random.Generator(bits)


def _torch_generator(rest: list, resolve: Callable[[Any], Any], depth: int) -> Any:
    import torch

    device, state = _exact(rest[0], str), _exact(rest[1], bytes)
    generator = torch.Generator(device=device if torch.cuda.is_available() else "cpu")
    generator.set_state(torch.frombuffer(bytearray(state), dtype=torch.uint8))
    return generator


def _exact(value: Any, kind: type) -> Any:
    if type(value) is not kind:
        raise WireError(f"expected {kind.__name__}, found {type(value).__name__}")
    return value


def _ref(rest: list, resolve: Callable[[Any], Any], depth: int) -> Any:
    number, kind, is_callable = rest
    return resolve(Ref(_exact(number, int), _exact(kind, str)[:200], bool(is_callable)))


def _torch_value(maker: Callable[[Any, str], Any]) -> Callable[[list, Any, int], Any]:
    def build(rest: list, resolve: Callable[[Any], Any], depth: int) -> Any:
        import torch

        return maker(torch, _exact(rest[0], str))

    return build


def _dtype(torch: Any, name: str) -> Any:
    if name not in _TORCH_DTYPES:
        raise WireError(f"unknown torch dtype {name}")
    return getattr(torch, name)


def _builtin_class(rest: list, resolve: Callable[[Any], Any], depth: int) -> type:
    value = getattr(builtins, _exact(rest[0], str), None)
    if not isinstance(value, type):
        raise WireError(f"{rest[0]!r} is not a builtin class")
    return value


_DECODERS: dict[str, Callable[[list, Any, int], Any]] = {
    "t": lambda rest, resolve, depth: tuple(_items(rest, resolve, depth)),
    "S": lambda rest, resolve, depth: set(_items(rest, resolve, depth)),
    "F": lambda rest, resolve, depth: frozenset(_items(rest, resolve, depth)),
    "d": _dict,
    "c": lambda rest, resolve, depth: complex(_exact(rest[0], float), _exact(rest[1], float)),
    "sl": lambda rest, resolve, depth: slice(*_items(rest, resolve, depth)),
    "rg": lambda rest, resolve, depth: range(*(_exact(n, int) for n in rest)),
    "E": lambda rest, resolve, depth: Ellipsis,
    "N": lambda rest, resolve, depth: NotImplemented,
    "a": _array,
    "s": _scalar,
    "nd": lambda rest, resolve, depth: _numpy_dtype(_exact(rest[0], str)),
    "nt": lambda rest, resolve, depth: _numpy_dtype(_exact(rest[0], str)).type,
    "B": _builtin_class,
    "T": _tensor,
    "G": _generator,
    "TG": _torch_generator,
    "Z": lambda rest, resolve, depth: _size(_items(rest, resolve, depth)),
    "dt": _torch_value(_dtype),
    "dv": _torch_value(lambda torch, text: torch.device(text)),
    "r": _ref,
    "h": lambda rest, resolve, depth: resolve(Back(_exact(rest[0], int))),
}


def _numpy_dtype(text: str) -> np.dtype:
    dtype = np.dtype(text)
    if dtype.kind not in _NUMPY_KINDS:
        raise WireError(f"NumPy dtype {dtype} cannot cross")
    return dtype


def _size(items: list) -> Any:
    import torch

    return torch.Size([_exact(n, int) for n in items])
