"""Class analytics from a batch's reports: per kata, the score distribution, the share of each
state and the most frequent known mistakes, as text and as a self-contained HTML page.

The page is one file with inline SVG plots and inline CSS: no script, no network, nothing to
install; an instructor opens it in any browser. Every number shown is also in a ``data-``
attribute, so tools (and the tests) read the page without scraping its text.
"""

from __future__ import annotations

import html
import json
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from katakit.results import KATA_STATES

REPORTS = "reports"
PAGE = "stats.html"
TOP = 5  # most frequent mistakes listed per kata in the text summary


@dataclass
class Mistake:
    id: str | None
    text: str
    learners: int = 0

    @property
    def label(self) -> str:
        return self.id or self.text


@dataclass
class KataStats:
    id: str
    title: str
    max_score: int = 0
    scores: list[int] = field(default_factory=list)
    states: Counter[str] = field(default_factory=Counter)
    mistakes: dict[str, Mistake] = field(default_factory=dict)

    @property
    def learners(self) -> int:
        return len(self.scores)

    def histogram(self) -> list[tuple[int, int]]:
        """(score, how many learners) for every score from 0 to the kata's maximum."""
        counts = Counter(self.scores)
        return [(score, counts[score]) for score in range(max(self.max_score, *self.scores, 0) + 1)]

    def state_shares(self) -> list[tuple[str, int, float]]:
        """(state, learners, share) for each state that occurred, in the order of KATA_STATES."""
        order = [*KATA_STATES, *sorted(set(self.states) - set(KATA_STATES))]
        return [
            (state, self.states[state], self.states[state] / self.learners)
            for state in order
            if self.states[state]
        ]

    def top_mistakes(self, count: int | None = None) -> list[Mistake]:
        ranked = sorted(self.mistakes.values(), key=lambda m: (-m.learners, m.label))
        return ranked[:count] if count is not None else ranked

    def mean(self) -> float:
        return statistics.fmean(self.scores) if self.scores else 0.0

    def median(self) -> float:
        return statistics.median(self.scores) if self.scores else 0.0


def read_reports(grades: Path) -> list[dict[str, Any]]:
    """Every learner report of a batch: ``GRADES/reports/*.json`` (or ``GRADES/*.json``)."""
    folder = grades / REPORTS if (grades / REPORTS).is_dir() else grades
    if not folder.is_dir():
        raise ValueError(f"{grades} is not a batch-grade output folder (no {REPORTS}/ in it)")
    reports = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]
    if not reports:
        raise ValueError(f"no learner reports in {folder}: run `katakit batch-grade` first")
    return reports


def class_stats(reports: Iterable[dict[str, Any]]) -> list[KataStats]:
    """Per kata, in the order the reports list them: scores, states and matched mistakes (each
    mistake counted once per learner)."""
    by_id: dict[str, KataStats] = {}
    for report in reports:
        for kata in report["katas"]:
            stats = by_id.setdefault(kata["id"], KataStats(kata["id"], kata.get("title", "")))
            stats.max_score = max(stats.max_score, int(kata["max_score"]))
            stats.scores.append(int(kata["score"]))
            stats.states[kata.get("state") or kata["status"]] += 1
            seen: set[str] = set()
            for test in kata["tests"]:
                named = test.get("misconception")
                if not named:
                    continue
                mistake = Mistake(named.get("id"), named.get("text") or "")
                if mistake.label in seen:
                    continue
                seen.add(mistake.label)
                stats.mistakes.setdefault(mistake.label, mistake).learners += 1
    return list(by_id.values())


def summary(stats: list[KataStats]) -> str:
    """The text ``katakit stats`` prints."""
    lines: list[str] = []
    for kata in stats:
        lines.append(
            f"{kata.id}  ({kata.learners} learners, mean {kata.mean():.2f}/{kata.max_score}, "
            f"median {kata.median():g})"
        )
        lines.append(
            "  scores     " + "  ".join(f"{score}:{count}" for score, count in kata.histogram())
        )
        lines.append(
            "  states     "
            + "  ".join(f"{state} {share:.0%}" for state, _, share in kata.state_shares())
        )
        mistakes = kata.top_mistakes(TOP)
        if not mistakes:
            lines.append("  mistakes   none matched")
        for index, mistake in enumerate(mistakes):
            head = "  mistakes   " if index == 0 else "             "
            text = f" {mistake.text}" if mistake.id else ""
            lines.append(f"{head}{mistake.learners:>3} × {mistake.label}{text}")
        lines.append("")
    return "\n".join(lines).rstrip()


