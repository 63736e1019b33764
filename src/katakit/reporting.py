"""Render a :class:`~katakit.results.Report` for people (a score table) and for tools (JSON)."""

from __future__ import annotations

import json
import unicodedata

from katakit.i18n import N_, _
from katakit.results import KataResult, Report

# The table names each status as the JSON report does (translated); listed for Babel to extract.
STATUS_NAMES = (N_("passed"), N_("failed"), N_("error"), N_("missing"), N_("timeout"))
STATUS_NAMES += (N_("crashed"), N_("ungraded"))


def _summary(kata: KataResult) -> str:
    if kata.tests:
        return kata.first_failure
    passed = sum(test.outcome == "passed" for test in kata.examples)
    return kata.first_failure or _("public examples {passed}/{total} pass").format(
        passed=passed, total=len(kata.examples)
    )


def _first_line(message: str, width: int) -> str:
    return cut(message.strip().splitlines()[0] if message.strip() else "", width)


def cut(text: str, width: int) -> str:
    """``text`` within ``width`` terminal columns, ending in "…" when it was cut."""
    if display_width(text) <= width:
        return text
    while text and display_width(text) > width - 1:
        text = text[:-1]
    return text + "…"


def display_width(text: str) -> int:
    """Columns a text takes in a terminal: a CJK character takes two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(width - display_width(text), 0)
    return gap + text if right else text + gap


def score_table(report: Report, width: int = 100, details: bool = True) -> str:
    """One line per kata (score, status, first failure), a total, then each first failure in full.

    The full message is repeated below the table wherever the table cell cannot hold it: that is
    where the expected and received values, the seed and the misconception are.
    """
    id_width = max([len("kata"), *(len(kata.id) for kata in report.katas)])
    score_width = max([len("score"), *(len(f"{k.score}/{k.max_score}") for k in report.katas)])
    kata_head, score_head, status_head = _("kata"), _("score"), _("status")
    first_head = _("first failure")
    id_width = max([display_width(kata_head), *(len(kata.id) for kata in report.katas)])
    score_width = max(
        [display_width(score_head), *(len(f"{k.score}/{k.max_score}") for k in report.katas)]
    )
    status_width = max(display_width(_(status)) for status in STATUS_NAMES)
    header = "  ".join(
        (
            pad(kata_head, id_width),
            pad(score_head, score_width, right=True),
            pad(status_head, status_width),
            first_head,
        )
    )
    lines = [_("katakit · target {target}").format(target=report.target), header]
    message_width = max(width - display_width(header) + display_width(first_head), 20)
    for kata in report.katas:
        score = f"{kata.score}/{kata.max_score}" if kata.tests else "-"
        message = _first_line(_summary(kata), message_width)
        row = (
            kata.id.ljust(id_width),
            score.rjust(score_width),
            pad(_(kata.status), status_width),
            message,
        )
        lines.append("  ".join(row).rstrip())
    total = f"{report.score}/{report.max_score}"
    lines.append(pad(_("total"), id_width) + "  " + total.rjust(score_width))
    if any(not kata.tests for kata in report.katas):
        lines.append(
            _(
                "status '{ungraded}': the hidden graders are not available in this copy; points "
                "come from them when your instructor grades (GitHub Classroom: on every push)"
            ).format(ungraded=_("ungraded"))
        )
    if details:
        for kata in report.katas:
            message = kata.first_failure.strip()
            if message != _first_line(message, message_width):
                lines.extend(["", f"{kata.id}:", *("  " + line for line in message.splitlines())])
    return "\n".join(lines)


def to_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False)
