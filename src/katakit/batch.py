"""Grade a whole class: one folder per learner, graded in parallel, one JSON report each, and a
CSV gradebook.

A learner's folder is laid out as ``<topic>/<kata>.py`` or as a whole repository,
``exercises/<topic>/<kata>.py`` (a GitHub Classroom clone). Reports land in
``OUT/reports/<learner>.json`` as soon as each learner is graded, so a run that stops resumes
where it left off; ``force`` grades everyone again (or the learners named), ``only`` grades just
the learners named. ``--shard i/n`` takes every n-th learner starting at the i-th, so n CI runners
can split a class and one last step rebuilds the gradebook from all their reports
(``katakit gradebook OUT``).

Each learner is graded in a process of its own (its own process group too): a learner whose code
kills or stops that process, or whose grading raises, is recorded as ``crashed`` with the reason,
and the class goes on. The gradebook is written at the end whatever happened.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import signal
import time
import traceback
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from katakit.catalog import Catalog, Kata
from katakit.isolation import DEFAULT_LIMITS, Limits
from katakit.plugin import DEFAULT_TEST_TIMEOUT
from katakit.results import KataResult, Report, TestResult
from katakit.runner import grade
from katakit.target import Target

REPORTS = "reports"
GRADEBOOK = "gradebook.csv"
REPOSITORY_FOLDER = "exercises"  # a whole-repository submission keeps its katas here


@dataclass(frozen=True)
class Outcome:
    """What happened to one learner in this run."""

    learner: str
    score: int | None  # None: skipped (already graded)
    max_score: int | None
    error: str = ""  # set when the learner was recorded as crashed: why
    status: str = "graded"  # graded, skipped or crashed


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/4"`` -> (2, 4); shards count from 1."""
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise ValueError(f"--shard takes i/n, like 2/4; got '{text}'") from None
    if not 1 <= index <= count:
        raise ValueError(f"--shard {text}: i must be between 1 and n")
    return index, count


def kata_folder(learner: Path) -> Path:
    """Where a learner's ``<topic>/<kata>.py`` files are: the folder itself, or its
    ``exercises/`` folder when the submission is a whole repository."""
    repository = learner / REPOSITORY_FOLDER
    return repository if repository.is_dir() else learner


def submission_evidence(catalog: Catalog, folder: Path) -> str | None:
    """A kata file that shows ``folder`` is itself one learner's submission (not a folder of
    learners), as a path relative to it; None when it holds none."""
    for kata in catalog.katas:
        for relative in (f"{kata.id}.py", f"{REPOSITORY_FOLDER}/{kata.id}.py"):
            if (folder / relative).is_file():
                return relative
    return None


def learners(submissions: Path, shard: tuple[int, int] = (1, 1)) -> list[Path]:
    """The learner folders of this shard, in name order (stable across runners)."""
    folders = sorted(p for p in submissions.iterdir() if p.is_dir() and not p.name.startswith("."))
    index, count = shard
    return folders[index - 1 :: count]


def _grade_one(
    root: Path,
    selection: list[str],
    folder: Path,
    out: Path,
    limits: Limits | None,
    test_timeout: float,
) -> Outcome:
    catalog = Catalog.load(root)
    katas = catalog.select(selection)
    target = Target(folder.name, kata_folder(folder).resolve())
    report = grade(catalog, katas, target, limits=limits, test_timeout=test_timeout)
    _write_report(out, folder.name, report)
    return Outcome(folder.name, report.score, report.max_score)


def _write_report(out: Path, learner: str, report: Report, **extra: Any) -> None:
    document = {"learner": learner, **report.to_dict(), **extra}
    path = out / REPORTS / f"{learner}.json"
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
    partial.replace(path)  # a report is either whole or absent, even if the run is killed


def crashed_report(katas: list[Kata], learner: str, reason: str) -> Report:
    """The report of a learner whose grading did not finish: every kata ``crashed``, 0 points."""
    report = Report(learner)
    for kata in katas:
        result = KataResult(kata.id, kata.title, kata.points)
        result.tests.append(TestResult("grading", kata.points, "crashed", reason))
        report.katas.append(result)
    return report


def _record_crash(out: Path, katas: list[Kata], learner: str, reason: str) -> Outcome:
    report = crashed_report(katas, learner, reason)
    _write_report(out, learner, report, crashed=reason)
    return Outcome(learner, report.score, report.max_score, reason, "crashed")


