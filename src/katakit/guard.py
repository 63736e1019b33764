"""The forbidden-call guard: a library call that a kata re-implements raises in learner code.

On the learner side (its own process, where everything that runs is the learner's doing) the guard
is total: every binding of each forbidden name in every loaded module is replaced by a stand-in
that refuses, and each forbidden torch operator (``torch.ops.aten.native_batch_norm``) gets a
refusing kernel registered at the torch dispatcher, so no Python route reaches it -- a private
binding, ``torch._VF``, an op overload or ``redispatch``, a helper module, ``exec`` under another
file name, a thread. The refusal names the op and the learner's line that led to it.

In one process (``--katakit-no-isolate``, for a debugger) the stand-ins refuse only while the
learner's file is on the stack, so that the grader's oracle can use the very op the learner may
not.

A forbidden class gets a stand-in that also refuses to be subclassed by learner code and answers
``isinstance`` and ``issubclass`` as the original would. A forbidden torch operator
(``torch.ops.aten.native_batch_norm_backward``) stays in place -- torch's own code walks those
objects -- and instead each of its overloads (``.default``, ``.out``, ...) has the callable it
dispatches to swapped, so every Python route to the kernel is covered.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from katakit.i18n import _


class ForbiddenCall(Exception):
    """Learner code called a library function that the kata asks them to write themselves."""


def resolve(dotted: str) -> tuple[Any, str] | None:
    """``torch.nn.functional.batch_norm`` -> (module ``torch.nn.functional``, ``"batch_norm"``).

    None when the package itself is not installed (nobody can call it then); a name that does not
    resolve inside an installed package is a typo in the manifest and raises.
    """
    parts = dotted.split(".")
    if importlib.util.find_spec(parts[0]) is None:
        return None
    for split in range(len(parts) - 1, 0, -1):
        try:
            owner: Any = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attr in parts[split:-1]:
            owner = getattr(owner, attr)
        if not hasattr(owner, parts[-1]):
            break
        return owner, parts[-1]
    raise ValueError(f"forbidden name '{dotted}' does not resolve to an attribute")


class Guard:
    """The stand-ins for one kata; a context manager that puts them in place of the originals."""

    def __init__(
        self,
        kata_id: str,
        forbidden: Sequence[str],
        learner_file: Path | str,
        *,
        everywhere: bool = False,
    ) -> None:
        self.kata_id = kata_id
        self.learner_file = str(learner_file)
        self.everywhere = everywhere
        self.violations: list[str] = []
        self._patches: list[tuple[Any, str, Any, Any]] = []
        self._operators: list[tuple[str, Any]] = []
        for dotted in forbidden:
            found = resolve(dotted)
            if found is None:
                continue
            owner, attr = found
            original = getattr(owner, attr)
            if isinstance(original, (_FunctionStandIn, _ClassStandIn)):
                original = original.original  # already guarded by another kata's guard
            if type(original).__name__ == "OpOverloadPacket" and everywhere:
                self._operators.append((dotted, original))
                continue
            if type(original).__name__ == "OpOverloadPacket":
                for operator in (original, *map(original.__getattr__, original.overloads())):
                    stand_in = _FunctionStandIn(self, dotted, operator._op)
                    self._patches.append((operator, "_op", operator._op, stand_in))
                continue
            stand_in = (_ClassStandIn if isinstance(original, type) else _FunctionStandIn)(
                self, dotted, original
            )
            self._patches.append((owner, attr, original, stand_in))
        if everywhere and self._patches:
            if len(sys.modules) != _INDEXED[0]:  # resolving a name imported modules: index again
                index_bindings()
            self._patches.extend(_other_bindings(self._patches))

    def learner_on_stack(self) -> bool:
        if self.everywhere:
            return True
        frame = sys._getframe(2)
        while frame is not None:
            if frame.f_code.co_filename == self.learner_file:
                return True
            frame = frame.f_back
        return False

    def refuse(self, dotted: str, note: str = "") -> None:
        message = _(
            "{name} is not allowed in {kata}{note}{where}: this kata asks you to implement it "
            "yourself with basic operations"
        ).format(name=dotted, kata=self.kata_id, note=note, where=self._learner_line())
        self.violations.append(message)
        raise ForbiddenCall(message)

    def _learner_line(self) -> str:
        """`` (reached from line 12: out = F.conv2d(x, w))``: the learner's innermost line."""
        frame = sys._getframe(2)
        while frame is not None and frame.f_code.co_filename != self.learner_file:
            frame = frame.f_back
        if frame is None:
            return ""
        import linecache

        source = linecache.getline(self.learner_file, frame.f_lineno).strip()
        if not source:
            return ""
        return _(" (reached from line {line}: {source})").format(line=frame.f_lineno, source=source)

    def block_operators(self) -> None:
        """Register a refusing kernel for every overload of each forbidden torch operator, at
        each dispatch key that has a kernel now; kept for the life of the process."""
        if not self._operators:
            return
        import warnings

        import torch

        library = torch.library.Library("aten", "IMPL")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "overriding a previously registered kernel"
            for dotted, packet in self._operators:
                for overload in packet.overloads():
                    operator = getattr(packet, overload)
                    refusal = _FunctionStandIn(self, dotted, None)
                    for key in _DISPATCH_KEYS:
                        if _has_kernel(torch, operator.name(), key):
                            library.impl(operator, refusal, key)
        _KEEP.append(library)

    def patched(self) -> set[tuple[int, str]]:
        """(id of owner, attribute) of every name this guard swaps while active."""
        return {(id(owner), attr) for owner, attr, _original, _stand_in in self._patches}

    def __enter__(self) -> Guard:
        self.violations.clear()
        for owner, attr, _original, stand_in in self._patches:
            setattr(owner, attr, stand_in)
        return self

    def __exit__(self, *exc_info: object) -> None:
        for owner, attr, original, _stand_in in reversed(self._patches):
            setattr(owner, attr, original)


