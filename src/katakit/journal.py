"""The learner's journal: the best score of each kata so far, kept in their own copy.

``.katakit/progress.json`` at the project root (git-ignored) maps a kata id to
``{"score": s, "max_score": m}``, the best run of the learner's own ``exercises/``. Every graded
run of that folder updates it (``pytest exercises/...``, ``katakit grade``, ``katakit watch``);
``katakit next`` reads it to name the first kata not yet at full marks, in learning order.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from katakit.catalog import Catalog, Kata
from katakit.results import Report

FOLDER = ".katakit"
FILE_NAME = "progress.json"


def path_of(root: Path) -> Path:
    return root / FOLDER / FILE_NAME


def read(root: Path) -> dict[str, dict[str, int]]:
    """The best scores so far; empty when nothing was graded yet or the file is unreadable."""
    try:
        data = json.loads(path_of(root).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def record(root: Path, report: Report) -> None:
    """Keep each graded kata's score where it beats the best so far (or the kata's points
    changed); never fails a run: a read-only copy simply keeps no journal."""
    best = read(root)
    changed = False
    for kata in report.katas:
        if not kata.tests:
            continue  # ungraded here: nothing learned about it
        old = best.get(kata.id, {})
        if old.get("max_score") != kata.max_score or kata.score > old.get("score", -1):
            best[kata.id] = {"score": kata.score, "max_score": kata.max_score}
            changed = True
    if not changed:
        return
    try:
        folder = path_of(root).parent
        folder.mkdir(exist_ok=True)
        (folder / ".gitignore").write_text("*\n", encoding="utf-8")
        # written whole and renamed, so a reader never sees half a file
        handle, temporary = tempfile.mkstemp(dir=folder, suffix=".json")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(best, out, indent=1, sort_keys=True)
        os.replace(temporary, path_of(root))
    except OSError:
        pass


def done(best: dict[str, dict[str, int]], kata: Kata) -> bool:
    entry = best.get(kata.id, {})
    return entry.get("max_score", 0) > 0 and entry.get("score") == entry.get("max_score")


def next_kata(catalog: Catalog, selection: list[str]) -> Kata | None:
    """The first kata of ``selection`` (in learning order) not yet at full marks."""
    best = read(catalog.root)
    return next((kata for kata in catalog.select(selection) if not done(best, kata)), None)
