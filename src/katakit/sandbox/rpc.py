"""Calls across the door: each side's objects stay home, the other side holds proxies.

Both sides run the same :class:`Peer`. A request names an object of the receiver's table and an
operation on it (call, attribute, item, iteration, an operator); the receiver performs it and
answers with the encoded result or the exception it raised. While a side waits for its answer it
serves the requests that arrive meanwhile (a learner function calling back a grader's callable),
so calls nest as they would in one process. Which operations a side performs on its own objects
is its :class:`Policy`: the learner side performs any, the trusted side only what graders hand out
callables and comparable keys for.
"""

from __future__ import annotations

import builtins
import operator
import sys
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as _np

from katakit.sandbox import wire

MAX_TEXT = 2000  # repr, str and exception messages are cut here


def cut(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 20] + " ... (cut)"


# Operators a proxy forwards, by the dunder name Python looks up on the type.
BINARY = [
    "add",
    "sub",
    "mul",
    "truediv",
    "floordiv",
    "mod",
    "pow",
    "matmul",
    "and",
    "or",
    "xor",
    "lshift",
    "rshift",
    "radd",
    "rsub",
    "rmul",
    "rtruediv",
    "rfloordiv",
    "rmod",
    "rpow",
    "rmatmul",
    "rand",
    "ror",
    "rxor",
    "rlshift",
    "rrshift",
    "lt",
    "le",
    "gt",
    "ge",
    "eq",
    "ne",
]
UNARY = ["neg", "pos", "abs", "invert", "index", "int", "float"]
DUNDERS = frozenset(f"__{name}__" for name in (*BINARY, *UNARY))


class Policy:
    """Which operations a side performs on its own objects for the other side."""

    def allows(self, obj: Any, op: str, name: str | None) -> bool:
        return True


class Peer:
    """One end of the door: an object table, proxies of the other side's objects, and a
    request/answer loop over ``link`` (anything with ``send(message)`` and ``receive()``)."""

    def __init__(self, link: Any, policy: Policy | None = None) -> None:
        self.link = link
        self.policy = policy or Policy()
        self._objects: dict[int, Any] = {}
        self._numbers: dict[int, int] = {}  # id(obj) -> number, while the table keeps obj alive
        self._proxies: dict[int, Proxy] = {}
        self.services: dict[str, Callable[..., Any]] = {}
        self.exceptions = ExceptionCodec(self)
        # The learner side sends back the arguments a call changed in place, so that the
        # caller's copies change too, as they would in one process (sorting a list in place).
        self.write_back = False

    # -- the table ----------------------------------------------------------------------------
    def export(self, obj: Any) -> wire.Ref | wire.Back:
        if isinstance(obj, Proxy) and object.__getattribute__(obj, "_peer") is self:
            return wire.Back(object.__getattribute__(obj, "_number"))
        number = self._numbers.get(id(obj))
        if number is None:
            number = len(self._objects) + 1
            self._objects[number] = obj
            self._numbers[id(obj)] = number
        return wire.Ref(number, _type_name(obj), callable(obj))

    def resolve(self, ref: wire.Ref | wire.Back) -> Any:
        if isinstance(ref, wire.Back):
            if ref.number not in self._objects:
                raise wire.WireError(f"no object number {ref.number} here")
            return self._objects[ref.number]
        proxy = self._proxies.get(ref.number)
        if proxy is None:
            proxy = self._proxies[ref.number] = Proxy(self, ref)
        return proxy

    def encode(self, value: Any) -> Any:
        return wire.encode(value, self.export)

    def decode(self, tree: Any) -> Any:
        return wire.decode(tree, self.resolve)

    # -- asking -------------------------------------------------------------------------------
    def request(self, op: str, number: int, *args: Any) -> Any:
        """Ask the other side to perform ``op`` on its object ``number``; serve nested requests
        until the answer comes; return the result or raise what the other side raised."""
        self.link.send(("q", op, number, self.encode(args)))
        while True:
            message = self.link.receive()
            kind = message[0] if type(message) is tuple and message else None
            if kind == "q":
                self._serve(message)
            elif kind == "v":
                if len(message) == 3 and op in _CALLS:
                    _write_back(_CALLS[op](args), self.decode(message[2]))
                return self.decode(message[1])
            elif kind == "x":
                raise self.exceptions.decode(message[1])
            else:
                raise wire.WireError("a message that is neither a request nor an answer")

    def serve_forever(self) -> None:
        while True:
            self._serve(self.link.receive())

    def _serve(self, message: Any) -> None:
        try:
            _, op, number, args = message
            args = self.decode(args)
            if type(op) is not str or type(args) is not tuple:
                raise wire.WireError("a malformed request")
            arguments = _CALLS[op](args) if op in _CALLS and self.write_back else None
            if arguments is not None and _any_mutable(arguments):
                before = _fingerprint(arguments)
                result = self._perform(op, number, args)
                changed = _changes(arguments, before, _fingerprint(arguments))
                answer = ("v", self.encode(result), self.encode(changed))
            else:
                result = self._perform(op, number, args)
                answer = ("v", self.encode(result))
        except BaseException as exc:
            answer = ("x", self.exceptions.encode(exc))
        self.link.send(answer)

    def _perform(self, op: str, number: Any, args: tuple) -> Any:
        if number == 0:
            service = self.services.get(op)
            if service is None:
                raise PermissionError(f"no service {op!r}")
            return service(*args)
        if type(number) is not int or number not in self._objects:
            raise wire.WireError(f"no object number {number!r} here")
        obj = self._objects[number]
        name = args[0] if op in ("getattr", "setattr", "delattr", "dunder") and args else None
        if not self.policy.allows(obj, op, name):
            if op == "getattr":  # what functools.wraps and hasattr expect of a missing name
                raise AttributeError(name)
            raise PermissionError(f"{op} {name or ''} is not allowed on {_type_name(obj)}")
        return _OPERATIONS[op](obj, *args)


