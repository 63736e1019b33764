"""katakit's performance figures, measured in one run on one machine.

    python benchmarks/run.py [--topic bn] [--repeat 3] [--learners 8]

1. the learner's loop: ``pytest exercises/TOPIC`` against the stubs and a correct submission;
2. a whole submission under isolation: ``katakit grade TOPIC`` with a forked child per kata vs
   everything in one process, per kata;
3. ``katakit grade`` vs ``nbgrader autograde`` on the same katas and code (when nbgrader is
   installed and ``katakit nbgrader`` exists);
4. class batches: learners graded per minute against ``--jobs``.

Every figure is also given as a ratio to a baseline measured in the same run (``python -c
"import torch"``, the fixed cost each process pays), so runs on different machines compare.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def wall(command: list[str], repeat: int, cwd: Path = ROOT) -> float:
    """Median wall time of ``command`` over ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def row(name: str, seconds: float, baseline: float, note: str = "") -> None:
    print(f"  {name:<58} {seconds:7.2f} s  {seconds / baseline:5.2f}x baseline  {note}")


def katakit(*args: str) -> list[str]:
    return [PYTHON, "-m", "katakit", *args]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topic", default="bn")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--learners", type=int, default=8)
    args = parser.parse_args()
    topic = args.topic
    katas = len(list((ROOT / "solutions" / topic).glob("*.py")))
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        submission = scratch / "submission"
        shutil.copytree(ROOT / "solutions", submission)

        baseline = wall([PYTHON, "-c", "import torch"], args.repeat)
        print(f"baseline: python -c 'import torch': {baseline:.2f} s (median of {args.repeat})")

        print(f"\n1. the learner's loop (pytest exercises/{topic})")
        pytest = [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"exercises/{topic}"]
        row("stubs", wall(pytest, args.repeat), baseline)
        correct = [*pytest, "--katakit-target", str(submission)]
        row("correct submission", wall(correct, args.repeat), baseline)

        print(f"\n2. a whole submission, {katas} katas (katakit grade {topic})")
        grade = katakit("grade", topic, "--target", str(submission), "--exit-zero")
        isolated = wall(grade, args.repeat)
        shared = wall([*grade, "--no-isolate"], args.repeat)
        row(
            "isolated: a forked child per kata",
            isolated,
            baseline,
            f"{isolated / katas:.2f} s/kata",
        )
        row("one process for all katas", shared, baseline, f"{shared / katas:.2f} s/kata")
        print(f"  isolation costs {(isolated - shared) / katas * 1000:+.0f} ms per kata")

        print(f"\n3. katakit grade vs nbgrader autograde ({topic})")
        nbgrader = shutil.which("nbgrader")
        has_export = subprocess.run(katakit("nbgrader", "--help"), capture_output=True).returncode
        if nbgrader is None or has_export != 0:
            print("  skipped: nbgrader or `katakit nbgrader` is not available here")
        else:
            from nbgrader_timing import compare  # benchmarks/nbgrader_timing.py

            compare(ROOT, topic, submission, baseline, row)

        print(f"\n4. class batches: {args.learners} learners x {katas} katas")
        learners = scratch / "class"
        for index in range(args.learners):
            shutil.copytree(submission / topic, learners / f"learner{index:02d}" / topic)
        for jobs in (1, 2, 4):
            out = scratch / f"out{jobs}"
            seconds = wall(
                katakit(
                    "batch-grade",
                    str(learners),
                    "--out",
                    str(out),
                    "--select",
                    topic,
                    "--jobs",
                    str(jobs),
                    "--force",
                ),
                1,
            )
            rate = args.learners / seconds * 60
            row(f"--jobs {jobs}", seconds, baseline, f"{rate:.1f} learners/minute")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
