"""Targets: where the code being graded comes from, and loading one kata module from it.

A target maps a kata id to a Python file. ``exercises`` (the learner's own work, the default),
``solutions`` and any folder with the ``<topic>/<kata>.py`` layout are directory targets; the
self-check also builds explicit targets that swap in one mutant per kata.

Every loaded module gets a private name, so two targets never share an entry in ``sys.modules``
and a grader can never reach a kata module by a plain ``import``.
"""

from __future__ import annotations

import importlib.util
import itertools
import sys
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from katakit.i18n import _

_load_counter = itertools.count()


class KataMissing(Exception):
    """The target has no file for this kata."""


class KataImportError(Exception):
    """The kata file exists but importing it failed (syntax error, import error, exception)."""


@dataclass(frozen=True)
class Target:
    """A named mapping from kata ids to files; ``folder`` is set for directory targets."""

    name: str
    folder: Path | None = None
    files: Mapping[str, Path] = field(default_factory=dict)

    def locate(self, kata_id: str) -> Path | None:
        if kata_id in self.files:
            return self.files[kata_id]
        if self.folder is None:
            return None
        path = self.folder / f"{kata_id}.py"
        return path if path.is_file() else None


def resolve_target(spec: str | Path, root: Path) -> Target:
    """``exercises`` or ``solutions`` (relative to the project root) or a path to a folder."""
    text = str(spec)
    if text in ("exercises", "solutions"):
        return Target(text, root / text)
    folder = Path(text).expanduser()
    if not folder.is_dir():
        raise ValueError(
            f"target '{text}' is neither 'exercises', 'solutions' nor an existing folder; "
            "pass a folder laid out as <topic>/<kata>.py"
        )
    return Target(str(folder), folder.resolve())


def learner_file(target: Target, kata_id: str) -> Path:
    """The target's file for ``kata_id``, refused when it is a link: a submission holding a
    symbolic link to ``solutions/`` must not be graded as the learner's own code."""
    path = target.locate(kata_id)
    if path is None:
        raise KataMissing(
            _("{kata} is missing from target '{target}'").format(kata=kata_id, target=target.name)
        )
    if path.is_symlink() or (
        target.folder is not None and not path.resolve().is_relative_to(target.folder.resolve())
    ):
        raise KataImportError(
            _(
                "{file} is a symbolic link; submit the file itself, not a link to another file"
            ).format(file=path.name)
        )
    return path


def load_kata_module(target: Target, kata_id: str) -> ModuleType:
    """Import the target's file for ``kata_id`` under a private module name."""
    path = learner_file(target, kata_id)
    private_name = f"katakit_target_{next(_load_counter)}__{kata_id.replace('/', '__')}"
    spec = importlib.util.spec_from_file_location(private_name, path)
    if spec is None or spec.loader is None:  # pragma: no cover - only for non-.py paths
        raise KataImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    # Registered before running, as a normal import does: dataclasses and pickling look it up.
    sys.modules[private_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:
        sys.modules.pop(private_name, None)
        raise KataImportError(_describe_import_failure(exc, path)) from exc
    return module


def _describe_import_failure(exc: BaseException, path: Path) -> str:
    if isinstance(exc, SyntaxError):
        return _("{file} has a syntax error on line {line}: {error}").format(
            file=path.name, line=exc.lineno, error=exc.msg
        )
    line = next(
        (
            frame.lineno
            for frame in traceback.extract_tb(exc.__traceback__)
            if frame.filename == str(path)
        ),
        None,
    )
    where = _(" (line {line})").format(line=line) if line else ""
    return _("importing {file} raised {error}: {text}{where}").format(
        file=path.name, error=type(exc).__name__, text=exc, where=where
    )