def learner_deadline(katas: list[Kata], limits: Limits | None, test_timeout: float) -> float:
    """Wall-clock seconds one learner's grading may take before it is stopped as crashed: far
    above what the per-test and per-kata limits allow (they stop code first)."""
    kata_seconds = (limits or DEFAULT_LIMITS).kata_seconds
    return 60 + len(katas) * (3 * max(kata_seconds, test_timeout) + 20)


@dataclass
class _Running:
    folder: Path
    pid: int
    pipe: int
    deadline: float


def _start(
    root: Path,
    selection: list[str],
    folder: Path,
    out: Path,
    limits: Limits | None,
    test_timeout: float,
    seconds: float,
) -> _Running:
    """Fork the process that grades one learner; it says how it went through a pipe."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: grade, report, and end without running the parent's exit code
        status = 0
        try:
            os.close(read_end)
            with contextlib.suppress(OSError):
                os.setpgid(0, 0)  # a learner that signals its process group reaches only this
            outcome = _grade_one(root, selection, folder, out, limits, test_timeout)
            message = {"score": outcome.score, "max_score": outcome.max_score}
        except BaseException as exc:  # whatever grading raised, the parent records it
            last = traceback.extract_tb(exc.__traceback__)[-1:] or [None]
            where = f" ({Path(last[0].filename).name}, line {last[0].lineno})" if last[0] else ""
            message = {"error": f"grading raised {type(exc).__name__}: {exc}{where}"[:1500]}
            status = 1
        try:
            os.write(write_end, json.dumps(message).encode())
        finally:
            os._exit(status)
    os.close(write_end)
    return _Running(folder, pid, read_end, time.monotonic() + seconds)


def _message(running: _Running) -> dict[str, Any]:
    os.set_blocking(running.pipe, False)
    try:
        data = os.read(running.pipe, 1 << 16)
    except BlockingIOError:
        data = b""
    finally:
        os.close(running.pipe)
    try:
        return json.loads(data) if data else {}
    except ValueError:
        return {}


def _ended(running: _Running, status: int) -> str | Outcome:
    """What one learner's ended grading process left: an outcome, or why it crashed."""
    message = _message(running)
    if "error" in message:
        return str(message["error"])
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 and "score" in message:
        return Outcome(running.folder.name, message["score"], message["max_score"])
    if os.WIFSIGNALED(status):
        name = signal.Signals(os.WTERMSIG(status)).name
        return f"the grading process was killed by {name} (the learner's code may have done it)"
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else status
    return f"the grading process ended with exit code {code} before writing a report"


