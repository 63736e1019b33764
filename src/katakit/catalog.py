"""The kata catalogue: which katas exist, their metadata, the question list and coverage.

Each topic keeps one ordered manifest, ``exercises/<topic>/katas.toml``, with a ``[[katas]]``
table per kata. The manifest is read as data: no learner code is imported here, and nothing here
knows about pytest.
"""

from __future__ import annotations

import contextlib
import csv
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

MANIFEST = "katas.toml"
# The self-check and the tree check both hold every kata to this many mutants.
MIN_MUTANTS = 2
KNOWN_TAGS = frozenset({"gpu", "distributed", "slow"})
_KATA_KEYS = {
    "name": str,
    "title": str,
    "title_zh": str,
    "source_heading": str,
    "questions": list,
    "difficulty": int,
    "points": int,
    "tags": list,
    "hints": list,
    "hints_zh": list,
    "forbidden": list,
    "read_only_inputs": bool,
}
_REQUIRED_KEYS = ("name", "title", "title_zh", "questions", "difficulty", "points", "hints")


class CatalogError(Exception):
    """A manifest or a selection is wrong; the message says how to fix it."""


@dataclass(frozen=True)
class Question:
    id: str
    seed: str
    title: str


@dataclass(frozen=True)
class Kata:
    """One kata's metadata, as written in its topic's manifest."""

    topic: str
    name: str
    title: str
    title_zh: str
    questions: tuple[str, ...]
    difficulty: int
    points: int
    hints: tuple[str, ...]
    tags: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()
    read_only_inputs: bool = False
    source_heading: str = ""  # the seed question's own heading, kept as written
    hints_zh: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.topic}/{self.name}"


@dataclass(frozen=True)
class KataFiles:
    """Where a kata's files live in a project, paired by path alone."""

    root: Path
    kata: Kata

    @property
    def stub(self) -> Path:
        return self.root / "exercises" / self.kata.topic / f"{self.kata.name}.py"

    @property
    def examples(self) -> Path:
        return self.root / "exercises" / self.kata.topic / f"{self.kata.name}_test.py"

    @property
    def solution(self) -> Path:
        return self.root / "solutions" / self.kata.topic / f"{self.kata.name}.py"

    @property
    def grader(self) -> Path:
        return self.root / "graders" / self.kata.topic / f"test_{self.kata.name}.py"

    @property
    def mutant_patches(self) -> Path:
        """The kata's mutants as patches against the reference (see :mod:`katakit.mutation`)."""
        return self.root / "graders" / self.kata.topic / "mutants" / f"{self.kata.name}.toml"

    @property
    def mutant_modules(self) -> list[Path]:
        """Mutants kept as complete modules, ``<kata>__<mistake>.py``."""
        folder = self.root / "graders" / self.kata.topic / "mutants"
        return sorted(folder.glob(f"{self.kata.name}__*.py"))


def mutant_name(path: Path) -> str:
    """A module mutant's name: ``batchnorm_forward__eps_sqrt.py`` -> ``eps_sqrt``."""
    return path.stem.split("__", 1)[1]


