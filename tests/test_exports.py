"""Gradescope results and JUnit XML, checked against the formats' schema and a real consumer."""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest
from junitparser import Error, Failure, JUnitXml

from katakit.catalog import Catalog
from katakit.exporters.gradescope import bundle, results
from katakit.exporters.junit import junit_xml
from katakit.runner import grade
from katakit.target import Target

from .conftest import PROJECT, REPO, SUBMISSIONS

# its module fixtures are expensive: one pytest-xdist worker runs the whole module
pytestmark = pytest.mark.xdist_group("exports")

SCHEMA = json.loads((Path(__file__).parent / "schemas/gradescope-results.schema.json").read_text())


@pytest.fixture(scope="module")
def reports(demo_catalog):
    katas = demo_catalog.select(["demo/add", "demo/mean"])
    return {
        case: grade(demo_catalog, katas, Target(case, SUBMISSIONS / case), test_timeout=1)
        for case in ("partial", "raises", "exits_sys")
    } | {"solutions": grade(demo_catalog, katas, Target("solutions", PROJECT / "solutions"))}


@pytest.mark.parametrize("case", ["partial", "raises", "exits_sys", "solutions"])
def test_gradescope_results_follow_the_specification(reports, case):
    document = results(reports[case])
    jsonschema.validate(document, SCHEMA)
    assert document["score"] == reports[case].score
    assert sum(test["score"] for test in document["tests"]) == reports[case].score
    assert sum(test["max_score"] for test in document["tests"]) == reports[case].max_score


def test_gradescope_output_is_the_learner_message_only(reports):
    failed = [t for t in results(reports["partial"])["tests"] if t["status"] == "failed"]
    assert failed and all("def test_" not in t["output"] for t in failed)
    assert "add(-2, -5): values differ" in failed[0]["output"]


def test_junit_xml_reads_back_through_a_junit_parser(reports, tmp_path):
    path = tmp_path / "junit.xml"
    path.write_text(junit_xml(reports["partial"]))
    suites = {suite.name: suite for suite in JUnitXml.fromfile(str(path))}
    add = suites["demo/add"]
    assert (add.tests, add.failures, add.errors) == (3, 1, 0)
    outcomes = [type(case.result[0]).__name__ if case.result else "ok" for case in add]
    assert outcomes == ["ok", "Failure", "ok"]
    failure = next(case for case in add if case.result).result[0]
    assert isinstance(failure, Failure) and "values differ" in failure.message
    missing = suites["demo/mean"]
    assert missing.errors == 2 and isinstance(next(iter(missing)).result[0], Error)


def test_gradescope_bundle_holds_graders_but_no_solutions(tmp_path):
    path = bundle(Catalog.load(REPO), ["bn/batchnorm_forward"], tmp_path / "autograder.zip")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        run = archive.read("run_autograder").decode()
        mode = archive.getinfo("run_autograder").external_attr >> 16
    assert {"setup.sh", "run_autograder", "source/graders/bn/test_batchnorm_forward.py"} <= set(
        names
    )
    assert "source/src/katakit/plugin.py" in names
    assert not [n for n in names if "solutions/" in n or "mutants/" in n]
    tomls = [n for n in names if n.endswith(".toml")]
    allowed = ("katas.toml", "pyproject.toml", "misconceptions.toml")
    assert not [n for n in tomls if Path(n).name not in allowed]
    assert "source/exercises/bn/katas.toml" in names and "source/pyproject.toml" in names
    assert "source/graders/bn/misconceptions.toml" in names  # the grader names mistakes by id
    assert "--format gradescope" in run and "bn/batchnorm_forward" in run and mode & 0o111


def test_grade_cli_writes_each_format(tmp_path):
    for fmt, check in (("gradescope", json.loads), ("junit", JUnitXml.fromstring)):
        out = tmp_path / f"report.{fmt}"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "katakit",
                "--root",
                str(PROJECT),
                "grade",
                "demo/add",
                "--target",
                "solutions",
                "--format",
                fmt,
                "--output",
                str(out),
            ],
            check=True,
            timeout=120,
        )
        assert check(out.read_text())


@pytest.mark.parametrize(
    "code, full, upload",
    [
        ("solutions", True, "loss/objective.py"),
        ("exercises", False, "loss/objective.py"),
        ("solutions", True, "objective.py"),  # one file uploaded on its own
        ("solutions", True, "exercises/loss/objective.py"),  # the whole repository
    ],
)
def test_gradescope_bundle_runs_and_writes_valid_results(tmp_path, code, full, upload):
    """Unpack the bundle as Gradescope would and run its run_autograder on a submission (of a
    kata whose grader names its mistakes by id: the topic's misconceptions go in the bundle)."""
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle(Catalog.load(REPO), ["loss/objective"], tmp_path / "a.zip")) as z:
        z.extractall(root)
    (root / "submission" / upload).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / code / "loss/objective.py", root / "submission" / upload)
    (root / "results").mkdir()
    katakit = Path(sys.executable).parent / "katakit"
    subprocess.run(
        ["bash", str(root / "run_autograder")],
        env={**os.environ, "AUTOGRADER_ROOT": str(root), "KATAKIT": str(katakit)},
        check=True,
        timeout=300,
    )
    document = json.loads((root / "results/results.json").read_text())
    jsonschema.validate(document, SCHEMA)
    max_score = Catalog.load(REPO).by_id["loss/objective"].points
    assert document["score"] == (max_score if full else 0)