# -- arguments changed in place ----------------------------------------------------------------
# Requests that call something, and where their (positional, keyword) arguments sit.
_CALLS: dict[str, Callable[[tuple], tuple]] = {
    "call": lambda args: (args[0], args[1]),
    "probe": lambda args: (args[2], args[3]),
}


def _fingerprint(value: Any, depth: int = 0) -> Any:
    """Something equal before and after a call exactly when ``value`` was left as it was."""
    kind = type(value)
    if depth > wire.MAX_DEPTH:
        return id(value)
    if kind in (list, tuple):
        return (kind, [_fingerprint(item, depth + 1) for item in value])
    if kind is dict:
        return (kind, [(id(k), _fingerprint(v, depth + 1)) for k, v in value.items()])
    if kind is set:
        return (kind, frozenset(map(id, value)))  # not sorted(): a sorting kata forbids it here
    if _is_tensor(value):
        data = value.detach()
        return ("T", id(value), tuple(data.shape), str(data.dtype), _tensor_bytes(data))
    if isinstance(value, _np.ndarray):
        return ("A", id(value), value.shape, value.dtype.str, value.tobytes())
    return id(value)


def _is_tensor(value: Any) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


def _tensor_bytes(data: Any) -> bytes:
    if str(data.dtype) == "torch.bfloat16":
        data = data.float()
    try:
        return data.cpu().contiguous().numpy().tobytes()
    except Exception:  # a tensor NumPy cannot hold: its object identity is all we compare
        return b""


def _changes(args: tuple, before: Any, after: Any) -> list:
    """[(position or keyword, new value)] of the call's arguments that changed."""
    positional, keywords = args
    _, before_positional = before[1][0]
    _, after_positional = after[1][0]
    changed: list = [
        (index, value)
        for index, (value, old, new) in enumerate(
            zip(positional, before_positional, after_positional, strict=True)
        )
        if old != new and _mutable(value)
    ]
    _, before_keywords = before[1][1]
    _, after_keywords = after[1][1]
    for (name, value), (_, old), (_, new) in zip(
        keywords.items(), before_keywords, after_keywords, strict=True
    ):
        if old != new and _mutable(value):
            changed.append((name, value))
    return changed


def _any_mutable(args: tuple) -> bool:
    """Whether a call's (positional, keyword) arguments hold one it could change in place."""
    positional, keywords = args
    return any(map(_mutable, positional)) or any(map(_mutable, keywords.values()))


def _mutable(value: Any) -> bool:
    return type(value) in (list, dict, set) or isinstance(value, _np.ndarray) or _is_tensor(value)


def _write_back(args: tuple, changed: Any) -> None:
    """Apply the learner side's changes to the caller's own arguments, in place."""
    positional, keywords = args
    if type(changed) is not list:
        return
    for entry in changed:
        if type(entry) is not tuple or len(entry) != 2:
            continue
        where, value = entry
        if type(where) is int and 0 <= where < len(positional):
            _update(positional[where], value)
        elif type(where) is str and where in keywords:
            _update(keywords[where], value)


