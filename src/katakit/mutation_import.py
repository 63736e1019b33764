"""Turn a complete mutant module into a patch entry of its kata's mutants file.

New mutants are easiest to write as a full copy of the reference with one mistake;
``katakit mutants import graders/<topic>/mutants/<kata>__<name>.py`` then diffs the copy against
the reference (difflib, whole lines), widens each changed block with neighbouring lines until its
old text is unique in the reference, appends the ``[[mutant]]`` entry to
``graders/<topic>/mutants/<kata>.toml``, reads it back, and deletes the module only when building
the entry reproduces the module byte for byte.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from pathlib import Path

from katakit.catalog import Catalog, CatalogError, mutant_name
from katakit.mutation import (
    KEPT,
    Mutant,
    PatchError,
    Replacement,
    docstring_span,
    module_mistake,
    read_patches,
)

HEADER = """\
# Mutants of {kata}: each is the reference with its `old` texts replaced by the `new` ones.
# `katakit verify {kata}` grades them all; docs/authoring.md describes the format.

"""


class ImportRefused(Exception):
    """The module cannot become a patch; the message says why and the module is left alone."""


@dataclass(frozen=True)
class Imported:
    mutant: Mutant
    patch_file: Path
    lines: int  # lines of the module that was deleted


def _hunks(reference: list[str], mutant: list[str]) -> list[list[int]]:
    matcher = difflib.SequenceMatcher(None, reference, mutant, autojunk=False)
    return [[i1, i2, j1, j2] for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


def _unique(text: str, part: str) -> bool:
    first = text.find(part)
    return bool(part) and first != -1 and text.find(part, first + 1) == -1


def diff_replacements(reference: str, target: str, *, first_line: int = 0) -> list[Replacement]:
    """Whole-line replacements that turn ``reference`` into ``target``, each old text widened with
    context lines (never above ``first_line``) until it occurs once in ``reference``."""
    old_lines = reference.splitlines(keepends=True)
    new_lines = target.splitlines(keepends=True)
    hunks = _hunks(old_lines, new_lines)
    index = 0
    while index < len(hunks):
        i1, i2, j1, j2 = hunks[index]
        old = "".join(old_lines[i1:i2])
        if _unique(reference, old):
            index += 1
            continue
        # widen by a line, below and above in turn; context lines are equal on both sides
        can_down, can_up = i2 < len(old_lines), i1 > first_line
        if not (can_down or can_up):
            raise ImportRefused(f"no context makes {old!r} unique in the reference")
        if can_down and (not can_up or (i2 - i1) % 2 == 0):
            hunks[index] = [i1, i2 + 1, j1, j2 + 1]
        else:
            hunks[index] = [i1 - 1, i2, j1 - 1, j2]
        # merge with a neighbour the widening reached
        if index + 1 < len(hunks) and hunks[index][1] > hunks[index + 1][0]:
            following = hunks.pop(index + 1)
            hunks[index] = [hunks[index][0], following[1], hunks[index][2], following[3]]
        if index > 0 and hunks[index - 1][1] > hunks[index][0]:
            previous = hunks.pop(index - 1)
            index -= 1
            hunks[index] = [previous[0], hunks[index][1], previous[2], hunks[index][3]]
    return [
        Replacement("".join(old_lines[i1:i2]), "".join(new_lines[j1:j2]))
        for i1, i2, j1, j2 in hunks
    ]


def to_mutant(catalog: Catalog, module: Path) -> tuple[Mutant, str]:
    """The patch mutant equivalent to ``module`` and the module's text; :class:`ImportRefused`
    if there is none that rebuilds it byte for byte."""
    kata = catalog.kata_for_path(module)
    if kata is None or module.parent.name != "mutants" or "__" not in module.stem:
        raise ImportRefused("not a mutant module graders/<topic>/mutants/<kata>__<name>.py")
    original = module.read_text(encoding="utf-8")
    mistake, reason = module_mistake(module)
    if reason is not None:
        raise ImportRefused(f"it says it is kept as a module ({KEPT} {reason})")
    solution = catalog.files(kata).solution
    reference = solution.read_text(encoding="utf-8")
    # the build swaps the reference's docstring for the mistake's: diff the mutant with the
    # reference's docstring put back, so the patch holds the code changes only
    target, first_line = original, 0
    ours, theirs = docstring_span(original), docstring_span(reference)
    if ours is not None and theirs is not None:
        target = original[: ours[0]] + reference[theirs[0] : theirs[1]] + original[ours[1] :]
        first_line = reference[: theirs[1]].count("\n") + 1
    mutant = Mutant(
        kata,
        mutant_name(module),
        mistake,
        replacements=tuple(diff_replacements(reference, target, first_line=first_line)),
    )
    try:
        rebuilt = mutant.source(reference)
    except PatchError as exc:
        raise ImportRefused(f"the patch does not apply: {exc}") from exc
    if rebuilt != original:
        raise ImportRefused(
            "the patch does not rebuild the module byte for byte (is its docstring exactly "
            f'"""Mutant of {kata.id}: <mistake>"""?)'
        )
    return mutant, original


def _string(text: str) -> str:
    """A TOML string for ``text``: a multi-line literal for code, else a basic string."""
    literal = "\n" in text and "'''" not in text and not text.endswith("'")
    if literal and all(char in "\t\n" or char >= " " for char in text) and "\x7f" not in text:
        return "'''\n" + text + "'''"
    return json.dumps(text, ensure_ascii=False)


def entry_toml(mutant: Mutant) -> str:
    lines = [
        "[[mutant]]",
        f"name = {_string(mutant.name)}",
        f"mistake = {_string(mutant.mistake)}",
    ]
    if mutant.misconception:
        lines.append(f"misconception = {_string(mutant.misconception)}")
    for replacement in mutant.replacements:
        lines += [
            "[[mutant.replace]]",
            f"old = {_string(replacement.old)}",
            f"new = {_string(replacement.new)}",
        ]
    return "\n".join(lines) + "\n"


def import_module(catalog: Catalog, module: Path) -> Imported:
    """Append ``module`` as a patch entry to its kata's mutants file, then delete it."""
    module = module.resolve()
    mutant, original = to_mutant(catalog, module)
    patch_file = catalog.files(mutant.kata).mutant_patches
    before = patch_file.read_text(encoding="utf-8") if patch_file.is_file() else None
    if any(other.name == mutant.name for other in read_patches(patch_file, mutant.kata)):
        raise ImportRefused(f"{patch_file.name} already has a mutant named '{mutant.name}'")
    head = before.rstrip("\n") + "\n\n" if before else HEADER.format(kata=mutant.kata.id)
    text = head + entry_toml(mutant)
    patch_file.write_text(text, encoding="utf-8")
    reference = catalog.files(mutant.kata).solution.read_text(encoding="utf-8")
    try:
        written = next(m for m in read_patches(patch_file, mutant.kata) if m.name == mutant.name)
        same = written.source(reference) == original
    except Exception:  # any failure to read it back keeps the module
        same = False
    if not same:
        if before is None:
            patch_file.unlink()
        else:
            patch_file.write_text(before, encoding="utf-8")
        raise ImportRefused(f"{patch_file.name} did not read back to the same module; left as is")
    module.unlink()
    return Imported(written, patch_file, original.count("\n"))


def import_modules(catalog: Catalog, modules: list[Path]) -> tuple[list[Imported], list[str]]:
    """Import each module; the imported entries and a line per module left alone."""
    imported, refused = [], []
    for module in modules:
        try:
            imported.append(import_module(catalog, module))
        except (ImportRefused, CatalogError, OSError) as exc:
            refused.append(f"{module}: kept: {exc}")
    return imported, refused
