"""Grade a whole class: one folder per learner, graded in parallel, one JSON report each, and a
CSV gradebook.

Reports land in ``OUT/reports/<learner>.json`` as soon as each learner is graded, so a run that
stops resumes where it left off; ``--force`` grades everyone again. ``--shard i/n`` takes every
n-th learner starting at the i-th, so n CI runners can split a class and one last step rebuilds
the gradebook from all their reports (``katakit gradebook OUT``).
"""

from __future__ import annotations

import csv
import json
import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from katakit.catalog import Catalog, Kata
from katakit.isolation import DEFAULT_LIMITS, Limits
from katakit.plugin import DEFAULT_TEST_TIMEOUT
from katakit.runner import grade
from katakit.target import Target

REPORTS = "reports"
GRADEBOOK = "gradebook.csv"


@dataclass(frozen=True)
class Outcome:
    """What happened to one learner in this run."""

    learner: str
    score: int | None  # None: skipped (already graded) or failed
    max_score: int | None
    error: str = ""


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/4"`` -> (2, 4); shards count from 1."""
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise ValueError(f"--shard takes i/n, like 2/4; got '{text}'") from None
    if not 1 <= index <= count:
        raise ValueError(f"--shard {text}: i must be between 1 and n")
    return index, count


def learners(submissions: Path, shard: tuple[int, int] = (1, 1)) -> list[Path]:
    """The learner folders of this shard, in name order (stable across runners)."""
    folders = sorted(p for p in submissions.iterdir() if p.is_dir() and not p.name.startswith("."))
    index, count = shard
    return folders[index - 1 :: count]


def _grade_one(
    root: Path, selection: list[str], folder: Path, out: Path, limits: Limits, test_timeout: float
) -> Outcome:
    catalog = Catalog.load(root)
    katas = catalog.select(selection)
    try:
        target = Target(folder.name, folder)
        report = grade(catalog, katas, target, limits=limits, test_timeout=test_timeout)
    except Exception as exc:  # a broken grader must not stop the class; it is retried next run
        return Outcome(folder.name, None, None, f"{type(exc).__name__}: {exc}")
    document = {"learner": folder.name, **report.to_dict()}
    path = out / REPORTS / f"{folder.name}.json"
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
    partial.replace(path)  # a report is either whole or absent, even if the run is killed
    return Outcome(folder.name, report.score, report.max_score)


def batch_grade(
    catalog: Catalog,
    katas: list[Kata],
    submissions: Path,
    out: Path,
    *,
    jobs: int = 1,
    shard: tuple[int, int] = (1, 1),
    force: bool = False,
    limits: Limits = DEFAULT_LIMITS,
    test_timeout: float = DEFAULT_TEST_TIMEOUT,
    on_done: Callable[[Outcome], None] = lambda outcome: None,
) -> list[Outcome]:
    """Grade every learner of the shard not graded yet; return what happened to each."""
    (out / REPORTS).mkdir(parents=True, exist_ok=True)
    selection = [kata.id for kata in katas]
    outcomes: list[Outcome] = []
    todo = []
    for folder in learners(submissions, shard):
        if not force and (out / REPORTS / f"{folder.name}.json").is_file():
            outcomes.append(Outcome(folder.name, None, None))
            on_done(outcomes[-1])
        else:
            todo.append(folder)
    # fork: workers inherit torch and the engine already imported by this process
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=max(jobs, 1), mp_context=context) as pool:
        futures = [
            pool.submit(_grade_one, catalog.root, selection, folder, out, limits, test_timeout)
            for folder in todo
        ]
        for future in as_completed(futures):
            outcomes.append(future.result())
            on_done(outcomes[-1])
    write_gradebook(catalog, out)
    return outcomes


def _reports(out: Path) -> Iterator[dict]:
    for path in sorted((out / REPORTS).glob("*.json")):
        yield json.loads(path.read_text(encoding="utf-8"))


def write_gradebook(catalog: Catalog, out: Path) -> Path:
    """``OUT/gradebook.csv`` from every report in ``OUT/reports``: one row per learner."""
    reports = list(_reports(out))
    graded = {kata["id"] for report in reports for kata in report["katas"]}
    columns = [kata.id for kata in catalog.katas if kata.id in graded]
    path = out / GRADEBOOK
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["learner", *columns, "total", "max_total"])
        for report in reports:
            scores = {kata["id"]: kata["score"] for kata in report["katas"]}
            writer.writerow(
                [
                    report["learner"],
                    *(scores.get(column, "") for column in columns),
                    report["score"],
                    report["max_score"],
                ]
            )
    return path
