"""A class of 20 submissions graded end to end: reports, gradebook, resuming and shards; then a
class of fixtures/learners graded by the real CLI: a learner that kills or stops its grading
process, a syntax error, an untouched stub, a whole-repository layout; regrading one learner;
class statistics and their HTML page."""

import csv
import itertools
import json
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from katakit import batch
from katakit.batch import batch_grade, learners, parse_shard
from katakit.cli import main
from katakit.isolation import Limits

from .conftest import FIXTURES, PROJECT, SUBMISSIONS

# its module fixtures are expensive: one pytest-xdist worker runs the whole module
pytestmark = pytest.mark.xdist_group("batch")

LIMITS = Limits(kata_seconds=5, memory_mb=512, output_mb=1)


@pytest.fixture(scope="module")
def classroom(tmp_path_factory) -> Path:
    """20 learners: the reference, the stubs, and every case of fixtures/submissions."""
    root = tmp_path_factory.mktemp("class")
    sources = {"reference": PROJECT / "solutions", "untouched": PROJECT / "exercises"}
    sources |= {path.name: path for path in SUBMISSIONS.iterdir() if path.is_dir()}
    for name, source in sources.items():
        shutil.copytree(source / "demo", root / name / "demo")
    assert len(sources) >= 20
    # a whole repository, as a Classroom clone has it: the katas under exercises/
    shutil.copytree(PROJECT / "solutions/demo", root / "whole_repo/exercises/demo")
    (root / "whole_repo/README.md").write_text("# assignment\n")
    return root


@pytest.fixture(scope="module")
def graded(classroom, tmp_path_factory, demo_catalog):
    out = tmp_path_factory.mktemp("out")
    katas = demo_catalog.select(["demo/add", "demo/mean"])
    outcomes = batch_grade(
        demo_catalog, katas, classroom, out, jobs=2, limits=LIMITS, test_timeout=1
    )
    return out, outcomes


def read_gradebook(out: Path) -> dict[str, dict[str, str]]:
    with (out / "gradebook.csv").open() as handle:
        return {row["learner"]: row for row in csv.DictReader(handle)}


def test_every_learner_gets_a_report_and_a_gradebook_row(classroom, graded):
    out, outcomes = graded
    names = sorted(path.name for path in classroom.iterdir())
    assert sorted(o.learner for o in outcomes) == names
    assert not [o for o in outcomes if o.error]
    assert sorted(p.stem for p in (out / "reports").glob("*.json")) == names
    book = read_gradebook(out)
    assert sorted(book) == names
    assert list(next(iter(book.values()))) == [
        "learner",
        "demo/add",
        "demo/mean",
        "total",
        "max_total",
        "demo/add status",
        "demo/mean status",
        "matched",
    ]


def test_gradebook_scores_match_each_learner_graded_alone(graded):
    out, _ = graded
    book = read_gradebook(out)
    assert (book["reference"]["total"], book["reference"]["max_total"]) == ("5", "5")
    assert book["untouched"]["total"] == "0"
    assert (book["whole_repo"]["total"], book["whole_repo"]["demo/add status"]) == ("5", "graded")
    assert book["untouched"]["demo/add status"] == "untouched-stub"
    assert book["syntax_error"]["demo/add status"] == "syntax-error"
    assert book["exits_os"]["demo/add status"] == "crashed"
    for case in SUBMISSIONS.iterdir():
        expected = json.loads((case / "expected.json").read_text())
        for kata_id, want in expected.items():
            assert book[case.name][kata_id] == str(want["score"]), (case.name, kata_id)
        report = json.loads((out / "reports" / f"{case.name}.json").read_text())
        assert report["learner"] == case.name
        assert int(book[case.name]["total"]) == sum(k["score"] for k in report["katas"])


def test_a_second_run_resumes_and_force_regrades(classroom, graded, demo_catalog):
    out, _ = graded
    katas = demo_catalog.select(["demo/add", "demo/mean"])
    (out / "reports" / "reference.json").unlink()
    again = batch_grade(demo_catalog, katas, classroom, out, jobs=1, limits=LIMITS, test_timeout=1)
    assert [o.learner for o in again if o.score is not None] == ["reference"]
    only_two = classroom.parent / "two"
    for name in ("reference", "partial"):
        shutil.copytree(classroom / name, only_two / name)
    forced = batch_grade(
        demo_catalog, katas, only_two, out, force=True, limits=LIMITS, test_timeout=1
    )
    assert sorted(o.learner for o in forced if o.score is not None) == ["partial", "reference"]


def test_shards_split_the_class_without_overlap(classroom):
    everyone = learners(classroom)
    shards = [learners(classroom, (index, 3)) for index in (1, 2, 3)]
    assert sorted(itertools.chain.from_iterable(shards)) == sorted(everyone)
    assert sum(len(shard) for shard in shards) == len(everyone)
    with pytest.raises(ValueError, match="i/n"):
        parse_shard("2-3")


