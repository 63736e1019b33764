"""The student release: complete for a learner, and nothing of the reference or the graders."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from katakit.catalog import Catalog, tomllib
from katakit.exporters.classroom import (
    COMMAND_GRADER,
    COMMAND_GRADER_INPUTS,
    COMMAND_GRADER_REQUIRED,
    REPORTER,
    REPORTER_INPUTS,
    grade_command,
    step_id,
)
from katakit.exporters.release import leaks, release

from .conftest import REPO

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
    assert re.search(r"bn/batchnorm_forward\s+-\s+examples", out)
    assert "hidden graders are not available in this copy" in out
    assert "graders/" not in out


def workflow(released: Path) -> dict:
    return yaml.safe_load((released / ".github/workflows/classroom.yml").read_text())


def test_classroom_steps_use_only_the_actions_declared_inputs(catalog, released):
    steps = workflow(released)["jobs"]["run-autograding-tests"]["steps"]
    graders = [step for step in steps if step.get("uses") == COMMAND_GRADER]
    katas = catalog.select(SELECTION)
    assert [step["with"]["test-name"] for step in graders] == [k.id for k in katas]
    for step, kata in zip(graders, katas, strict=True):
        assert set(step["with"]) <= COMMAND_GRADER_INPUTS
        assert set(step["with"]) >= COMMAND_GRADER_REQUIRED
        assert step["with"]["max-score"] == kata.points
        assert 0 < step["with"]["timeout"] <= 360
        assert step["id"] == step_id(kata)
    reporter = steps[-1]
    assert reporter["uses"] == REPORTER and set(reporter["with"]) <= REPORTER_INPUTS
    runners = reporter["with"]["runners"].split(",")
    assert runners == [step["id"] for step in graders]
    for runner in runners:
        assert reporter["env"][f"{runner.upper()}_RESULTS"] == (
            f"${{{{steps.{runner}.outputs.result}}}}"
        )
    checkout = next(s for s in steps if s.get("with", {}).get("repository"))
    assert checkout["with"]["repository"] == "acme/katakit-private"
    assert checkout["with"]["token"] == "${{ secrets.KATAKIT_GRADERS_TOKEN }}"


@pytest.mark.parametrize("target, awarded", [("solutions", True), ("exercises", False)])
def test_each_classroom_command_awards_the_points_only_for_a_full_solution(
    catalog, released, target, awarded
):
    """Run every step's command as the action would; exit 0 is what awards max-score."""
    steps = workflow(released)["jobs"]["run-autograding-tests"]["steps"]
    for kata in catalog.select(SELECTION):
        step = next(s for s in steps if s.get("id") == step_id(kata))
        command = step["with"]["command"]
        assert command == grade_command(kata)
        local = grade_command(kata, graders=str(REPO), target=str(REPO / target))
        code = subprocess.run(
            [sys.executable, "-m", "katakit", *local.split()[1:]], capture_output=True, timeout=300
        ).returncode
        assert (code == 0) is awarded, (kata.id, target)
