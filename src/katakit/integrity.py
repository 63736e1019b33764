"""Notice when learner code replaces library functions globally, and put them back.

A submission that sets ``numpy.allclose = lambda *a, **k: True`` would fool every comparison
after it. Before a kata's tests run, the attributes of the libraries graders rely on are noted;
after each test, any attribute that now holds a different object is restored and the test fails
with the list of what was replaced.
"""

from __future__ import annotations

import sys
from typing import Any

# Modules and classes whose attributes graders rely on, by import name.
WATCHED = (
    "builtins",
    "math",
    "numpy",
    "numpy.linalg",
    "numpy.random",
    "numpy.testing",
    "torch",
    "torch.nn.functional",
    "torch.linalg",
    "katakit.checks",
)


def _library_made(value: Any) -> bool:
    """True for a replacement the libraries make themselves (importing torch._dynamo wraps
    torch.manual_seed, for one); a learner's replacement is defined in the learner's module."""
    module = getattr(value, "__module__", None) or ""
    return module.split(".")[0] in ("torch", "numpy")


class Tampering(Exception):
    """Learner code replaced a library attribute that graders rely on."""


class Watch:
    """The attributes of the watched modules (and ``torch.Tensor``) as they were at the start."""

    def __init__(self) -> None:
        self._owners: list[tuple[str, Any, dict[str, Any]]] = []

    def note(self) -> None:
        """Snapshot whatever is imported now; modules imported later are snapshotted later."""
        seen = {name for name, _, _ in self._owners}
        for name in WATCHED:
            module = sys.modules.get(name)
            if module is not None and name not in seen:
                self._owners.append((name, module, dict(vars(module))))
        torch = sys.modules.get("torch")
        if torch is not None and "torch.Tensor" not in seen:
            self._owners.append(("torch.Tensor", torch.Tensor, dict(vars(torch.Tensor))))

    def restore(self, allowed: set[tuple[int, str]] = frozenset()) -> list[str]:
        """Put back every replaced attribute; return their dotted names.

        ``allowed`` holds (id of owner, attribute) pairs that are legitimately swapped right now
        (the forbidden-call guard's stand-ins).
        """
        replaced = []
        for name, owner, before in self._owners:
            now = vars(owner)
            for attr, value in before.items():
                if attr.startswith("__") or (id(owner), attr) in allowed:
                    continue
                current = now.get(attr, value)
                if current is not value and not _library_made(current):
                    setattr(owner, attr, value)
                    replaced.append(f"{name}.{attr}")
        return replaced
