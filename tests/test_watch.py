"""The learner's loop: watch grades what was saved, the journal keeps the best, next points on."""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path

from katakit import journal
from katakit.catalog import Catalog
from katakit.cli import main
from katakit.target import resolve_target
from katakit.watch import Watcher


def test_a_saved_kata_is_graded_again_and_its_best_score_kept(demo_project: Path):
    catalog = Catalog.load(demo_project)
    watcher = Watcher(catalog, catalog.select(["demo"]), resolve_target("exercises", demo_project))
    watcher.warm()
    reports: queue.Queue = queue.Queue()
    stop = threading.Event()
    thread = threading.Thread(target=watcher.run, args=(reports.put, stop), daemon=True)
    thread.start()
    try:
        time.sleep(0.5)  # the watcher is listening
        stub = demo_project / "exercises/demo/add.py"
        stub.write_text("def add(a, b):\n    return a - b\n")
        first = reports.get(timeout=60)
        stub.write_text("def add(a, b):\n    return a + b\n")
        second = reports.get(timeout=60)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert [k.id for k in first.katas] == ["demo/add"] and first.katas[0].score < 3
    assert second.katas[0].score == 3
    assert journal.read(demo_project)["demo/add"] == {"score": 3, "max_score": 3}
    assert (demo_project / ".katakit/.gitignore").read_text() == "*\n"


def test_the_journal_keeps_the_best_score_and_next_names_the_first_unfinished(
    demo_project: Path, capsys
):
    catalog = Catalog.load(demo_project)
    from katakit.results import KataResult, Report, TestResult

    def report(score: int) -> Report:
        result = KataResult("demo/add", "Add", 3)
        result.tests.append(TestResult("t", 3, "passed" if score == 3 else "failed", ""))
        return Report("exercises", katas=[result])

    journal.record(demo_project, report(3))
    journal.record(demo_project, report(0))  # a later, worse run does not lower the best
    assert journal.read(demo_project)["demo/add"]["score"] == 3
    assert journal.next_kata(catalog, ["demo"]).id == "demo/mean"
    assert main(["--root", str(demo_project), "next", "demo"]) == 0
    assert capsys.readouterr().out.startswith("demo/mean · Mean of a sequence · not graded yet")
