"""The learner's view: real pytest runs in a copy of the fixture project."""

import re
import subprocess
import sys
from pathlib import Path

import pytest


def run_pytest(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_stub_run_ends_with_a_score_table_and_no_tracebacks(demo_project):
    result = run_pytest(demo_project, "exercises/demo")
    assert result.returncode == 1
    out = result.stdout
    assert "katakit: target=exercises" in out
    table = out[out.index("katakit scores") :]
    assert re.search(r"demo/add\s+0/3\s+failed\s+not implemented yet: add", table)
    assert re.search(r"demo/mean\s+0/2\s+failed\s+not implemented yet: mean", table)
    assert re.search(r"total\s+0/6", table)
    assert "Traceback" not in out and "def test_" not in out and "FAILURES" not in out


def test_hidden_graders_and_public_examples_both_run(demo_project):
    out = run_pytest(demo_project, "exercises/demo").stdout
    assert "graders/demo/test_add.py FFF" in out
    assert "exercises/demo/add_test.py F" in out


def test_run_from_inside_the_topic_folder(demo_project):
    result = run_pytest(demo_project / "exercises" / "demo")
    assert re.search(r"total\s+0/6", result.stdout)


def test_one_kata_file_selects_its_grader_only(demo_project):
    out = run_pytest(demo_project, "exercises/demo/mean.py").stdout
    assert re.search(r"demo/mean\s+0/2", out) and "demo/add" not in out


def test_verbose_run_shows_tracebacks(demo_project):
    out = run_pytest(demo_project, "exercises/demo/add.py", "-v").stdout
    assert "FAILURES" in out and "NotImplementedError" in out


def test_solutions_target_gives_full_marks(demo_project):
    result = run_pytest(demo_project, "exercises/demo", "--katakit-target", "solutions")
    assert result.returncode == 0
    assert re.search(r"total\s+6/6", result.stdout)


def test_plugin_is_silent_outside_a_katakit_project(tmp_path):
    (tmp_path / "test_plain.py").write_text("def test_ok():\n    assert True\n")
    result = run_pytest(tmp_path)
    assert result.returncode == 0
    assert "katakit: target" not in result.stdout and "katakit scores" not in result.stdout


def test_a_skipped_gpu_test_is_summarised_without_crashing_the_run(demo_project_with_gpu_test):
    result = run_pytest(
        demo_project_with_gpu_test, "exercises/demo/add.py", "--katakit-target", "solutions"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"demo/add\s+3/3\s+passed", result.stdout)
    import torch

    if not torch.cuda.is_available():
        assert "SKIPPED" in result.stdout and "needs a CUDA GPU" in result.stdout


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("def add(a, b)\n    return a + b\n", "add.py has a syntax error on line 1"),
        ("import no_such_module\n", "importing add.py raised ModuleNotFoundError"),
    ],
)
def test_grading_one_kata_file_names_its_syntax_or_import_error(demo_project, source, expected):
    (demo_project / "exercises/demo/add.py").write_text(source)
    result = run_pytest(demo_project, "exercises/demo/add.py")
    assert re.search(r"demo/add\s+0/3\s+error", result.stdout), result.stdout
    assert expected in result.stdout, result.stdout
    assert "error during collection" not in result.stdout


@pytest.mark.parametrize("isolation", [(), ("--katakit-no-isolate",)], ids=["contained", "inline"])
def test_several_property_failures_are_each_shown_with_their_example(
    demo_project, tmp_path, isolation
):
    grader = demo_project / "graders/demo/test_weak.py"
    grader.write_text(
        grader.read_text() + "\n\nfrom hypothesis import given, strategies as st\n\n\n"
        "@pytest.mark.points(1)\n@given(st.integers(-5, 5))\n"
        "def test_double_property(kata, x):\n"
        "    result = kata.double(x)\n"
        "    if x < 0:\n"
        "        raise ValueError('negative')\n"
        "    assert result == 2 * x, f'double({x}): expected {2 * x}, got {result}'\n"
    )
    manifest = demo_project / "exercises/demo/katas.toml"
    manifest.write_text(manifest.read_text().replace("points = 1\n", "points = 2\n"))
    learner = tmp_path / "learner" / "demo"
    learner.mkdir(parents=True)
    # a bare assert (for x == 3) and a wrong value (for x == 1): two mistakes, two examples
    (learner / "weak.py").write_text(
        "def double(x):\n    assert x != 3\n    return x + x if x > 1 else 0\n"
    )
    result = run_pytest(
        demo_project, "exercises/demo/weak.py", "--katakit-target", str(learner.parent), *isolation
    )
    out = result.stdout
    assert "3 different failures:" in out, out
    assert "double raised AssertionError (line 2: assert x != 3)" in out, out
    assert "double(1): expected 2, got 0" in out and "x=3," in out and "x=1," in out, out
    assert "kata=<" not in out and "Explanation" not in out and "rpc.py" not in out, out