def batch_grade(
    catalog: Catalog,
    katas: list[Kata],
    submissions: Path,
    out: Path,
    *,
    jobs: int = 1,
    shard: tuple[int, int] = (1, 1),
    force: bool | Collection[str] = False,
    only: Collection[str] | None = None,
    limits: Limits | None = DEFAULT_LIMITS,
    test_timeout: float = DEFAULT_TEST_TIMEOUT,
    learner_timeout: float | None = None,
    on_done: Callable[[Outcome], None] = lambda outcome: None,
) -> list[Outcome]:
    """Grade every learner of the shard not graded yet; return what happened to each.

    ``force``: True grades everyone again, a collection of names grades those again. ``only``:
    grade just these learners (again, if graded already). ``limits`` None runs learner code
    uncontained (in each learner's grading process). Raises ValueError when ``submissions`` is
    itself one learner's submission, or names an unknown learner.
    """
    evidence = submission_evidence(catalog, submissions)
    if evidence is not None:
        raise ValueError(
            f"{submissions} looks like one learner's submission (it holds {evidence}), not a "
            "folder with one folder per learner: put it in a folder of its own "
            f"(submissions/<learner>/), or grade it alone with "
            f"`katakit grade --target {kata_folder(submissions)}`"
        )
    (out / REPORTS).mkdir(parents=True, exist_ok=True)
    folders = learners(submissions, shard)
    named = set(only or ()) | (set() if isinstance(force, bool) else set(force))
    unknown = sorted(named - {folder.name for folder in learners(submissions)})
    if unknown:
        raise ValueError(f"no learner {', '.join(unknown)} in {submissions}")
    if only is not None:
        folders = [folder for folder in folders if folder.name in set(only)]
    regrade = named if not isinstance(force, bool) else set()
    selection = [kata.id for kata in katas]
    seconds = learner_timeout or learner_deadline(katas, limits, test_timeout)
    outcomes: list[Outcome] = []

    def done(outcome: Outcome) -> None:
        outcomes.append(outcome)
        on_done(outcome)

    todo: list[Path] = []
    for folder in folders:
        again = force is True or folder.name in regrade
        if not again and (out / REPORTS / f"{folder.name}.json").is_file():
            done(Outcome(folder.name, None, None, status="skipped"))
        else:
            todo.append(folder)
    running: list[_Running] = []
    try:
        while todo or running:
            while todo and len(running) < max(jobs, 1):
                folder = todo.pop(0)
                running.append(
                    _start(catalog.root, selection, folder, out, limits, test_timeout, seconds)
                )
            time.sleep(0.05)
            for job in list(running):
                ended = _poll(job)
                if ended is None:
                    continue
                running.remove(job)
                if isinstance(ended, Outcome):
                    done(ended)
                else:
                    done(_record_crash(out, katas, job.folder.name, ended))
    finally:
        for job in running:  # interrupted: stop what still runs; those learners stay ungraded
            with contextlib.suppress(OSError):
                os.killpg(job.pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.kill(job.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(job.pid, 0)
        write_gradebook(catalog, out)
    return outcomes


def _poll(job: _Running) -> str | Outcome | None:
    """None while the learner's grading runs; else its outcome or why it crashed. A process
    that was stopped (SIGSTOP) or ran past its deadline is killed and counts as crashed."""
    pid, status = os.waitpid(job.pid, os.WNOHANG | os.WUNTRACED)
    if pid == 0 and time.monotonic() < job.deadline:
        return None
    if pid != 0 and not os.WIFSTOPPED(status):
        return _ended(job, status)
    if pid != 0:
        name = signal.Signals(os.WSTOPSIG(status)).name
        reason = f"the grading process was stopped by {name} (the learner's code may have done it)"
    else:
        reason = "the learner's grading ran past its time limit and was stopped"
    with contextlib.suppress(OSError):
        os.killpg(job.pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        os.kill(job.pid, signal.SIGKILL)
    os.waitpid(job.pid, 0)
    _message(job)
    return reason


def _reports(out: Path) -> Iterator[dict]:
    for path in sorted((out / REPORTS).glob("*.json")):
        yield json.loads(path.read_text(encoding="utf-8"))


def kata_state(kata: dict[str, Any]) -> str:
    """A report's kata state; reports written before states existed give their status."""
    return kata.get("state") or kata["status"]


def matched_misconceptions(kata: dict[str, Any]) -> list[str]:
    """The known mistakes a kata's failed tests matched, by id (by text where a grader names
    one without an id), each once, in test order."""
    found: list[str] = []
    for test in kata["tests"]:
        named = test.get("misconception")
        if named:
            label = named.get("id") or named.get("text", "")
            if label and label not in found:
                found.append(label)
    return found


def write_gradebook(catalog: Catalog, out: Path) -> Path:
    """``OUT/gradebook.csv`` from every report in ``OUT/reports``: one row per learner.

    Columns: ``learner``, the score of each kata, ``total``, ``max_total``, then each kata's
    state (``<kata> status``: graded, missing, syntax-error, import-error, untouched-stub,
    timeout, crashed, error) and ``matched``, the known mistakes the learner's failures matched.
    """
    reports = list(_reports(out))
    graded = {kata["id"] for report in reports for kata in report["katas"]}
    columns = [kata.id for kata in catalog.katas if kata.id in graded]
    path = out / GRADEBOOK
    partial = path.with_suffix(".csv.partial")
    with partial.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "learner",
                *columns,
                "total",
                "max_total",
                *(f"{column} status" for column in columns),
                "matched",
            ]
        )
        for report in reports:
            katas = {kata["id"]: kata for kata in report["katas"]}
            matched = [
                f"{kata_id}: {label}"
                for kata_id in columns
                if kata_id in katas
                for label in matched_misconceptions(katas[kata_id])
            ]
            writer.writerow(
                [
                    report["learner"],
                    *(katas[column]["score"] if column in katas else "" for column in columns),
                    report["score"],
                    report["max_score"],
                    *(kata_state(katas[column]) if column in katas else "" for column in columns),
                    "; ".join(matched),
                ]
            )
    partial.replace(path)
    return path
