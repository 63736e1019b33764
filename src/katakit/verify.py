"""The self-check: graders must give the reference full marks, the stub zero, and every mutant less.

A mutant is the reference with one realistic mistake, written as a patch in
``graders/<topic>/mutants/<kata>.toml`` (see :mod:`katakit.mutation`). A mutant that keeps full
marks means the grader misses that mistake -- a test is missing. Each mutant's module is built
into a private temporary folder, never into the project. The check grades whole rounds at once:
the reference round, the stub round, then round *i* swaps in each kata's *i*-th mutant.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from katakit.catalog import Catalog, Kata
from katakit.mutation import Mutant, MutantFileError, PatchError, build, mutants_of
from katakit.mutation import problems as mutant_problems
from katakit.results import KataResult, TestResult
from katakit.runner import grade
from katakit.target import Target


@dataclass
class MutantCheck:
    """How one mutant fared: its score, the first test that failed and every failure message."""

    mutant: Mutant
    score: int
    max_score: int
    killed_by: str = ""  # "test_name" or "test_name (timeout)"; empty if no test failed
    messages: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()  # every test that failed (all of them with ``every_test``)

    @staticmethod
    def seen_enough(mutant: Mutant, tests: list[TestResult]) -> bool:
        """Whether grading ``mutant`` further can change its verdict: not once a test failed
        (naming its declared misconception, if it declares one). The self-check skips the rest,
        which makes it several times quicker than grading every mutant in full."""
        wanted = mutant.misconception_id
        return any(
            test.outcome not in ("passed", "skipped")
            and (not wanted or f"[{wanted}]" in test.message)
            for test in tests
        )

    @classmethod
    def of(cls, mutant: Mutant, result: KataResult) -> MutantCheck:
        failed = [test for test in result.tests if test.outcome not in ("passed", "skipped")]
        killed_by = ""
        if failed:
            first = failed[0]
            killed_by = first.name + ("" if first.outcome == "failed" else f" ({first.outcome})")
        messages = tuple(test.message for test in failed)
        names = tuple(test.name for test in failed)
        return cls(mutant, result.score, result.max_score, killed_by, messages, names)

    @property
    def survives(self) -> bool:
        return bool(self.max_score) and not self.killed_by

    @property
    def problems(self) -> list[str]:
        name = self.mutant.name
        if self.survives:
            return [f"mutant '{name}' survives with {self.score}/{self.max_score}"]
        wanted = self.mutant.misconception_id
        if wanted and not any(f"[{wanted}]" in message for message in self.messages):
            return [
                f"mutant '{name}' declares misconception {wanted}, but no failing test's "
                f"message names [{wanted}]"
            ]
        return []


@dataclass
class KataCheck:
    kata: Kata
    reference: tuple[int, int] = (0, 0)
    stub: tuple[int, int] = (0, 0)
    mutants: dict[str, MutantCheck] = field(default_factory=dict)
    # what is wrong with the mutants before any is graded: stale patches, a bad mutants file
    static: list[str] = field(default_factory=list)
    tests: tuple[str, ...] = ()  # the grader's tests, as the reference ran them

    @property
    def unexercised(self) -> list[str]:
        """The tests no mutant fails (meaningful when every mutant ran every test): a promise
        whose mistakes no mutant models yet, or a test that cannot fail."""
        failed = {name for check in self.mutants.values() for name in check.failed}
        return [name for name in self.tests if name not in failed]

    @property
    def problems(self) -> list[str]:
        found = []
        score, max_score = self.reference
        if max_score == 0:
            found.append("no graded tests ran for the reference solution")
        elif score != max_score:
            found.append(f"reference solution scores {score}/{max_score}, not full marks")
        if self.stub[0] != 0:
            found.append(f"stub scores {self.stub[0]}/{self.stub[1]}, not 0")
        found += self.static
        for check in self.mutants.values():
            found += check.problems
        return found


def _build(catalog: Catalog, kata: Kata, folder: Path) -> list[tuple[Mutant, Path]]:
    """Each of ``kata``'s mutants that builds, with the file to grade for it."""
    built = []
    for mutant in mutants_of(catalog, kata):
        try:
            built.append((mutant, build(catalog, mutant, folder)))
        except (PatchError, OSError):
            continue  # reported by mutant_problems
    return built


def committed_stubs(catalog: Catalog, katas: list[Kata], folder: Path) -> Target:
    """The stubs as committed (git's HEAD), written to ``folder``: a learner working in this
    checkout edits ``exercises/``, and the self-check judges the stubs, not their answers. A stub
    git does not know yet (a kata being written) or a project outside git: the file as it is."""
    files = {}
    for kata in katas:
        stub = catalog.files(kata).stub
        relative = stub.relative_to(catalog.root).as_posix()
        try:
            shown = subprocess.run(
                ["git", "-C", str(catalog.root), "show", f"HEAD:{relative}"],
                capture_output=True,
                check=False,
            )
        except FileNotFoundError:  # no git on this machine
            shown = None
        if shown is not None and shown.returncode == 0:
            path = folder / kata.topic / stub.name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(shown.stdout)
            files[kata.id] = path
        else:
            files[kata.id] = stub
    return Target("exercises", files=files)


