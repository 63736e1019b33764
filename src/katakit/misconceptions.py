"""Known mistakes: a stable id and the text that names each, kept in one file per topic.

``graders/<topic>/misconceptions.toml`` holds one table per mistake::

    [biased-running-var]
    en = "running_var updated with the biased (1/N) batch variance; use the unbiased 1/(N-1)"
    zh = "running_var 用了有偏（1/N）的批方差，应当用无偏的 1/(N-1)"

A grader loads its topic's mistakes once and names them where it knows the wrong value::

    MISTAKES = misconceptions.of(__file__)
    assert_close(..., misconceptions={MISTAKES["biased-running-var"]: wrong_value})

and the learner reads "This matches a known mistake: running_var updated with ...
[bn/biased-running-var]". The id stays the same when the text is reworded or translated, so a
mutant can say which mistake it must be reported as, and a learner can quote it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from katakit import i18n
from katakit.catalog import tomllib

FILE_NAME = "misconceptions.toml"
ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
FIELDS = frozenset({"en", "zh"})


@dataclass(frozen=True)
class Misconception:
    id: str  # "<topic>/<name>"
    en: str
    zh: str | None = None

    def __str__(self) -> str:
        return f"{i18n.pick(self.en, self.zh)} [{self.id}]"


class Mistakes(dict[str, Misconception]):
    """A topic's misconceptions by name; an unknown name is a grader error that says so."""

    def __init__(self, topic: str, entries: dict[str, Misconception]) -> None:
        super().__init__(entries)
        self.topic = topic

    def __missing__(self, name: str) -> Misconception:
        raise KeyError(f"no misconception {name!r} in graders/{self.topic}/{FILE_NAME}")


def of(grader_file: str | Path) -> Mistakes:
    """The misconceptions of the topic a grader file (its ``__file__``) belongs to."""
    return load(Path(grader_file).resolve().parent)


@functools.cache
def load(topic_folder: Path) -> Mistakes:
    """Read and check ``topic_folder/misconceptions.toml`` (empty when there is none)."""
    topic = topic_folder.name
    path = topic_folder / FILE_NAME
    if not path.is_file():
        return Mistakes(topic, {})
    problems = problems_in(path)
    if problems:
        raise ValueError(f"{path}: " + "; ".join(problems))
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return Mistakes(
        topic,
        {
            name: Misconception(f"{topic}/{name}", entry["en"], entry.get("zh"))
            for name, entry in data.items()
        },
    )


def problems_in(path: Path) -> list[str]:
    """What is wrong with a misconceptions file: for ``katakit check`` and for loading."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        return [f"cannot read it: {exc}"]
    found = []
    for name, entry in data.items():
        if not ID.fullmatch(name):
            found.append(f"id {name!r} is not lower-case words joined by '-'")
        if not isinstance(entry, dict):
            found.append(f"{name}: expected a table with en (and zh)")
            continue
        unknown = sorted(set(entry) - FIELDS)
        if unknown:
            found.append(f"{name}: unknown key(s) {', '.join(unknown)}")
        for field in FIELDS & set(entry):
            if not isinstance(entry[field], str) or not entry[field].strip():
                found.append(f"{name}: {field} must be a non-empty string")
        if "en" not in entry:
            found.append(f"{name}: the English text (en) is missing")
    return found
