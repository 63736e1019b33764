"""Wall time of the learner's loop: ``pytest exercises/<topic>`` against the stubs and against a
correct submission (the reference solutions copied to a scratch folder used as the target).

    python benchmarks/learner_loop.py [TOPIC] [--repeat N]

Prints the median of N runs of each and their ratio to a baseline measured in the same run:
``python -c "import torch"``, the fixed cost every run pays before grading starts.
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


def wall(command: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("topic", nargs="?", default="bn")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch) / "submission"
        shutil.copytree(ROOT / "solutions", target)
        pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        rows = {
            "baseline: python -c 'import torch'": [sys.executable, "-c", "import torch"],
            f"pytest exercises/{args.topic} (stubs)": [*pytest, f"exercises/{args.topic}"],
            f"pytest exercises/{args.topic} (correct submission)": [
                *pytest,
                f"exercises/{args.topic}",
                "--katakit-target",
                str(target),
            ],
        }
        results = {name: wall(command, args.repeat) for name, command in rows.items()}
    baseline = next(iter(results.values()))
    print(f"median of {args.repeat} runs each")
    for name, seconds in results.items():
        print(f"{name:<55} {seconds:6.2f} s  {seconds / baseline:5.2f}x baseline")


if __name__ == "__main__":
    main()
