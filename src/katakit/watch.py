"""``katakit watch``: one warm process that grades a kata again each time its file is saved.

torch is imported once, here and in the learners' fork server, and a spare learner process
waits for the next save, so a save is graded in a fraction of a second instead of the seconds a
fresh ``pytest`` needs. File events come from watchfiles (inotify, FSEvents, ...), not polling.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from katakit.catalog import Catalog, Kata, learner_libraries
from katakit.isolation import DEFAULT_LIMITS
from katakit.plugin import DEFAULT_TEST_TIMEOUT, learner_budget
from katakit.results import Report
from katakit.runner import grade
from katakit.sandbox import remote
from katakit.sandbox.zygote import zygote
from katakit.target import Target

# How long a burst of file events (an editor's write, rename and chmod) may take; watchfiles'
# own default (1.6 s) would be most of the wait a learner sees.
DEBOUNCE_MS = 30
STEP_MS = 20


class Watcher:
    """Grades the katas of ``selection`` whose files change, one report per kata graded."""

    def __init__(self, catalog: Catalog, katas: list[Kata], target: Target) -> None:
        self.catalog, self.katas, self.target = catalog, katas, target
        self._by_path: dict[Path, Kata] = {}
        self._warmed = False
        for kata in katas:
            files = catalog.files(kata)
            for path in (target.locate(kata.id) or files.stub, files.examples):
                self._by_path[path.resolve()] = kata

    @property
    def folders(self) -> list[Path]:
        return sorted({path.parent for path in self._by_path})

    def katas_of(self, paths: Iterable[str | Path]) -> list[Kata]:
        """The katas whose files are among ``paths``, in learning order."""
        touched = {self._by_path.get(Path(path).resolve()) for path in paths}
        return [kata for kata in self.katas if kata in touched]

    def warm(self) -> None:
        """Start what every grading needs before the first save: the fork server (which
        imports torch, then pays torch's first-use costs while the learner edits) and a spare
        learner process."""
        zygote().start(learner_libraries(self.catalog, self.katas))
        remote.start_spare(learner_budget(DEFAULT_LIMITS, DEFAULT_TEST_TIMEOUT))
        if not self._warmed:
            zygote().warm()
            self._warmed = True

    def grade(self, kata: Kata) -> Report:
        """Grade ``kata`` (the journal of best scores is kept by the run itself)."""
        report = grade(self.catalog, [kata], self.target)
        self.warm()  # a spare learner process again, ready for the next save
        return report

    def run(
        self,
        show: Callable[[Report], None],
        stop: threading.Event | None = None,
        on_event: Callable[[], None] = lambda: None,
    ) -> None:
        """Grade each kata whose file is saved and ``show`` its report, until ``stop`` is set
        (or Ctrl-C). ``on_event`` is called as soon as a burst of file events is seen."""
        import watchfiles

        for changes in watchfiles.watch(
            *self.folders,
            debounce=DEBOUNCE_MS,
            step=STEP_MS,
            stop_event=stop,
            watch_filter=lambda change, path: Path(path).resolve() in self._by_path,
            raise_interrupt=False,
        ):
            on_event()
            for kata in self.katas_of(path for _change, path in changes):
                show(self.grade(kata))