def _update(original: Any, new: Any, depth: int = 0) -> None:
    if depth > wire.MAX_DEPTH:
        return
    if type(original) is list and type(new) is list:
        if len(original) == len(new):
            for index, (old, value) in enumerate(zip(original, new, strict=True)):
                if _same_kind_array(old, value):
                    _update(old, value, depth + 1)
                else:
                    original[index] = value
        else:
            original[:] = new
    elif type(original) is dict and type(new) is dict:
        for key in [key for key in original if key not in new]:
            del original[key]
        for key, value in new.items():
            if key in original and _same_kind_array(original[key], value):
                _update(original[key], value, depth + 1)
            else:
                original[key] = value
    elif type(original) is set and type(new) is set:
        original.clear()
        original.update(new)
    elif isinstance(original, _np.ndarray) and type(new) is _np.ndarray:
        if original.shape == new.shape and original.flags.writeable:
            original[...] = new.astype(original.dtype, copy=False)
    elif _is_tensor(original) and _is_tensor(new):
        import torch

        with torch.no_grad():
            if original.shape == new.shape:
                original.copy_(new)
            else:
                original.data = new.to(original.dtype)


def _same_kind_array(old: Any, new: Any) -> bool:
    both_arrays = isinstance(old, _np.ndarray) and type(new) is _np.ndarray
    return both_arrays or (_is_tensor(old) and _is_tensor(new))


def _dunder(obj: Any, name: str, *args: Any) -> Any:
    if name not in DUNDERS:
        raise PermissionError(f"operator {name!r} is not forwarded")
    method = getattr(type(obj), name, None)
    if method is None:
        if name in ("__eq__", "__ne__"):
            return (obj is args[0]) == (name == "__eq__")
        return NotImplemented
    return method(obj, *args)


def _call(obj: Any, args: tuple, kwargs: dict) -> Any:
    return obj(*args, **kwargs)


_OPERATIONS: dict[str, Callable[..., Any]] = {
    "call": _call,
    "getattr": getattr,
    "setattr": setattr,
    "delattr": delattr,
    "iter": iter,
    "next": next,
    "len": len,
    "getitem": operator.getitem,
    "setitem": operator.setitem,
    "delitem": operator.delitem,
    "contains": operator.contains,
    "repr": lambda obj: cut(repr(obj)),
    "str": lambda obj: cut(str(obj)),
    "bool": bool,
    "hash": hash,
    "dunder": _dunder,
    "enter": lambda obj: type(obj).__enter__(obj),
    "exit": lambda obj, *exc: type(obj).__exit__(obj, *exc),
}


def _type_name(obj: Any) -> str:
    kind = type(obj)
    return cut(f"{kind.__module__}.{kind.__qualname__}", 200)


# -- proxies -----------------------------------------------------------------------------------
class Proxy:
    # An object of the other side. Attribute reads, calls, iteration, items and operators are
    # performed there; what comes back is plain data or another proxy. (No docstring: a proxy's
    # __doc__ and __module__ are those of the object it stands for.)

    __slots__ = ("__weakref__", "_callable", "_kind", "_number", "_peer")
    __doc__ = property(lambda self: self._ask("getattr", "__doc__"))  # type: ignore[assignment]

    def __init__(self, peer: Peer, ref: wire.Ref) -> None:
        object.__setattr__(self, "_peer", peer)
        object.__setattr__(self, "_number", ref.number)
        object.__setattr__(self, "_kind", ref.kind)
        object.__setattr__(self, "_callable", ref.callable)

    def _ask(self, op: str, *args: Any) -> Any:
        return object.__getattribute__(self, "_peer").request(
            op, object.__getattribute__(self, "_number"), *args
        )

    def __getattr__(self, name: str) -> Any:
        return self._ask("getattr", name)

    # The object lives on the other side: a copy of its reference is the reference (the
    # read-only check copies a learner's list arguments, grader callables included).
    def __copy__(self) -> Proxy:
        return self

    def __deepcopy__(self, memo: dict) -> Proxy:
        return self

    def __setattr__(self, name: str, value: Any) -> None:
        self._ask("setattr", name, value)

    def __delattr__(self, name: str) -> None:
        self._ask("delattr", name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._ask("call", args, kwargs)

    def __iter__(self) -> Any:
        return self._ask("iter")

    def __next__(self) -> Any:
        return self._ask("next")

    def __len__(self) -> int:
        return self._ask("len")

    def __getitem__(self, key: Any) -> Any:
        return self._ask("getitem", key)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._ask("setitem", key, value)

    def __delitem__(self, key: Any) -> None:
        self._ask("delitem", key)

    def __contains__(self, item: Any) -> bool:
        return bool(self._ask("contains", item) is True)

    def __repr__(self) -> str:
        text = self._ask("repr")
        return text if type(text) is str else f"<{self._kind}>"

    def __str__(self) -> str:
        text = self._ask("str")
        return text if type(text) is str else f"<{self._kind}>"

    def __bool__(self) -> bool:
        return self._ask("bool") is True

    def __hash__(self) -> int:
        value = self._ask("hash")
        return value if type(value) is int else id(self)

    def __enter__(self) -> Any:
        return self._ask("enter")

    def __exit__(self, *exc_info: Any) -> Any:
        return self._ask("exit", *(None for _ in exc_info))


def _forwarder(dunder: str) -> Callable[..., Any]:
    def forward(self: Proxy, *args: Any) -> Any:
        return self._ask("dunder", dunder, *args)

    forward.__name__ = dunder
    return forward


for _name in sorted(DUNDERS):
    setattr(Proxy, _name, _forwarder(_name))
Proxy.__module__ = property(lambda self: self._ask("getattr", "__module__"))  # type: ignore


def kind_of(value: Any) -> str:
    """The type name of ``value``, or of the object a proxy stands for."""
    if isinstance(value, Proxy):
        return object.__getattribute__(value, "_kind")
    return _type_name(value)


# -- exceptions --------------------------------------------------------------------------------
class Raised:
    """Mixed into exceptions rebuilt from the other side: the class names the original type,
    ``frames`` holds (function, line, source) of the learner's own frames, innermost last."""

    remote_type: str = ""
    frames: tuple = ()


_EXCEPTION_CLASSES: dict[str, type[BaseException]] = {
    f"builtins.{name}": value
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, Exception) and not issubclass(value, Warning)
}
_rebuilt: dict[type, type] = {}


