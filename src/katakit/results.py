"""The results of one grading run: points per test, summed per kata, and the run's total.

One :class:`Report` is filled per run and every output (score table, JSON, later exports) is a
pure function of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# How a single test ended.
TEST_OUTCOMES = ("passed", "failed", "error", "skipped", "timeout", "crashed", "missing")
# How a whole kata ended; "ungraded" means no hidden grader was available for it.
KATA_STATUSES = ("passed", "failed", "error", "missing", "timeout", "crashed", "ungraded")
# Why a kata scored what it did, finer than its status (the gradebook's status columns):
# "graded" means the graders ran on code the learner wrote, whatever it scored.
KATA_STATES = (
    "graded",
    "missing",
    "syntax-error",
    "import-error",
    "untouched-stub",
    "timeout",
    "crashed",
    "error",
    "ungraded",
)
# Outcomes that void the whole kata: code that hangs, ends or floods its process, does not import,
# or tampers with libraries earns nothing, whatever its other tests did.
FATAL_OUTCOMES = ("timeout", "crashed", "error")


@dataclass
class TestResult:
    name: str
    max_score: int
    outcome: str
    message: str = ""
    # the known mistake the failure matched: {"id": "<topic>/<name>" or None, "text": ...}
    misconception: dict[str, str | None] | None = None
    # why it failed where that sets the kata's state: syntax-error, import-error,
    # not-implemented; "" otherwise
    cause: str = ""
    seconds: float = 0.0  # how long it ran (the self-check runs quick tests first)

    @property
    def score(self) -> int:
        return self.max_score if self.outcome == "passed" else 0

    def to_dict(self, voided: bool = False) -> dict[str, Any]:
        max_score = 0 if self.outcome == "skipped" else self.max_score
        return {
            "name": self.name,
            "score": 0 if voided else self.score,
            "max_score": max_score,
            "outcome": self.outcome,
            "message": self.message,
            "misconception": self.misconception,
        }


@dataclass
class KataResult:
    id: str
    title: str
    points: int
    tests: list[TestResult] = field(default_factory=list)
    examples: list[TestResult] = field(default_factory=list)

    @property
    def voided(self) -> bool:
        """A fatal outcome in any test: the kata earns nothing."""
        return any(test.outcome in FATAL_OUTCOMES for test in self.tests)

    @property
    def score(self) -> int:
        return 0 if self.voided else sum(test.score for test in self.tests)

    @property
    def max_score(self) -> int:
        """The kata's points, less the points of tests skipped on this machine (GPU tests);
        0 for an ungraded kata (no hidden grader in this copy)."""
        return sum(test.max_score for test in self.tests if test.outcome != "skipped")

    @property
    def status(self) -> str:
        outcomes = {test.outcome for test in self.tests}
        if not self.tests:
            return "ungraded"
        for status in ("missing", "crashed", "timeout", "error"):
            if status in outcomes:
                return status
        return "passed" if self.score == self.max_score else "failed"

    @property
    def state(self) -> str:
        """One of :data:`KATA_STATES`: tells a syntax error from an untouched stub."""
        status = self.status
        if status in ("ungraded", "missing", "crashed", "timeout"):
            return status
        causes = {test.cause for test in self.tests if test.outcome != "skipped"}
        for cause in ("syntax-error", "import-error"):
            if cause in causes:
                return cause
        if status == "error":
            return "error"
        if causes == {"not-implemented"} and self.score == 0:
            return "untouched-stub"  # every graded test reached code that is not written yet
        return "graded"

    @property
    def first_failure(self) -> str:
        for test in (*self.tests, *self.examples):
            if test.outcome not in ("passed", "skipped"):
                return test.message
        return ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "score": self.score,
            "max_score": self.max_score,
            "status": self.status,
            "state": self.state,
            "tests": [test.to_dict(self.voided) for test in self.tests],
            "examples": [test.to_dict() for test in self.examples],
        }


@dataclass
class Report:
    target: str
    katas: list[KataResult] = field(default_factory=list)

    @property
    def score(self) -> int:
        return sum(kata.score for kata in self.katas)

    @property
    def max_score(self) -> int:
        return sum(kata.max_score for kata in self.katas)

    def kata(self, kata_id: str) -> KataResult:
        return next(kata for kata in self.katas if kata.id == kata_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "score": self.score,
            "max_score": self.max_score,
            "katas": [kata.to_dict() for kata in self.katas],
        }