def _has_kernel(torch: Any, name: str, key: str) -> bool:
    try:
        return torch._C._dispatch_has_kernel_for_dispatch_key(name, key)
    except RuntimeError:  # an overload only TorchScript knows (aten::tanh.int): no kernel
        return False


# Where a forbidden operator's kernels live: backends and the composite (decomposing) keys.
_DISPATCH_KEYS = (
    "CPU",
    "CUDA",
    "CompositeImplicitAutograd",
    "CompositeExplicitAutograd",
    "CompositeExplicitAutogradNonFunctional",
)
_KEEP: list[Any] = []  # registrations stay for the life of the learner's process


def _other_bindings(patches: list[tuple[Any, str, Any, Any]]) -> list:
    """(owner, attr, original, stand_in) for every other module attribute bound to one of the
    ``patches``' originals (``numpy.cov`` is also ``numpy.lib._function_base_impl.cov``)."""
    found = []
    for owner, attr, original, stand_in in patches:
        for module, name in _BINDINGS.get(id(original), ()):
            if module.__dict__.get(name) is original and (module, name) != (owner, attr):
                found.append((module, name, original, stand_in))
    return found


# Every module attribute, by the id of its value: (module, name) pairs. Scanning the thousand
# modules that torch loads takes a learner process tens of milliseconds, most of it the kernel
# copying the pages whose reference counts the scan touches (the process is a fork); so the
# zygote builds this index once, before it forks, and every learner inherits it.
_BINDINGS: dict[int, list[tuple[Any, str]]] = {}
_INDEXED = [0]  # how many modules were loaded when the index was built


def index_bindings() -> None:
    """(Re)build the index of module attributes from every module loaded now."""
    _BINDINGS.clear()
    _INDEXED[0] = len(sys.modules)
    for module in list(sys.modules.values()):
        namespace = getattr(module, "__dict__", None)
        if isinstance(namespace, dict):
            for name, value in list(namespace.items()):
                _BINDINGS.setdefault(id(value), []).append((module, name))


class _FunctionStandIn:
    def __init__(self, guard: Guard, dotted: str, original: Callable[..., Any] | None) -> None:
        self.guard, self.dotted, self.original = guard, dotted, original
        if original is not None:
            functools.update_wrapper(self, original)
            if guard.everywhere:
                del self.__wrapped__  # no way back to the original through the stand-in

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.guard.learner_on_stack():
            self.guard.refuse(self.dotted)
        return self.original(*args, **kwargs)

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        # A forbidden method (torch.Tensor.unfold) must still bind to its instance.
        return self if instance is None else functools.partial(self, instance)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.original, name)


class _ClassStandIn:
    def __init__(self, guard: Guard, dotted: str, original: type) -> None:
        self.guard, self.dotted, self.original = guard, dotted, original

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.guard.learner_on_stack():
            self.guard.refuse(self.dotted)
        return self.original(*args, **kwargs)

    def __mro_entries__(self, bases: tuple[Any, ...]) -> tuple[type, ...]:
        if self.guard.learner_on_stack():
            self.guard.refuse(self.dotted, _(" (not even as a base class)"))
        return (self.original,)

    def __instancecheck__(self, instance: Any) -> bool:
        return isinstance(instance, self.original)

    def __subclasscheck__(self, subclass: type) -> bool:
        return issubclass(subclass, self.original)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.original, name)

    # torch's own modules write annotations such as ``torch.optim.Optimizer | None``
    def __or__(self, other: Any) -> Any:
        return self.original | other

    def __ror__(self, other: Any) -> Any:
        return other | self.original
