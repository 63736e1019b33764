"""Mutants: realistic wrong solutions, written as small patches against the reference.

A kata's mutants live in ``graders/<topic>/mutants/<kata>.toml``, one ``[[mutant]]`` table each::

    [[mutant]]
    name = "biased_running_var"              # what `katakit verify` reports
    mistake = "Stores the biased batch variance in running_var."   # one line of intent
    misconception = "biased-running-var"     # optional: an id in the topic's misconceptions.toml
    [[mutant.replace]]                       # one or more
    old = "var * count / (count - 1)"        # exact text, found exactly once in the reference
    new = "var"

A mutant's module is the reference with every ``old`` replaced by its ``new`` (all located in the
unchanged reference, so the order of the replacements does not matter and they may not overlap),
and the reference's module docstring replaced by ``\"\"\"Mutant of <topic>/<kata>: <mistake>\"\"\"``
(the line every mutant module began with): the built module says what it is wherever it turns up,
and a change to the reference's docstring never makes a patch stale.

A mutant that cannot be a patch may stay a complete module, ``<kata>__<name>.py``, if its docstring
has a line ``Kept as a module: <reason>``.
"""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from katakit import misconceptions
from katakit.catalog import MIN_MUTANTS, Catalog, Kata, mutant_name, tomllib

NAME = re.compile(r"[a-z0-9]+(_[a-z0-9]+)*")
KEPT = "Kept as a module:"
_MUTANT_KEYS = frozenset({"name", "mistake", "misconception", "replace"})
_REPLACE_KEYS = frozenset({"old", "new"})


class PatchError(Exception):
    """A patch does not apply to the reference; the message says which replacement and why."""


class MutantFileError(Exception):
    """A kata's mutants file is not valid: bad TOML, unknown keys, wrong types."""


@dataclass(frozen=True)
class Replacement:
    old: str
    new: str


@dataclass(frozen=True)
class Mutant:
    """One mutant of ``kata``: a patch (``replacements``) or a complete ``module``."""

    kata: Kata
    name: str
    mistake: str
    misconception: str | None = None
    replacements: tuple[Replacement, ...] = ()
    module: Path | None = None

    @property
    def misconception_id(self) -> str | None:
        return f"{self.kata.topic}/{self.misconception}" if self.misconception else None

    def source(self, reference: str) -> str:
        """The mutant's module text; :class:`PatchError` if the patch no longer applies."""
        if self.module is not None:
            return self.module.read_text(encoding="utf-8")
        docstring = f'"""Mutant of {self.kata.id}: {self.mistake}"""'
        return apply(reference, self.replacements, docstring=docstring)


def _occurrences(text: str, part: str) -> list[int]:
    found, start = [], text.find(part)
    while start != -1:
        found.append(start)
        start = text.find(part, start + 1)
    return found


def _preview(text: str) -> str:
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return repr(line[:60] + ("..." if len(line) > 60 else ""))


def docstring_span(source: str) -> tuple[int, int] | None:
    """Where the module docstring's literal is in ``source`` (character offsets), if it has one."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return None
    first = body[0] if body else None
    if not (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return None
    lines = source.splitlines(keepends=True)

    def offset(line: int, column: int) -> int:  # ast columns count UTF-8 bytes
        before = sum(len(text) for text in lines[: line - 1])
        return before + len(lines[line - 1].encode()[:column].decode())

    node = first.value
    return offset(node.lineno, node.col_offset), offset(node.end_lineno, node.end_col_offset)


def apply(
    reference: str, replacements: Sequence[Replacement], *, docstring: str | None = None
) -> str:
    """``reference`` with each replacement made; ``docstring`` (a literal) replaces the module's."""
    spans: list[tuple[int, int, str, str]] = []
    for number, replacement in enumerate(replacements, start=1):
        where = f"replacement {number} ({_preview(replacement.old)})"
        if not replacement.old:
            raise PatchError(f"replacement {number}: its old text is empty")
        found = _occurrences(reference, replacement.old)
        if not found:
            raise PatchError(f"{where}: its old text is not in the reference")
        if len(found) > 1:
            raise PatchError(
                f"{where}: its old text occurs {len(found)} times in the reference; "
                "add surrounding text until it is unique"
            )
        spans.append((found[0], found[0] + len(replacement.old), replacement.new, where))
    span = docstring_span(reference) if docstring is not None else None
    if span is not None:
        spans.append((*span, docstring, "the module docstring"))
    spans.sort()
    for (_, end, _, first), (start, _, _, second) in itertools.pairwise(spans):
        if start < end:
            raise PatchError(f"{first} and {second} overlap; merge them into one")
    parts, position = [], 0
    for start, end, new, _ in spans:
        parts += [reference[position:start], new]
        position = end
    return "".join([*parts, reference[position:]])