def find_root(start: Path) -> Path | None:
    """The nearest directory at or above ``start`` that holds ``exercises/*/katas.toml``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        exercises = folder / "exercises"
        if exercises.is_dir() and any(exercises.glob(f"*/{MANIFEST}")):
            return folder
    return None


def _check_entry(entry: dict, where: str) -> None:
    unknown = sorted(set(entry) - set(_KATA_KEYS))
    if unknown:
        raise CatalogError(
            f"{where}: unknown key(s) {unknown}; allowed keys are {sorted(_KATA_KEYS)}"
        )
    missing = [key for key in _REQUIRED_KEYS if key not in entry]
    if missing:
        raise CatalogError(f"{where}: missing key(s) {missing}; add them to the [[katas]] table")
    for key, kind in _KATA_KEYS.items():
        if key in entry and not isinstance(entry[key], kind):
            raise CatalogError(
                f"{where}: '{key}' must be a {kind.__name__}, got {type(entry[key]).__name__}"
            )
    if not 1 <= entry["difficulty"] <= 3:
        raise CatalogError(f"{where}: difficulty must be 1, 2 or 3, got {entry['difficulty']}")
    if entry["points"] <= 0:
        raise CatalogError(f"{where}: points must be positive, got {entry['points']}")
    bad_tags = sorted(set(entry.get("tags", [])) - KNOWN_TAGS)
    if bad_tags:
        raise CatalogError(f"{where}: unknown tag(s) {bad_tags}; known tags: {sorted(KNOWN_TAGS)}")


def read_manifest(path: Path) -> list[Kata]:
    """Parse one topic manifest, rejecting unknown or missing keys with a message that says why."""
    topic = path.parent.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{path}: not valid TOML: {exc}") from exc
    extra = sorted(set(data) - {"katas"})
    if extra:
        raise CatalogError(f"{path}: unknown top-level key(s) {extra}; only [[katas]] is allowed")
    katas = []
    for index, entry in enumerate(data.get("katas", []), start=1):
        where = f"{path} (kata #{index}, {entry.get('name', '?')})"
        _check_entry(entry, where)
        katas.append(
            Kata(
                topic=topic,
                name=entry["name"],
                title=entry["title"],
                title_zh=entry["title_zh"],
                questions=tuple(entry["questions"]),
                difficulty=entry["difficulty"],
                points=entry["points"],
                hints=tuple(entry["hints"]),
                tags=tuple(entry.get("tags", [])),
                forbidden=tuple(entry.get("forbidden", [])),
                read_only_inputs=entry.get("read_only_inputs", False),
                source_heading=entry.get("source_heading", ""),
                hints_zh=tuple(entry.get("hints_zh", [])),
            )
        )
    return katas


def load_questions() -> list[Question]:
    """The project's own copy of the seed question headings, in order."""
    text = resources.files("katakit").joinpath("data/questions.tsv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines(), delimiter="\t")
    return [Question(row["id"], row["seed"], row["title"]) for row in rows]


@dataclass
class Catalog:
    """All katas of one project, in manifest order, topics sorted by name."""

    root: Path
    katas: list[Kata] = field(default_factory=list)

    @classmethod
    def load(cls, root: Path) -> Catalog:
        root = root.resolve()
        katas: list[Kata] = []
        for manifest in sorted((root / "exercises").glob(f"*/{MANIFEST}")):
            katas.extend(read_manifest(manifest))
        seen: set[str] = set()
        for kata in katas:
            if kata.id in seen:
                raise CatalogError(f"kata {kata.id} is listed twice; kata names must be unique")
            seen.add(kata.id)
        return cls(root, katas)

    @cached_property
    def by_id(self) -> dict[str, Kata]:
        return {kata.id: kata for kata in self.katas}

    @property
    def topics(self) -> list[str]:
        return list(dict.fromkeys(kata.topic for kata in self.katas))

    def files(self, kata: Kata) -> KataFiles:
        return KataFiles(self.root, kata)

    def select(self, selection: Iterable[str] = ()) -> list[Kata]:
        """Katas named by topics (``bn``) or ids (``bn/batchnorm_forward``); all if empty."""
        wanted = [item.strip("/") for item in selection]
        if not wanted:
            return list(self.katas)
        chosen: dict[str, Kata] = {}
        for item in wanted:
            if item in self.by_id:
                chosen.setdefault(item, self.by_id[item])
            elif item in self.topics:
                for kata in self.katas:
                    if kata.topic == item:
                        chosen.setdefault(kata.id, kata)
            else:
                raise CatalogError(
                    f"no topic or kata named '{item}'; run `katakit list` to see what exists"
                )
        order = {kata.id: index for index, kata in enumerate(self.katas)}
        return sorted(chosen.values(), key=lambda kata: order[kata.id])

    def kata_for_path(self, path: Path) -> Kata | None:
        """The kata a file belongs to, by the naming convention of its folder."""
        path = path.resolve()
        try:
            relative = path.relative_to(self.root)
        except ValueError:
            return None
        if len(relative.parts) < 3:
            return None
        area, topic, filename = relative.parts[0], relative.parts[1], relative.parts[-1]
        stem = Path(filename).stem
        if area == "graders":
            name = stem.removeprefix("test_")
            if relative.parts[2] == "mutants":
                name = stem.split("__", 1)[0]
        elif area in ("exercises", "solutions"):
            name = stem.removesuffix("_test")
        else:
            return None
        return self.by_id.get(f"{topic}/{name}")


# The libraries worth loading in the learners' fork server before any learner starts (torch takes
# seconds); a kata's learner side needs one when its stub, its public examples or its grader (whose
# probes and tensors go over there) import it.
HEAVY_LIBRARIES = ("numpy", "torch")


def learner_libraries(catalog: Catalog, katas: Iterable[Kata]) -> tuple[str, ...]:
    """The :data:`HEAVY_LIBRARIES` that the learner side of ``katas`` uses (its guard imports
    the packages of the kata's forbidden names too)."""
    used: set[str] = set()
    for kata in katas:
        used.update(name.split(".")[0] for name in kata.forbidden)
        files = catalog.files(kata)
        for path in (files.stub, files.examples, files.grader):
            with contextlib.suppress(OSError):
                used.update(
                    re.findall(
                        r"^\s*(?:import|from)\s+(numpy|torch)\b",
                        path.read_text(encoding="utf-8"),
                        re.MULTILINE,
                    )
                )
    return tuple(name for name in HEAVY_LIBRARIES if name in used)


def katas_at(catalog: Catalog, paths: Iterable[Path]) -> list[Kata]:
    """The katas that a pytest run of ``paths`` (files or folders of the project) collects."""
    chosen = []
    resolved = [path.resolve() for path in paths]
    for kata in catalog.katas:
        files = catalog.files(kata)
        mine = (files.stub, files.examples, files.grader)
        if any(path == file or path in file.parents for path in resolved for file in mine):
            chosen.append(kata)
    return chosen


def coverage(catalog: Catalog, questions: Sequence[Question]) -> list[tuple[Question, list[str]]]:
    """Every question with the ids of the katas that cover it, in question order."""
    covering: dict[str, list[str]] = {question.id: [] for question in questions}
    for kata in catalog.katas:
        for question_id in kata.questions:
            covering.setdefault(question_id, []).append(kata.id)
    return [(question, covering[question.id]) for question in questions]
