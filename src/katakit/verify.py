"""The self-check: graders must give the reference full marks, the stub zero, and every mutant less.

A mutant is a complete kata module with one realistic mistake, kept beside the grader as
``graders/<topic>/mutants/<kata>__<mistake>.py``. A mutant that keeps full marks means the grader
misses that mistake -- a test is missing. The check grades whole rounds at once: the reference
round, the stub round, then round *i* swaps in each kata's *i*-th mutant.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from katakit.catalog import MIN_MUTANTS, Catalog, Kata, mutant_name
from katakit.runner import grade
from katakit.target import Target


@dataclass
class KataCheck:
    kata: Kata
    reference: tuple[int, int] = (0, 0)
    stub: tuple[int, int] = (0, 0)
    mutants: dict[str, tuple[int, int]] = field(default_factory=dict)

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
        for name, (score, max_score) in self.mutants.items():
            if max_score and score >= max_score:
                found.append(f"mutant '{name}' survives with {score}/{max_score}")
        if len(self.mutants) < MIN_MUTANTS:
            found.append(f"has {len(self.mutants)} mutant(s); at least {MIN_MUTANTS} are required")
        return found


def verify(catalog: Catalog, katas: list[Kata]) -> list[KataCheck]:
    checks = {kata.id: KataCheck(kata) for kata in katas}

    def scores(target: Target, selected: list[Kata]) -> dict[str, tuple[int, int]]:
        report = grade(catalog, selected, target)
        return {result.id: (result.score, result.max_score) for result in report.katas}

    for kata_id, score in scores(Target("solutions", catalog.root / "solutions"), katas).items():
        checks[kata_id].reference = score
    for kata_id, score in scores(Target("exercises", catalog.root / "exercises"), katas).items():
        checks[kata_id].stub = score
    mutants = {kata.id: catalog.files(kata).mutants for kata in katas}
    for round_index in range(max((len(paths) for paths in mutants.values()), default=0)):
        files = {k: paths[round_index] for k, paths in mutants.items() if len(paths) > round_index}
        selected = [kata for kata in katas if kata.id in files]
        target = Target(f"mutants round {round_index + 1}", files=files)
        for kata_id, score in scores(target, selected).items():
            checks[kata_id].mutants[mutant_name(files[kata_id])] = score
    return list(checks.values())


def verify_table(results: list[KataCheck]) -> str:
    """One line per kata: reference, stub and mutant scores, then any problems found."""
    id_width = max([4, *(len(check.kata.id) for check in results)])
    lines = [f"{'kata':<{id_width}}  reference  stub    mutants killed  verdict"]
    for check in results:
        killed = sum(score < max_score for score, max_score in check.mutants.values())
        reference = "{}/{}".format(*check.reference)
        stub = "{}/{}".format(*check.stub)
        verdict = "ok" if not check.problems else "FAIL"
        lines.append(
            f"{check.kata.id:<{id_width}}  {reference:>9}  {stub:>6}  "
            f"{killed:>6}/{len(check.mutants):<7}  {verdict}"
        )
        for name, (score, max_score) in check.mutants.items():
            lines.append(f"{'':<{id_width}}    mutant {name}: {score}/{max_score}")
        lines.extend(f"{'':<{id_width}}    ! {problem}" for problem in check.problems)
    return "\n".join(lines)