def test_cli_batch_grade_one_shard(classroom, tmp_path, capsys):
    code = main(
        [
            "--root",
            str(PROJECT),
            "batch-grade",
            str(classroom),
            "--out",
            str(tmp_path),
            "--select",
            "demo/mean",
            "--shard",
            "1/10",
            "--jobs",
            "1",
        ]
    )
    out = capsys.readouterr().out
    shard = len(learners(classroom, (1, 10)))
    assert code == 0 and f"graded {shard}, skipped 0" in out
    assert len(read_gradebook(tmp_path)) == shard


# -- the real CLI on fixtures/learners ---------------------------------------------------------
LEARNERS = FIXTURES / "learners"
KATAKIT = [sys.executable, "-m", "katakit", "--root", str(PROJECT)]


def katakit(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*KATAKIT, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(Path(batch.__file__).parents[1])},
    )


def batch_cli(submissions: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    # --no-isolate: learner code runs in its learner's grading process, which the killer and
    # the stopper then end or stop; the class must go on
    return katakit(
        "batch-grade",
        str(submissions),
        "--out",
        str(out),
        "--select",
        "demo/add",
        "demo/mean",
        "--jobs",
        "2",
        "--timeout",
        "2",
        "--no-isolate",
        *extra,
    )


@pytest.fixture(scope="module")
def cli_class(tmp_path_factory) -> tuple[Path, Path, subprocess.CompletedProcess]:
    root = tmp_path_factory.mktemp("learners")
    submissions = Path(shutil.copytree(LEARNERS, root / "class"))
    # a syntax error lives here rather than in fixtures/, which ruff and editors read
    (submissions / "syntax_error/demo").mkdir(parents=True)
    (submissions / "syntax_error/demo/add.py").write_text("def add(a, b)\n    return a + b\n")
    out = root / "out"
    return submissions, out, batch_cli(submissions, out)


def test_cli_a_learner_that_kills_or_stops_its_process_is_crashed_and_the_class_goes_on(
    cli_class,
):
    submissions, out, run = cli_class
    assert run.returncode == 0, run.stderr
    assert "graded 5, skipped 0 already graded, crashed 2" in run.stdout
    book = read_gradebook(out)
    assert sorted(book) == sorted(path.name for path in submissions.iterdir())
    for name, signal_name in (("kills_itself", "SIGKILL"), ("stops_itself", "SIGSTOP")):
        assert (book[name]["demo/add status"], book[name]["demo/mean status"]) == (
            "crashed",
            "crashed",
        )
        assert (book[name]["total"], book[name]["max_total"]) == ("0", "5")
        report = json.loads((out / "reports" / f"{name}.json").read_text())
        assert signal_name in report["crashed"] and signal_name in run.stderr
        assert {kata["status"] for kata in report["katas"]} == {"crashed"}


def test_cli_gradebook_tells_why_a_kata_scored_what_it_did(cli_class):
    _, out, _ = cli_class
    book = read_gradebook(out)
    states = {name: (row["demo/add status"], row["demo/mean status"]) for name, row in book.items()}
    assert states["syntax_error"] == ("syntax-error", "missing")
    assert states["import_error"] == ("import-error", "missing")
    assert states["stub"] == ("untouched-stub", "untouched-stub")
    assert states["mistaken"] == ("graded", "graded")
    assert book["repo_layout"]["total"] == "5"  # whole repository: exercises/demo/*.py
    assert book["mistaken"]["matched"] == "demo/add: demo/subtracts; demo/mean: demo/n-minus-one"
    assert book["stub"]["matched"] == ""


def test_cli_json_report_names_a_matched_mistake_by_stable_id(cli_class):
    _, out, _ = cli_class
    report = json.loads((out / "reports/mistaken.json").read_text())
    tests = {(k["id"], t["name"]): t for k in report["katas"] for t in k["tests"]}
    assert tests["demo/add", "test_adds_small_numbers"]["misconception"] == {
        "id": "demo/subtracts",
        "text": "subtracting instead of adding",
    }
    assert tests["demo/mean", "test_mean_of_a_few_values"]["misconception"] == {
        "id": "demo/n-minus-one",
        "text": "dividing by n - 1",
    }
    assert tests["demo/add", "test_adds_negative_numbers"]["misconception"] is None


def test_cli_regrades_one_learner_with_only_or_force(cli_class, tmp_path):
    submissions, out, _ = cli_class
    graded = tmp_path / "out"
    shutil.copytree(out, graded)
    before = (graded / "reports/repo_layout.json").stat().st_mtime_ns
    run = batch_cli(submissions, graded, "--only", "repo_layout")
    assert run.returncode == 0, run.stderr
    assert "graded 1, skipped 0 already graded, crashed 0" in run.stdout
    assert (graded / "reports/repo_layout.json").stat().st_mtime_ns > before
    run = batch_cli(submissions, graded, "--force", "stub")
    assert "graded 1, skipped 6 already graded, crashed 0" in run.stdout
    assert len(read_gradebook(graded)) == 7
    run = batch_cli(submissions, graded, "--only", "nobody")
    assert run.returncode == 2 and "no learner nobody" in run.stderr


def test_cli_refuses_a_single_submission_given_as_the_class(tmp_path):
    for submission in (LEARNERS / "repo_layout", LEARNERS / "mistaken"):
        run = batch_cli(submission, tmp_path / "out")
        assert run.returncode == 2
        assert "looks like one learner's submission" in run.stderr
        assert "katakit grade --target" in run.stderr
        assert not (tmp_path / "out/reports").exists()  # no learner invented


def test_grading_that_raises_is_recorded_as_crashed(tmp_path, demo_catalog, monkeypatch):
    submissions = tmp_path / "class"
    for name in ("ok", "broken"):
        shutil.copytree(PROJECT / "solutions/demo", submissions / name / "demo")
    real_grade = batch.grade

    def grade(catalog, katas, target, **kwargs):
        if target.name == "broken":
            raise RuntimeError("the grader blew up")
        return real_grade(catalog, katas, target, **kwargs)

    monkeypatch.setattr(batch, "grade", grade)  # the forked grading processes inherit it
    katas = demo_catalog.select(["demo/add"])
    outcomes = batch_grade(demo_catalog, katas, submissions, tmp_path / "out", limits=None)
    by_name = {outcome.learner: outcome for outcome in outcomes}
    assert by_name["ok"].status == "graded" and by_name["ok"].score == 3
    assert by_name["broken"].status == "crashed"
    assert "RuntimeError: the grader blew up" in by_name["broken"].error
    book = read_gradebook(tmp_path / "out")
    assert book["broken"]["demo/add status"] == "crashed" and book["ok"]["total"] == "3"


class Page(HTMLParser):
    """The structure of the stats page: sections, bars, state rows, external references."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, dict] = {}
        self.current: dict | None = None
        self.external: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append(tag)
        for name in ("src", "href"):
            if attributes.get(name):
                self.external.append(attributes[name])
        if tag == "section" and "data-kata" in attributes:
            self.current = {"attrs": attributes, "scores": {}, "mistakes": {}, "states": {}}
            self.sections[attributes["data-kata"]] = self.current
        elif self.current is None:
            return
        elif tag == "rect" and "data-score" in attributes:
            self.current["scores"][int(attributes["data-score"])] = int(attributes["data-count"])
        elif tag == "rect" and "data-misconception" in attributes:
            label = attributes["data-misconception"]
            self.current["mistakes"][label] = int(attributes["data-count"])
        elif tag == "tr" and "data-state" in attributes:
            self.current["states"][attributes["data-state"]] = float(attributes["data-share"])


def test_cli_stats_prints_and_writes_a_self_contained_page(cli_class, tmp_path):
    _, out, _ = cli_class
    grades = Path(shutil.copytree(out, tmp_path / "grades"))
    run = katakit("stats", str(grades))
    assert run.returncode == 0, run.stderr
    assert "demo/add  (7 learners" in run.stdout
    assert "1 × demo/subtracts subtracting instead of adding" in run.stdout
    assert "untouched-stub 14%" in run.stdout and "crashed 29%" in run.stdout
    page = Page()
    page.feed((grades / "stats.html").read_text(encoding="utf-8"))
    assert page.tags[:2] == ["html", "head"] and "svg" in page.tags
    assert page.external == [] and "script" not in page.tags  # nothing to fetch, nothing to run
    assert set(page.sections) == {"demo/add", "demo/mean"}
    add = page.sections["demo/add"]
    assert add["attrs"]["data-learners"] == "7" and add["attrs"]["data-max-score"] == "3"
    assert add["scores"] == {0: 6, 1: 0, 2: 0, 3: 1}  # a histogram bar for every score
    assert add["mistakes"] == {"demo/subtracts": 1}
    seventh = pytest.approx(1 / 7, abs=1e-3)
    assert add["states"] == {
        "graded": pytest.approx(2 / 7, abs=1e-3),
        "syntax-error": seventh,
        "import-error": seventh,
        "untouched-stub": seventh,
        "crashed": pytest.approx(2 / 7, abs=1e-3),
    }
    assert page.sections["demo/mean"]["mistakes"] == {"demo/n-minus-one": 1}
    assert (
        katakit("stats", str(grades), "--html", str(tmp_path / "class.html")).returncode == 0
        and (tmp_path / "class.html").is_file()
    )
