"""A class of 20 submissions graded end to end: reports, gradebook, resuming and shards."""

import csv
import itertools
import json
import shutil
from pathlib import Path

import pytest

from katakit.batch import batch_grade, learners, parse_shard
from katakit.cli import main
from katakit.isolation import Limits

from .conftest import PROJECT, SUBMISSIONS

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
    ]


def test_gradebook_scores_match_each_learner_graded_alone(graded):
    out, _ = graded
    book = read_gradebook(out)
    assert (book["reference"]["total"], book["reference"]["max_total"]) == ("5", "5")
    assert book["untouched"]["total"] == "0"
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