def _rebuilt_class(base: type[BaseException]) -> type:
    if base not in _rebuilt:
        _rebuilt[base] = type(base.__name__, (base, Raised), {"__module__": "katakit.remote"})
    return _rebuilt[base]


class ExceptionCodec:
    """Exceptions as data: type name, message, arguments when plain, the learner's frames.

    An exception that came from this side and went back and forth is raised again as the very
    object it was (a grader's :class:`AssertionError` from a callback keeps its message); any
    other is rebuilt as a subclass of the builtin it names (so ``pytest.raises(ValueError)`` in
    a grader works) mixed with :class:`Raised`, or of :class:`Raised` with the name alone.
    """

    # set once per side: library exception classes rebuilt as themselves, and the file whose
    # frames messages list
    extra_types: ClassVar[dict[str, type[BaseException]]] = {}
    learner_file: ClassVar[str | None] = None

    def __init__(self, peer: Peer) -> None:
        self.peer = peer

    def encode(self, exc: BaseException) -> tuple:
        origin = getattr(exc, "_katakit_origin", None)
        kind = type(exc)
        name = f"{kind.__module__}.{kind.__qualname__}"
        if isinstance(exc, Raised):
            name = exc.remote_type
        try:
            args = self.peer.encode(exc.args)
        except Exception:  # arguments that cannot cross travel as text only
            args = None
        own = self.peer.export(exc) if origin is None else None
        frames = list(getattr(exc, "frames", ())) or _learner_frames(exc, self.learner_file)
        return (
            cut(name, 200),
            cut(_text(exc)),
            args,
            frames,
            origin if origin is not None else (own.number if own is not None else 0),
            origin is not None,
            isinstance(exc, Exception),
        )

    def decode(self, info: Any) -> BaseException:
        try:
            name, text, args, frames, number, mine, ordinary = info
        except (TypeError, ValueError):
            return wire.WireError("a malformed exception")
        if mine is True and type(number) is int:
            original = self.peer._objects.get(number)
            if isinstance(original, BaseException) and _may_reraise(original):
                return original
        fallback = Exception if ordinary is True else BaseException
        base = self.extra_types.get(name) or _EXCEPTION_CLASSES.get(name) or fallback
        try:
            values = self.peer.decode(args) if args is not None else (text,)
            exc = _rebuilt_class(base)(*values) if type(values) is tuple else None
        except Exception:
            exc = None
        if exc is None:
            exc = _rebuilt_class(base)(text)
        exc.remote_type = name
        exc.frames = tuple(
            tuple(frame)
            for frame in (frames if type(frames) is list else ())
            if type(frame) is tuple and [type(part) for part in frame] == [str, int, str]
        )
        exc._katakit_origin = number
        exc._katakit_text = text
        return exc


def _may_reraise(exc: BaseException) -> bool:
    # pytest's outcome exceptions (skip, xfail, exit) must never be raised on a learner's say-so
    return not type(exc).__module__.startswith(("_pytest", "pytest"))


def _text(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:
        return f"<{type(exc).__name__}>"


def _learner_frames(exc: BaseException, learner_file: str | None) -> list:
    if learner_file is None:
        return []
    import linecache
    import traceback

    frames = []
    for frame, line in traceback.walk_tb(exc.__traceback__):
        code = frame.f_code
        if code.co_filename == learner_file:
            source = linecache.getline(learner_file, line).strip()
            frames.append((getattr(code, "co_qualname", code.co_name), line, cut(source, 200)))
    return frames[-5:]