# -- the HTML page ---------------------------------------------------------------------------------
_CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; }
section.kata { border-top: 1px solid #ccc; padding-top: 1rem; margin-top: 1.5rem; }
.plots { display: flex; flex-wrap: wrap; gap: 2rem; align-items: flex-start; }
figure { margin: 0; }
figcaption { font-weight: 600; margin-bottom: .3rem; }
table.states { border-collapse: collapse; }
table.states td, table.states th { padding: .15rem .6rem; text-align: left; }
svg text { font-size: 11px; fill: #222; }
rect.bar { fill: #4c72b0; }
.mistakes rect.bar { fill: #dd8452; }
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _histogram_svg(kata: KataStats) -> str:
    bins = kata.histogram()
    tallest = max((count for _, count in bins), default=0) or 1
    width, height, bar = 30, 120, 22
    parts = [
        f'<svg class="histogram" role="img" width="{len(bins) * width + 20}" '
        f'height="{height + 40}" aria-label="score histogram of {_e(kata.id)}">'
    ]
    for index, (score, count) in enumerate(bins):
        tall = round(height * count / tallest)
        x = 10 + index * width
        parts.append(
            f'<rect class="bar" data-score="{score}" data-count="{count}" x="{x}" '
            f'y="{10 + height - tall}" width="{bar}" height="{tall}">'
            f"<title>score {score}: {count} learner(s)</title></rect>"
        )
        parts.append(
            f'<text x="{x + bar / 2}" y="{height + 25}" text-anchor="middle">{score}</text>'
        )
        parts.append(
            f'<text x="{x + bar / 2}" y="{10 + height - tall - 3}" '
            f'text-anchor="middle">{count}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _mistakes_svg(kata: KataStats) -> str:
    mistakes = kata.top_mistakes()
    if not mistakes:
        return '<p class="none">No known mistake matched.</p>'
    most = max(m.learners for m in mistakes)
    row, label_width, length = 22, 260, 240
    parts = [
        f'<svg class="mistakes" role="img" width="{label_width + length + 40}" '
        f'height="{row * len(mistakes) + 10}" aria-label="known mistakes in {_e(kata.id)}">'
    ]
    for index, mistake in enumerate(mistakes):
        y = 5 + index * row
        wide = round(length * mistake.learners / most)
        identifier = "" if mistake.id is None else f' data-id="{_e(mistake.id)}"'
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 14}" text-anchor="end">'
            f"{_e(_clip(mistake.label, 40))}</text>"
        )
        parts.append(
            f'<rect class="bar" data-misconception="{_e(mistake.label)}"{identifier} '
            f'data-count="{mistake.learners}" x="{label_width}" y="{y}" width="{wide}" '
            f'height="{row - 6}"><title>{_e(mistake.text)}: {mistake.learners} learner(s)'
            "</title></rect>"
        )
        parts.append(f'<text x="{label_width + wide + 4}" y="{y + 14}">{mistake.learners}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _states_table(kata: KataStats) -> str:
    rows = "".join(
        f'<tr data-state="{_e(state)}" data-count="{count}" data-share="{share:.4f}">'
        f"<td>{_e(state)}</td><td>{count}</td><td>{share:.0%}</td></tr>"
        for state, count, share in kata.state_shares()
    )
    return (
        '<table class="states"><thead><tr><th>state</th><th>learners</th><th>share</th></tr>'
        f"</thead><tbody>{rows}</tbody></table>"
    )


def html_page(stats: list[KataStats], title: str = "katakit class statistics") -> str:
    """A self-contained page: per kata a score histogram, a state table and a bar chart of the
    known mistakes its learners' failures matched."""
    learners = max((kata.learners for kata in stats), default=0)
    sections = []
    for kata in stats:
        mistakes_list = "".join(
            f'<li data-misconception="{_e(m.label)}" data-count="{m.learners}">'
            f"<code>{_e(m.label)}</code> {_e(m.text) if m.id else ''} ({m.learners})</li>"
            for m in kata.top_mistakes()
        )
        sections.append(
            f'<section class="kata" data-kata="{_e(kata.id)}" data-learners="{kata.learners}" '
            f'data-max-score="{kata.max_score}" data-mean="{kata.mean():.4f}" '
            f'data-median="{kata.median():g}">'
            f"<h2>{_e(kata.id)}</h2><p>{_e(kata.title)}: {kata.learners} learners, mean "
            f"{kata.mean():.2f} of {kata.max_score}, median {kata.median():g}</p>"
            '<div class="plots">'
            f"<figure><figcaption>Scores</figcaption>{_histogram_svg(kata)}</figure>"
            f"<figure><figcaption>States</figcaption>{_states_table(kata)}</figure>"
            f'<figure class="mistakes"><figcaption>Known mistakes matched</figcaption>'
            f"{_mistakes_svg(kata)}</figure>"
            f'</div><ul class="mistakes">{mistakes_list}</ul></section>'
        )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>"
        f'<h1>{_e(title)}</h1><p class="summary" data-learners="{learners}" '
        f'data-katas="{len(stats)}">{learners} learners, {len(stats)} katas</p>'
        + "".join(sections)
        + "</body></html>\n"
    )


def write_stats(grades: Path, page: Path | None = None) -> tuple[str, Path]:
    """Read a batch's reports; return the text summary and the path of the HTML page written
    (``GRADES/stats.html`` unless ``page`` says otherwise)."""
    stats = class_stats(read_reports(grades))
    path = page or grades / PAGE
    path.write_text(html_page(stats), encoding="utf-8")
    return summary(stats), path