def read_patches(path: Path, kata: Kata) -> list[Mutant]:
    """The patch mutants of ``path`` (none if it does not exist); :class:`MutantFileError` if
    the file is not one ``[[mutant]]`` table per mutant with the documented keys."""
    if not path.is_file():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise MutantFileError(f"not valid TOML: {exc}") from exc
    if set(data) - {"mutant"} or not isinstance(data.get("mutant", []), list):
        raise MutantFileError("only [[mutant]] tables are allowed at the top level")
    mutants = []
    for number, entry in enumerate(data.get("mutant", []), start=1):
        where = f"mutant #{number} ({entry.get('name', '?')})"
        unknown = sorted(set(entry) - _MUTANT_KEYS)
        if unknown:
            raise MutantFileError(f"{where}: unknown key(s) {unknown}")
        for key in ("name", "mistake"):
            if not isinstance(entry.get(key), str):
                raise MutantFileError(f"{where}: '{key}' must be a string")
        if not isinstance(entry.get("misconception", ""), str):
            raise MutantFileError(f"{where}: 'misconception' must be a string")
        replacements = []
        for replace in entry.get("replace", []):
            if not isinstance(replace, dict) or set(replace) != _REPLACE_KEYS:
                raise MutantFileError(f"{where}: each [[mutant.replace]] has exactly old and new")
            if not all(isinstance(replace[key], str) for key in _REPLACE_KEYS):
                raise MutantFileError(f"{where}: old and new must be strings")
            replacements.append(Replacement(replace["old"], replace["new"]))
        mutants.append(
            Mutant(
                kata,
                entry["name"],
                entry["mistake"],
                entry.get("misconception") or None,
                tuple(replacements),
            )
        )
    return mutants


def module_mistake(path: Path) -> tuple[str, str | None]:
    """A module mutant's mistake (its docstring's first line, less ``Mutant of <kata>:``) and the
    reason it is kept as a module (``None`` if its docstring gives none)."""
    try:
        docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    except SyntaxError:
        docstring = ""
    lines = docstring.splitlines() or [""]
    mistake = re.sub(r"^Mutant of [^:]+:\s*", "", lines[0])
    reason = next((line[len(KEPT) :].strip() for line in lines if line.startswith(KEPT)), None)
    return mistake, reason or None


def mutants_of(catalog: Catalog, kata: Kata) -> list[Mutant]:
    """Every mutant of ``kata``: its patches in file order, then its modules by name."""
    files = catalog.files(kata)
    modules = [
        Mutant(kata, mutant_name(path), module_mistake(path)[0], module=path)
        for path in files.mutant_modules
    ]
    return read_patches(files.mutant_patches, kata) + modules


def build(catalog: Catalog, mutant: Mutant, folder: Path) -> Path:
    """The file to grade for ``mutant``: a module mutant's own file, or its patch applied to the
    reference and written to ``folder/<topic>/<kata>__<name>.py`` (:class:`PatchError` if the
    patch no longer applies). ``folder`` should be a private temporary folder."""
    if mutant.module is not None:
        return mutant.module
    reference = catalog.files(mutant.kata).solution.read_text(encoding="utf-8")
    source = mutant.source(reference)
    path = folder / mutant.kata.topic / f"{mutant.kata.name}__{mutant.name}.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")
    return path


def problems(catalog: Catalog, kata: Kata, *, require_reasons: bool = True) -> list[str]:
    """Everything wrong with ``kata``'s mutants that shows without grading them: for
    ``katakit check`` (fast: patches are applied, never run) and ``katakit verify``, which grades
    a module mutant without a reason all the same (``require_reasons=False``): the tree check
    alone asks for the reason, so a topic still being written verifies before it is converted."""
    files = catalog.files(kata)
    try:
        mutants = mutants_of(catalog, kata)
    except MutantFileError as exc:
        return [f"{files.mutant_patches.relative_to(catalog.root)}: {exc}"]
    found = []
    if len(mutants) < MIN_MUTANTS:
        found.append(f"has {len(mutants)} mutant(s); at least {MIN_MUTANTS} are required")
    names = [mutant.name for mutant in mutants]
    found += [f"mutant name '{n}' is used twice" for n in sorted(set(names)) if names.count(n) > 1]
    try:
        known: dict | None = misconceptions.load(files.grader.parent)
    except ValueError:  # a broken misconceptions file: the tree check reports it on its own
        known = None
    reference = files.solution.read_text(encoding="utf-8") if files.solution.is_file() else None
    for mutant in mutants:
        if mutant.module is not None:
            if require_reasons and module_mistake(mutant.module)[1] is None:
                found.append(
                    f"mutant '{mutant.name}' is a complete module without a reason: write it as "
                    f"a patch (`katakit mutants import {mutant.module.relative_to(catalog.root)}`)"
                    f" or give a docstring line '{KEPT} <why>'"
                )
            continue
        found += [f"mutant '{mutant.name}': {problem}" for problem in _entry_problems(mutant)]
        if mutant.misconception and known is not None and mutant.misconception not in known:
            found.append(
                f"mutant '{mutant.name}': no misconception '{mutant.misconception}' in "
                f"graders/{kata.topic}/{misconceptions.FILE_NAME}"
            )
        if reference is not None:
            try:
                mutant.source(reference)
            except PatchError as exc:
                found.append(f"mutant '{mutant.name}' no longer applies: {exc}")
    return found


def _entry_problems(mutant: Mutant) -> list[str]:
    found = []
    if not NAME.fullmatch(mutant.name):
        found.append("its name is not lower-case words joined by '_'")
    if not mutant.mistake.strip() or "\n" in mutant.mistake:
        found.append("its mistake must be one non-empty line")
    if '"""' in mutant.mistake or "\\" in mutant.mistake:
        found.append('its mistake may not hold """ or a backslash (it becomes the docstring)')
    if not mutant.replacements:
        found.append("it has no [[mutant.replace]]")
    return found
