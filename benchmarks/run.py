"""katakit's performance figures, measured in one run on one machine.

    python benchmarks/run.py [--topic bn] [--repeat 3] [--learners 8] [--before REV]

0. the door: the median cost of one call from a grader into the learner's process;
1. the learner's loop: ``pytest exercises/TOPIC`` against the stubs and a correct submission,
   and ``katakit watch``: from saving a kata to its result;
2. a whole submission: ``katakit grade TOPIC`` with a contained learner process per kata vs
   everything in one process, per kata; with ``--before REV``, also every topic's reference
   graded by the engine of revision REV (a git worktree) and by this one, as ratios;
3. ``katakit grade`` vs ``nbgrader autograde`` on the same katas and code (when nbgrader is
   installed and ``katakit nbgrader`` exists);
4. class batches: learners graded per minute against ``--jobs``.

Every figure is also given as a ratio to a baseline measured in the same run (``python -c
"import torch"``, the fixed cost each process pays), so runs on different machines compare.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def wall(command: list[str], repeat: int, cwd: Path = ROOT, env: dict | None = None) -> float:
    """Median wall time of ``command`` over ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(
            command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def row(name: str, seconds: float, baseline: float, note: str = "") -> None:
    print(f"  {name:<58} {seconds:7.2f} s  {seconds / baseline:5.2f}x baseline  {note}")


def katakit(*args: str) -> list[str]:
    return [PYTHON, "-m", "katakit", *args]


def door(repeat: int) -> None:
    """Median microseconds of a call into the learner's process, small and with a 1 MiB array."""
    import numpy as np

    from katakit.sandbox.remote import Budget, LearnerProcess

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "learner.py"
        path.write_text("def echo(value):\n    return value\n")
        learner = LearnerProcess(Budget())
        echo = learner.load("bench/door", path, [], False).echo
        for label, value in (("a float", 1.5), ("a 1 MiB float64 array", np.ones(1 << 17))):
            runs = []
            for _ in range(repeat):
                start = time.perf_counter()
                for _ in range(200):
                    echo(value)
                runs.append((time.perf_counter() - start) / 200)
            print(f"  one call with {label:<40} {statistics.median(runs) * 1e6:9.0f} us")
        learner.close()


def save_to_result(topic: str, submission: Path, saves: int) -> float:
    """Median seconds from saving a kata's file to its graded report under ``katakit watch``
    (file event, debounce and grading), for the topic's first kata, once the watcher is warm."""
    import queue
    import threading

    from katakit.catalog import Catalog
    from katakit.target import resolve_target
    from katakit.watch import Watcher

    catalog = Catalog.load(ROOT)
    kata = catalog.select([topic])[0]
    watcher = Watcher(catalog, [kata], resolve_target(str(submission), ROOT))
    watcher.warm()
    watcher.grade(kata)  # the first grading imports the graders' own modules once
    reports: queue.Queue = queue.Queue()
    stop = threading.Event()
    thread = threading.Thread(target=watcher.run, args=(reports.put, stop), daemon=True)
    thread.start()
    time.sleep(0.5)
    path = submission / topic / f"{kata.name}.py"
    times = []
    for _ in range(saves):
        start = time.perf_counter()
        path.write_text(path.read_text())
        reports.get(timeout=120)
        times.append(time.perf_counter() - start)
    stop.set()
    thread.join(timeout=10)
    return statistics.median(times)


def before_and_after(revision: str, scratch: Path, repeat: int, baseline: float) -> None:
    """Each topic's reference graded by revision ``revision``'s engine and by this one."""
    old = scratch / "before"
    subprocess.run(
        ["git", "worktree", "add", "--detach", str(old), revision],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    try:
        environment = {**os.environ, "PYTHONPATH": str(old / "src")}
        every = sorted(ROOT.glob("exercises/*/katas.toml"))
        topics = [p.parent.name for p in every if (old / p.relative_to(ROOT)).is_file()]
        for topic in sorted({p.parent.name for p in every} - set(topics)):
            # added since ``revision``: nothing to compare with, timed alone
            now = wall(katakit("grade", topic, "--target", "solutions", "--exit-zero"), repeat)
            row(f"{topic}: new since {revision}", now, baseline)
        for topic in topics:
            command = katakit("grade", topic, "--target", "solutions", "--exit-zero")
            then = wall(command, repeat, cwd=old, env=environment)
            now = wall(command, repeat)
            row(
                f"{topic}: {revision} / now",
                now,
                baseline,
                f"before {then:.2f} s, {now / then:.2f}x",
            )
        pytest = [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", "exercises/bn"]
        then = wall(pytest, repeat, cwd=old, env=environment)
        now = wall(pytest, repeat)
        row("pytest exercises/bn (stubs)", now, baseline, f"before {then:.2f} s, {now / then:.2f}x")
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT, check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topic", default="bn")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--learners", type=int, default=8)
    parser.add_argument("--before", help="a git revision whose engine to compare with")
    parser.add_argument("--only", nargs="*", type=int, help="run only these sections (0-4)")
    args = parser.parse_args()
    wanted = set(args.only) if args.only else {0, 1, 2, 3, 4}
    topic = args.topic
    katas = len(list((ROOT / "solutions" / topic).glob("*.py")))
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        submission = scratch / "submission"
        shutil.copytree(ROOT / "solutions", submission)

        baseline = wall([PYTHON, "-c", "import torch"], args.repeat)
        print(f"baseline: python -c 'import torch': {baseline:.2f} s (median of {args.repeat})")

        if 0 in wanted:
            print("\n0. the door between the grader and the learner's process")
            door(args.repeat)

        if 1 in wanted:
            print(f"\n1. the learner's loop (pytest exercises/{topic})")
            pytest = [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"exercises/{topic}"]
            row("stubs", wall(pytest, args.repeat), baseline)
            correct = [*pytest, "--katakit-target", str(submission)]
            row("correct submission", wall(correct, args.repeat), baseline)
            saved = save_to_result(topic, submission, max(args.repeat, 5))
            row("katakit watch: a save to its result (typical kata)", saved, baseline)

        if 2 in wanted:
            print(f"\n2. a whole submission, {katas} katas (katakit grade {topic})")
            grade = katakit("grade", topic, "--target", str(submission), "--exit-zero")
            contained = wall(grade, args.repeat)
            shared = wall([*grade, "--no-isolate"], args.repeat)
            row(
                "contained: a learner process per kata",
                contained,
                baseline,
                f"{contained / katas:.2f} s/kata",
            )
            row("one process for all katas", shared, baseline, f"{shared / katas:.2f} s/kata")
            print(f"  containment costs {(contained - shared) / katas * 1000:+.0f} ms per kata")
            if args.before:
                print(f"  every topic's reference, the engine of {args.before} vs this one:")
                before_and_after(args.before, scratch, args.repeat, baseline)

        if 3 in wanted:
            print(f"\n3. katakit grade vs nbgrader autograde ({topic})")
            nbgrader = shutil.which("nbgrader")
            has_export = subprocess.run(
                katakit("nbgrader", "--help"), capture_output=True
            ).returncode
            if nbgrader is None or has_export != 0:
                print("  skipped: nbgrader or `katakit nbgrader` is not available here")
            else:
                from nbgrader_timing import compare  # benchmarks/nbgrader_timing.py

                compare(ROOT, topic, submission, baseline, row)

        if 4 in wanted:
            print(f"\n4. class batches: {args.learners} learners x {katas} katas")
            learners = scratch / "class"
            for index in range(args.learners):
                shutil.copytree(submission / topic, learners / f"learner{index:02d}" / topic)
            for jobs in (1, 2, 4):
                out = scratch / f"out{jobs}"
                command = katakit(
                    "batch-grade", str(learners), "--out", str(out), "--select", topic,
                    "--jobs", str(jobs), "--force",
                )  # fmt: skip
                seconds = wall(command, 1)
                rate = args.learners / seconds * 60
                row(f"--jobs {jobs}", seconds, baseline, f"{rate:.1f} learners/minute")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