def verify(catalog: Catalog, katas: list[Kata], *, every_test: bool = False) -> list[KataCheck]:
    """The self-check of ``katas``. With ``every_test`` each mutant runs through every test (no
    stop at the first that kills it), so that :func:`verify_table` can list what one mistake
    costs: one mistake should lose the tests of its own promise, not unrelated ones."""
    checks = {kata.id: KataCheck(kata) for kata in katas}

    def results(
        target: Target, selected: list[Kata], enough=None, cost=None
    ) -> dict[str, KataResult]:
        report = grade(catalog, selected, target, enough=enough, cost=cost)
        return {result.id: result for result in report.katas}

    # how long each test took on the reference: mutants run the quick ones first, so that the
    # test that kills one (and the rest are skipped) comes early
    seconds: dict[str, dict[str, float]] = {}
    for kata_id, result in results(Target("solutions", catalog.root / "solutions"), katas).items():
        checks[kata_id].reference = (result.score, result.max_score)
        checks[kata_id].tests = tuple(test.name for test in result.tests)
        seconds[kata_id] = {test.name: test.seconds for test in result.tests}

    def cost(kata_id: str, name: str) -> float:
        # in steps of 50 ms: tests quicker than that keep the grader's order, whatever the noise
        return round(seconds.get(kata_id, {}).get(name, 0.0) / 0.05)

    with tempfile.TemporaryDirectory(prefix="katakit-stubs-") as folder:
        stubs = committed_stubs(catalog, katas, Path(folder))
        for kata_id, result in results(stubs, katas).items():
            checks[kata_id].stub = (result.score, result.max_score)
    with tempfile.TemporaryDirectory(prefix="katakit-mutants-") as folder:
        built: dict[str, list[tuple[Mutant, Path]]] = {}
        for kata in katas:
            checks[kata.id].static = mutant_problems(catalog, kata, require_reasons=False)
            try:
                built[kata.id] = _build(catalog, kata, Path(folder))
            except MutantFileError:
                built[kata.id] = []  # the static problems name the file
        rounds = max((len(pairs) for pairs in built.values()), default=0)
        for round_index in range(rounds):
            chosen = {
                k: pairs[round_index] for k, pairs in built.items() if round_index < len(pairs)
            }
            selected = [kata for kata in katas if kata.id in chosen]
            files = {kata_id: path for kata_id, (_, path) in chosen.items()}
            target = Target(f"mutants round {round_index + 1}", files=files)

            def enough(kata_id: str, tests: list[TestResult], chosen=chosen) -> bool:
                return MutantCheck.seen_enough(chosen[kata_id][0], tests)

            stop = None if every_test else enough
            for kata_id, result in results(target, selected, stop, cost).items():
                mutant = chosen[kata_id][0]
                checks[kata_id].mutants[mutant.name] = MutantCheck.of(mutant, result)
    return list(checks.values())


def verify_table(results: list[KataCheck], *, every_test: bool = False) -> str:
    """One line per kata: reference, stub and mutant scores, then any problems found; with
    ``every_test`` (the mutants ran every test), each mutant's failing tests and points lost."""
    id_width = max([4, *(len(check.kata.id) for check in results)])
    lines = [f"{'kata':<{id_width}}  reference  stub    mutants killed  verdict"]
    for check in results:
        killed = sum(not m.survives for m in check.mutants.values())
        reference = "{}/{}".format(*check.reference)
        stub = "{}/{}".format(*check.stub)
        verdict = "ok" if not check.problems else "FAIL"
        lines.append(
            f"{check.kata.id:<{id_width}}  {reference:>9}  {stub:>6}  "
            f"{killed:>6}/{len(check.mutants):<7}  {verdict}"
        )
        for name, mutant in check.mutants.items():
            # a killed mutant's other tests were skipped (unless every test ran): its score
            # would say nothing
            if mutant.survives:
                verdict = f"survives with {mutant.score}/{mutant.max_score}"
            elif every_test:
                lost = mutant.max_score - mutant.score
                verdict = f"loses {lost} in {len(mutant.failed)} tests: {', '.join(mutant.failed)}"
            else:
                verdict = f"killed by {mutant.killed_by}"
            lines.append(f"{'':<{id_width}}    mutant {name}: {verdict}")
        if every_test and check.unexercised:
            names = ", ".join(check.unexercised)
            lines.append(f"{'':<{id_width}}    no mutant fails: {names}")
        lines.extend(f"{'':<{id_width}}    ! {problem}" for problem in check.problems)
    return "\n".join(lines)
