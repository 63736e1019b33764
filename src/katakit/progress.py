"""Progress of a long run: a live bar in a terminal, one plain line per step elsewhere (CI logs)."""

from __future__ import annotations

import sys
from typing import Any


class Progress:
    def __init__(self, total: int, label: str) -> None:
        self.total, self.label, self.done = total, label, 0
        self._bar: Any = None
        if sys.stderr.isatty():
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(transient=False)
            self._task = self._bar.add_task(label, total=total)

    def __enter__(self) -> Progress:
        if self._bar is not None:
            self._bar.start()
        return self

    def advance(self, outcome: Any) -> None:
        """Count one step; ``outcome`` has ``learner``, ``score``, ``max_score`` and ``error``."""
        self.done += 1
        if self._bar is not None:
            self._bar.advance(self._task)
            return
        if outcome.error:
            result = f"failed: {outcome.error}"
        elif outcome.score is None:
            result = "already graded"
        else:
            result = f"{outcome.score}/{outcome.max_score}"
        print(f"[{self.done}/{self.total}] {outcome.learner}: {result}", file=sys.stderr)

    def __exit__(self, *exc_info: object) -> None:
        if self._bar is not None:
            self._bar.stop()
