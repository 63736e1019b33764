"""The student release: complete for a learner, and nothing of the reference or the graders."""

import ast
import base64
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from katakit import statements
from katakit.catalog import Catalog, tomllib
from katakit.exporters.classroom import (
    GRADERS_PATH,
    REPORTER,
    REPORTER_INPUTS,
    classroom_result,
    grade_command,
    step_id,
)
from katakit.exporters.graders_bundle import bundle_leaks, graders_bundle
from katakit.exporters.release import leaks, release
from katakit.mutation import build, mutants_of
from katakit.runner import grade
from katakit.target import Target

from .conftest import FIXTURES, PROJECT, REPO, SUBMISSIONS

# its module fixtures are expensive: one pytest-xdist worker runs the whole module
pytestmark = pytest.mark.xdist_group("release")

SELECTION = ["bn/batchnorm_forward", "python/closures"]


@pytest.fixture(scope="module")
def catalog():
    return Catalog.load(REPO)


@pytest.fixture(scope="module")
def released(catalog, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("release") / "assignment"
    return release(catalog, catalog.select(SELECTION), out, graders_repo="acme/katakit-private")


def test_release_has_the_learners_files_and_none_of_the_private_ones(released):
    files = {str(p.relative_to(released)) for p in released.rglob("*") if p.is_file()}
    for kata in SELECTION:
        topic, name = kata.split("/")
        assert {f"exercises/{topic}/{name}.py", f"exercises/{topic}/{name}_test.py"} <= files
    assert {"README.md", "pyproject.toml", ".github/workflows/classroom.yml"} <= files
    assert "src/katakit/plugin.py" in files
    assert not [f for f in files if re.match(r"(solutions|graders)/|.*mutants", f)]
    tomls = [f for f in files if f.endswith(".toml")]
    assert not [f for f in tomls if Path(f).name not in ("katas.toml", "pyproject.toml")]
    manifest = (released / "exercises/bn/katas.toml").read_text()
    assert 'name = "batchnorm_forward"' in manifest and 'name = "norm_family"' not in manifest


def test_leak_check_passes_on_the_release_and_catches_planted_leaks(catalog, released, tmp_path):
    assert leaks(catalog, released) == []
    leaky = Path(shutil.copytree(released, tmp_path / "leaky"))
    shutil.copy(REPO / "solutions/bn/batchnorm_forward.py", leaky / "exercises/bn/helper.py")
    (leaky / "graders").mkdir()
    found = "\n".join(leaks(catalog, leaky))
    assert "graders: a private folder is in the release" in found
    assert "exercises/bn/helper.py" in found and "reference, grader or mutant code" in found


def test_leak_check_catches_mutant_patches(catalog, released, tmp_path):
    patches = REPO / "graders/bn/mutants/batchnorm_forward.toml"
    new = next(
        line.strip()
        for mutant in tomllib.loads(patches.read_text())["mutant"]
        for replace in mutant["replace"]
        for line in replace["new"].splitlines()
        if len(line.strip()) >= 24 and not line.strip().startswith("#")
    )
    leaky = Path(shutil.copytree(released, tmp_path / "leaky"))
    shutil.copy(patches, leaky / "exercises/bn/notes.toml")
    (leaky / "exercises/bn/helper.py").write_text(f"def helper():\n    {new}\n")
    found = "\n".join(leaks(catalog, leaky))
    assert "exercises/bn/notes.toml" in found and "exercises/bn/helper.py:2" in found


def test_pytest_in_the_release_runs_examples_and_reports_graders_unavailable(released):
    env = {**os.environ, "PYTHONPATH": str(released / "src")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"],
        cwd=released,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    out = result.stdout
    assert "exercises/bn/batchnorm_forward_test.py FFF" in out
    assert re.search(r"bn/batchnorm_forward\s+-\s+ungraded", out)
    assert "hidden graders are not available in this copy" in out
    assert "graders/" not in out


SCHEMA = json.loads((Path(__file__).parent / "schemas/classroom-result.schema.json").read_text())
REPORTER_JS = FIXTURES / "classroom_reporter"


@pytest.fixture(scope="module")
def graders(catalog, tmp_path_factory) -> Path:
    return graders_bundle(catalog, catalog.select(SELECTION), tmp_path_factory.mktemp("g") / "b")


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_graders_bundle_holds_graders_manifests_misconceptions_and_the_engine(catalog, graders):
    files = _files(graders)
    assert {
        "graders/bn/test_batchnorm_forward.py",
        "graders/python/test_closures.py",
        "exercises/bn/katas.toml",
        "exercises/python/katas.toml",
        "src/katakit/plugin.py",
        "pyproject.toml",
        "constraints/ci.txt",
        "ENGINE.json",
    } <= files
    assert not [
        f for f in files if re.match(r"solutions/|.*mutants|graders/bn/test_norm_family", f)
    ]
    assert not [f for f in files if f.startswith("exercises/") and not f.endswith("katas.toml")]
    pin = json.loads((graders / "ENGINE.json").read_text())
    assert pin["katas"] == SELECTION and pin["katakit"]
    assert bundle_leaks(catalog, graders) == []
    # a topic with a misconceptions file: it goes with the graders (they load it)
    topic = next(p.parent.name for p in sorted((REPO / "graders").glob("*/misconceptions.toml")))
    kata = next(k for k in catalog.katas if k.topic == topic)
    other = graders_bundle(catalog, [kata], graders.parent / "other")
    assert f"graders/{topic}/misconceptions.toml" in _files(other)
    assert not [f for f in _files(other) if "mutants" in f or f.startswith("solutions")]


def test_graders_bundle_leak_check_catches_solutions_and_mutants(catalog, graders, tmp_path):
    leaky = Path(shutil.copytree(graders, tmp_path / "leaky"))
    shutil.copy(REPO / "solutions/bn/batchnorm_forward.py", leaky / "graders/bn/helper.py")
    shutil.copytree(REPO / "graders/bn/mutants", leaky / "graders/bn/mutants")
    found = "\n".join(bundle_leaks(catalog, leaky))
    assert "graders/bn/helper.py" in found and "reference or mutant code" in found
    assert "graders/bn/mutants/batchnorm_forward.toml: a solutions or mutants folder" in found


def test_graders_bundle_cli_refuses_a_non_empty_folder(tmp_path):
    (tmp_path / "x").write_text("")
    command = [sys.executable, "-m", "katakit", "--root", str(REPO), "graders-bundle"]
    done = subprocess.run([*command, str(tmp_path), "bn/batchnorm_forward"], capture_output=True)
    assert done.returncode == 2 and b"not empty" in done.stderr
    done = subprocess.run([*command, str(tmp_path / "b"), "python/closures"], capture_output=True)
    assert done.returncode == 0 and b"no solutions, no mutants" in done.stdout


def workflow(released: Path) -> dict:
    return yaml.safe_load((released / ".github/workflows/classroom.yml").read_text())


def test_classroom_workflow_checks_out_graders_only_without_keeping_credentials(released):
    steps = workflow(released)["jobs"]["run-autograding-tests"]["steps"]
    checkouts = [step for step in steps if str(step.get("uses", "")).startswith("actions/checkout")]
    assert len(checkouts) == 2
    assert all(step["with"]["persist-credentials"] is False for step in checkouts)
    graders = next(step for step in checkouts if step["with"].get("repository"))
    assert graders["with"]["repository"] == "acme/katakit-private"
    assert graders["with"]["token"] == "${{ secrets.KATAKIT_GRADERS_TOKEN }}"
    assert graders["with"]["path"] == GRADERS_PATH
    text = (released / ".github/workflows/classroom.yml").read_text()
    assert "graders-bundle" in text and "solutions" in text  # what the repository must hold


def test_classroom_steps_feed_the_reporter(catalog, released):
    steps = workflow(released)["jobs"]["run-autograding-tests"]["steps"]
    katas = catalog.select(SELECTION)
    graded = [step for step in steps if step.get("id")]
    assert [step["id"] for step in graded] == [step_id(k) for k in katas]
    for step, kata in zip(graded, katas, strict=True):
        assert step["name"] == kata.id and step["run"] == grade_command(kata)
        assert 0 < step["timeout-minutes"] <= 360
    reporter = steps[-1]
    assert reporter["uses"] == REPORTER and set(reporter["with"]) <= REPORTER_INPUTS
    runners = reporter["with"]["runners"].split(",")
    assert runners == [step["id"] for step in graded]
    for runner in runners:
        assert reporter["env"][f"{runner.upper()}_RESULTS"] == (
            f"${{{{steps.{runner}.outputs.result}}}}"
        )


def reporter_figures(results: dict) -> tuple[float, float]:
    """What the reporter makes of one runner's result (src/helpers/test-helpers.js
    getTestScore, src/notify-classroom.js): the printed score, the points sent to Classroom."""
    tests = results["tests"]
    printed = sum(t["status"] == "pass" for t in tests) / len(tests) * results["max_score"]
    sent = sum(t["score"] for t in tests) if results["max_score"] else 0
    return printed, sent


def test_classroom_steps_run_locally_give_partial_credit_per_test(
    catalog, released, graders, tmp_path
):
    """Run every kata step's command as the workflow does, in a checkout of the release holding
    a partial answer (a mutant) and a full one, with the graders bundle beside it; decode the
    outputs and check them against the schema, katakit's report and the reporter itself."""
    workspace = Path(shutil.copytree(released, tmp_path / "workspace"))
    (workspace / GRADERS_PATH).symlink_to(graders)
    bn, closures = catalog.select(SELECTION)
    mutant = build(catalog, mutants_of(catalog, bn)[0], tmp_path / "mutants")
    shutil.copy(mutant, workspace / "exercises/bn/batchnorm_forward.py")
    shutil.copy(catalog.files(closures).solution, workspace / "exercises/python/closures.py")
    output = tmp_path / "github_output"
    output.write_text("")
    env = {
        **os.environ,
        "GITHUB_OUTPUT": str(output),
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
    }
    steps = workflow(released)["jobs"]["run-autograding-tests"]["steps"]
    for step in (step for step in steps if step.get("id")):
        done = subprocess.run(
            ["bash", "-e", "-c", step["run"]],
            cwd=workspace,
            env=env,
            timeout=600,
            text=True,
            capture_output=True,
        )
        assert done.returncode == 0, done.stderr
        assert "score" in done.stdout and "total" in done.stdout  # the score table in the log
    lines = output.read_text().splitlines()
    assert len(lines) == 2 and all(line.startswith("result=") for line in lines)
    decoded = [json.loads(base64.b64decode(line.split("=", 1)[1])) for line in lines]

    files = {
        bn.id: workspace / "exercises/bn/batchnorm_forward.py",
        closures.id: workspace / "exercises/python/closures.py",
    }
    report = grade(catalog, [bn, closures], Target("workspace", files=files))
    for kata, results in zip((bn, closures), decoded, strict=True):
        jsonschema.validate(results, SCHEMA)
        expected = report.kata(kata.id)
        assert results["max_score"] == kata.points == expected.max_score
        assert reporter_figures(results) == (expected.score, expected.score), kata.id
        assert results["status"] == ("pass" if expected.score == kata.points else "fail")
        for test in expected.tests:
            entries = [t for t in results["tests"] if f":: {test.name} (" in t["name"]]
            assert len(entries) == test.max_score, test.name
            first = entries[0]
            assert f"({test.score}/{test.max_score} points)" in first["name"]
            assert sum(t["score"] for t in entries) == test.score
            if test.outcome != "passed":
                assert first["message"] == test.message
                assert test.message.splitlines()[0] in first["name"]  # where the reporter shows it
    assert 0 < report.kata(bn.id).score < bn.points, "the mutant should earn partial credit"
    assert report.kata(closures.id).score == closures.points

    if shutil.which("node") is None:
        pytest.skip("node is not installed: the reporter itself was not run")
    runners = [step_id(bn), step_id(closures)]
    reporter_env = {
        **os.environ,
        "INPUT_RUNNERS": ",".join(runners),
        "NODE_PATH": str(REPORTER_JS / "shims"),
        **{
            f"{r.upper()}_RESULTS": line.split("=", 1)[1]
            for r, line in zip(runners, lines, strict=True)
        },
    }
    done = subprocess.run(
        ["node", str(REPORTER_JS / "src/main.js")],
        env=reporter_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    total = report.score
    assert f'::notice title=Autograding report::{{"totalPoints":{total},' in done.stdout
    assert f"Points {total}/{bn.points + closures.points}" in done.stdout
    assert f"Total points for {runners[0]}: {report.kata(bn.id).score:.2f}/{bn.points}" in (
        done.stdout
    )
    failed = next(t for t in report.kata(bn.id).tests if t.outcome == "failed")
    assert failed.message.splitlines()[0] in done.stdout
    assert "::error::Some tests failed." in done.stdout


@pytest.fixture(scope="module")
def demo_reports(demo_catalog):
    katas = demo_catalog.select(["demo/add", "demo/mean"])
    return {
        case: grade(demo_catalog, katas, Target(case, SUBMISSIONS / case), test_timeout=1)
        for case in ("partial", "exits_sys")
    } | {"solutions": grade(demo_catalog, katas, Target("solutions", PROJECT / "solutions"))}


@pytest.mark.parametrize("case", ["partial", "exits_sys", "solutions"])
def test_classroom_result_follows_the_reporters_format(demo_reports, case):
    report = demo_reports[case]
    results = classroom_result(report)
    jsonschema.validate(results, SCHEMA)
    assert reporter_figures(results) == (report.score, report.score)
    assert results["max_score"] == report.max_score
    assert results["status"] == ("pass" if report.score == report.max_score else "fail")
    for kata in report.katas:
        if kata.voided:  # tests that passed earn nothing and say why
            entries = [t for t in results["tests"] if t["name"].startswith(kata.id)]
            assert all(t["status"] == "fail" and t["score"] == 0 for t in entries)
            assert all(t["message"] for t in entries)


def test_a_chinese_release_puts_the_chinese_statements_in_the_stubs_and_leaks_nothing(
    catalog, tmp_path
):
    out = release(catalog, catalog.select(SELECTION), tmp_path / "zh", lang="zh")
    assert leaks(catalog, out) == []
    for kata in catalog.select(SELECTION):
        files = catalog.files(kata)
        stub = out / files.stub.relative_to(REPO)
        docstring = ast.get_docstring(ast.parse(stub.read_text(encoding="utf-8")))
        assert docstring == statements.statement(files, "zh") != statements.english(files.stub)
        assert _body(stub) == _body(files.stub), "only the statement changes"
        assert (out / statements.translation_path(files, "zh").relative_to(REPO)).is_file()


def _body(path: Path) -> str:
    return ast.dump(ast.Module(body=ast.parse(path.read_text()).body[1:], type_ignores=[]))
