"""Render a :class:`~katakit.results.Report` for people (a score table) and for tools (JSON)."""

from __future__ import annotations

import json

from katakit.results import KataResult, Report

_STATUS_LABEL = {
    "passed": "ok",
    "failed": "failed",
    "error": "error",
    "missing": "missing",
    "timeout": "timeout",
    "crashed": "crashed",
    "ungraded": "examples",
}


def _summary(kata: KataResult) -> str:
    if kata.tests:
        return kata.first_failure
    passed = sum(test.outcome == "passed" for test in kata.examples)
    return kata.first_failure or f"public examples {passed}/{len(kata.examples)} pass"


def _first_line(message: str, width: int) -> str:
    line = message.strip().splitlines()[0] if message.strip() else ""
    return line if len(line) <= width else line[: max(width - 1, 0)] + "…"


def score_table(report: Report, width: int = 100, details: bool = True) -> str:
    """One line per kata (score, status, first failure), a total, then each first failure in full.

    The full message is repeated below the table wherever the table cell cannot hold it: that is
    where the expected and received values, the seed and the misconception are.
    """
    id_width = max([len("kata"), *(len(kata.id) for kata in report.katas)])
    score_width = max([len("score"), *(len(f"{k.score}/{k.max_score}") for k in report.katas)])
    header = f"{'kata':<{id_width}}  {'score':>{score_width}}  {'status':<9}  first failure"
    lines = [f"katakit · target {report.target}", header]
    message_width = max(width - len(header) + len("first failure"), 20)
    for kata in report.katas:
        score = f"{kata.score}/{kata.max_score}" if kata.tests else "-"
        status = _STATUS_LABEL[kata.status]
        message = _first_line(_summary(kata), message_width)
        lines.append(
            f"{kata.id:<{id_width}}  {score:>{score_width}}  {status:<9}  {message}".rstrip()
        )
    total = f"{report.score}/{report.max_score}"
    lines.append(f"{'total':<{id_width}}  {total:>{score_width}}")
    if any(not kata.tests for kata in report.katas):
        lines.append(
            "status 'examples': the hidden graders are not available in this copy; "
            "points come from them when your instructor grades (GitHub Classroom: on every push)"
        )
    if details:
        for kata in report.katas:
            message = kata.first_failure.strip()
            if message != _first_line(message, message_width):
                lines.extend(["", f"{kata.id}:", *("  " + line for line in message.splitlines())])
    return "\n".join(lines)


def to_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False)
