"""The nbgrader export: answer cells that release the stub and run the reference, and notebooks
that nbgrader's own CLI autogrades to exactly ``katakit grade``'s scores, test by test."""

from __future__ import annotations

import ast
import contextlib
import html
import io
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from katakit import statements
from katakit.catalog import Catalog
from katakit.exporters.nbgrader import (
    CODE_STUB,
    answer_source,
    collect_tests,
    examples_source,
    export_nbgrader,
    grade_code,
    notebook_name,
    pack_grader,
    released_code,
    submission_notebook,
)
from katakit.mutation import build, mutants_of
from katakit.results import FATAL_OUTCOMES
from katakit.runner import grade
from katakit.target import Target

# its module fixtures are expensive: one pytest-xdist worker runs the whole module
pytestmark = pytest.mark.xdist_group("nbgrader")

REPO = Path(__file__).resolve().parent.parent
ASSIGNMENT = "ps1"
# Two topics, a module-level kata and a closure kata: a few seconds of autograde per notebook.
KATAS = ["bn/batchnorm_forward", "python/closures"]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load(REPO)


def _body_shape(text: str) -> str:
    body = ast.parse(text).body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the module docstring: the statement cell holds it
    return ast.dump(ast.Module(body=body, type_ignores=[]))


def test_every_answer_cell_releases_the_stub(catalog: Catalog):
    """Cleared as nbgrader clears it, each kata's answer cell is its stub, statement for
    statement; as written it compiles and has solution regions."""
    for kata in catalog.katas:
        files = catalog.files(kata)
        stub = files.stub.read_text(encoding="utf-8")
        answer = answer_source(stub, files.solution.read_text(encoding="utf-8"))
        compile(answer, kata.id, "exec")
        assert "### BEGIN SOLUTION" in answer, kata.id
        released = released_code(answer)
        assert _body_shape(released) == _body_shape(stub), kata.id
        assert CODE_STUB in released, kata.id


def _run_cells(*sources: str) -> str:
    """Run code cells one after another in one namespace, as a kernel would; their stdout."""
    namespace: dict = {"__name__": "__main__"}
    with contextlib.redirect_stdout(io.StringIO()) as out:
        for source in sources:
            exec(compile(source, "<cell>", "exec"), namespace)
    return out.getvalue()


@pytest.mark.parametrize("kata_id", KATAS)
def test_public_example_cell_runs_the_examples_against_the_answer_cell(catalog, kata_id):
    kata = catalog.by_id[kata_id]
    files = catalog.files(kata)
    examples = files.examples.read_text(encoding="utf-8")
    cell = examples_source(kata, examples)
    count = examples.count("\ndef test_")
    answer = answer_source(files.stub.read_text("utf-8"), files.solution.read_text("utf-8"))
    out = _run_cells(answer, cell)  # the source notebook: the reference passes them all
    assert out.count("PASS ") == count and f"{count} of {count} public examples pass" in out
    out = _run_cells(released_code(answer), cell)  # the released notebook: the stub
    assert out.count("FAIL ") == count and "not implemented yet" in out
    assert "### BEGIN" not in cell and "def test_" in cell


@pytest.mark.slow
def test_answer_cells_score_full_marks(catalog: Catalog, tmp_path: Path):
    """Run as written, the answer cell is the reference: classes with helper methods and given
    code (batchnorm_module), a decorator only the reference has (init_module), signatures
    annotated differently (list_merge_sort), module-level helpers (output_size)."""
    katas = catalog.select(
        ["bn/batchnorm_module", "init/init_module", "algo/list_merge_sort", "conv/output_size"]
    )
    files = {}
    for kata in katas:
        source = catalog.files(kata)
        path = tmp_path / kata.topic / f"{kata.name}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            answer_source(source.stub.read_text("utf-8"), source.solution.read_text("utf-8")),
            encoding="utf-8",
        )
        files[kata.id] = path
    report = grade(catalog, katas, Target("answers", files=files))
    assert {kata.id: kata.score for kata in report.katas} == {k.id: k.points for k in katas}


def test_a_notebooks_grader_brings_the_mistakes_it_names(catalog: Catalog):
    """A grader that names mistakes by id (loss/objective) grades in the notebook's scratch
    project only if the topic's misconceptions file travels with it."""
    kata = catalog.by_id["loss/objective"]
    files = catalog.files(kata)
    mistakes = (files.grader.parent / "misconceptions.toml").read_text("utf-8")
    packed = pack_grader(kata, files.grader.read_text("utf-8"), mistakes)
    report = grade_code(kata.id, files.solution.read_text("utf-8"), packed)
    assert not isinstance(report, str), report
    assert report["katas"][0]["score"] == kata.points


def _nbgrader(course: Path, env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{done.stderr[-4000:]}"


@pytest.mark.slow
def test_nbgrader_autograde_scores_equal_katakit_grade(
    catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    pytest.importorskip("nbgrader")
    from nbgrader.api import Gradebook

    # no user-level Jupyter config or kernels: the export's kernel check and nbgrader see only
    # this Python's
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    env = dict(os.environ)
    # nbgrader runs the `alembic` command to create its gradebook: the venv's scripts must be on
    # PATH even when the tests run as .venv/bin/pytest without an activated venv
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    katas = catalog.select(KATAS)
    course = tmp_path / "course"
    exchange = tmp_path / "exchange"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the kernel check and the config must be clean here
        notebooks = export_nbgrader(catalog, katas, course, ASSIGNMENT, exchange=exchange)
    assert [path.name for path in notebooks] == [f"{notebook_name(k)}.ipynb" for k in katas]
    assert 'c.CourseDirectory.course_id = "katakit"' in (course / "nbgrader_config.py").read_text()
    # the README's steps, through nbgrader's own CLI: generate, release into the exchange
    _nbgrader(course, env, "generate_assignment", ASSIGNMENT, "--force")
    _nbgrader(course, env, "release_assignment", ASSIGNMENT)
    assert (exchange / "katakit" / "outbound" / ASSIGNMENT).is_dir()
    for kata in katas:
        released = json.loads(
            (course / "release" / ASSIGNMENT / f"{notebook_name(kata)}.ipynb").read_text()
        )
        (examples,) = [c for c in released["cells"] if c["id"] == "examples"]
        meta = examples["metadata"]["nbgrader"]
        assert (meta["locked"], meta["solution"], meta["grade"]) == (True, False, False)
        assert "run_examples(globals()" in "".join(examples["source"])
    # a student fetches, answers (a mutant: partial credit) and submits; the instructor collects
    student_dir = tmp_path / "student"
    student_dir.mkdir()
    exchange_args = ["--course=katakit", f"--Exchange.root={exchange}"]
    _nbgrader(student_dir, env, "fetch_assignment", ASSIGNMENT, *exchange_args)

    submissions = {
        "reference": {kata.id: catalog.files(kata).solution for kata in katas},
        "stub": {kata.id: catalog.files(kata).stub for kata in katas},
        "mutant": {
            kata.id: build(catalog, mutants_of(catalog, kata)[0], tmp_path / "mutants")
            for kata in katas
        },
        "broken": _broken(catalog, tmp_path / "broken"),
    }
    for student, files in submissions.items():
        for kata in katas:
            name = f"{notebook_name(kata)}.ipynb"
            if student == "mutant":  # through the exchange
                fetched = student_dir / ASSIGNMENT / name
                submission_notebook(fetched, files[kata.id].read_text("utf-8"), fetched)
                continue
            submission_notebook(
                course / "release" / ASSIGNMENT / name,
                files[kata.id].read_text(encoding="utf-8"),
                course / "submitted" / student / ASSIGNMENT / name,
            )
    _nbgrader(student_dir, env, "submit", ASSIGNMENT, "--student=mutant", *exchange_args)
    _nbgrader(course, env, "collect", ASSIGNMENT)
    assert sorted(p.name for p in (course / "submitted" / "mutant" / ASSIGNMENT).glob("*.ipynb"))
    _nbgrader(course, env, "autograde", ASSIGNMENT, "--force")
    _nbgrader(course, env, "generate_feedback", ASSIGNMENT, "--student", "mutant", "--force")

    tests = collect_tests(catalog, katas)
    scores: dict[str, dict[str, int]] = {}
    failures: set[tuple[str, str]] = set()
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student, files in submissions.items():
            report = grade(catalog, katas, Target(student, files=files))
            for kata in katas:
                expected = report.kata(kata.id)
                where = f"{student} {kata.id}"
                graded = gradebook.find_submission_notebook(
                    notebook_name(kata), ASSIGNMENT, student
                )
                assert graded.max_score == kata.points == expected.max_score, where
                assert graded.score == expected.score, where
                voided = any(test.outcome in FATAL_OUTCOMES for test in expected.tests)
                by_name = {test.name: test for test in expected.tests}
                cells = {cell.name: cell.score for cell in graded.grades}
                autograded = course / "autograded" / student / ASSIGNMENT
                outputs = _test_cell_outputs(autograded / f"{notebook_name(kata)}.ipynb")
                ran = _cell_text(autograded / f"{notebook_name(kata)}.ipynb", "examples")
                assert "public examples are not run while autograding" in ran, where
                for index, (name, points) in enumerate(tests[kata.id], start=1):
                    grade_id = f"{kata.name}-test-{index:02d}"
                    test = by_name[name]
                    assert cells[grade_id] == (0 if voided else test.score), f"{where} {name}"
                    assert cells[grade_id] in (0, points)
                    errors = [out for out in outputs[grade_id] if out["output_type"] == "error"]
                    assert all(out["output_type"] != "stream" for out in outputs[grade_id])
                    if test.outcome == "passed" and not voided:
                        assert not errors, f"{where} {name}"
                        continue
                    # katakit's message, and nothing of the grader
                    (error,) = errors
                    assert error["ename"] == "AssertionError"
                    assert error["traceback"] == [f"AssertionError: {error['evalue']}"]
                    if test.outcome != "passed":
                        assert error["evalue"] == test.message, f"{where} {name}"
                    else:
                        assert "the whole kata scores 0" in error["evalue"]
            scores[student] = {kata.id: kata.score for kata in report.katas}
            if student == "mutant":
                failures.update(
                    (kata.id, test.message)
                    for kata in report.katas
                    for test in kata.tests
                    if test.outcome != "passed"
                )
    assert scores["reference"] == {kata.id: kata.points for kata in katas}
    assert scores["stub"] == {kata.id: 0 for kata in katas}
    assert any(0 < scores["mutant"][k.id] < k.points for k in katas), "no partial credit tested"
    assert scores["broken"] == {kata.id: 0 for kata in katas}

    # the feedback page shows katakit's messages, not the hidden tests
    for kata in katas:
        page = course / "feedback" / "mutant" / ASSIGNMENT / f"{notebook_name(kata)}.html"
        text = page.read_text(encoding="utf-8")
        assert "hidden_test" not in text and "HIDDEN TESTS" not in text, kata.id
        assert "def test_" not in text, kata.id
        for kata_id, message in failures:
            if kata_id == kata.id:
                assert html.escape(message.splitlines()[0], quote=False) in text


def _broken(catalog: Catalog, folder: Path) -> dict[str, Path]:
    """A syntax error (no test runs) and a kata whose process dies in some tests (the kata is
    void: tests that passed count 0 too)."""
    endings = {
        "bn/batchnorm_forward": "\nthis is not Python\n",
        "python/closures": "\n\ndef make_multipliers(n):\n    import os\n\n    os._exit(3)\n",
    }
    files = {}
    for kata_id, ending in endings.items():
        kata = catalog.by_id[kata_id]
        path = folder / kata.topic / f"{kata.name}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(catalog.files(kata).solution.read_text("utf-8") + ending, "utf-8")
        files[kata_id] = path
    return files


def _cell_text(path: Path, cell_id: str) -> str:
    """The stream output of one cell of an executed notebook."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    (cell,) = [cell for cell in notebook["cells"] if cell.get("id") == cell_id]
    return "".join("".join(out.get("text", "")) for out in cell.get("outputs", []))


def _test_cell_outputs(path: Path) -> dict[str, list[dict]]:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    return {
        cell["metadata"]["nbgrader"]["grade_id"]: cell.get("outputs", [])
        for cell in notebook["cells"]
        if cell["metadata"].get("nbgrader", {}).get("grade")
    }


def test_a_chinese_export_states_each_kata_in_chinese(catalog: Catalog, tmp_path: Path):
    katas = catalog.select(KATAS)
    paths = export_nbgrader(catalog, katas, tmp_path / "course", ASSIGNMENT, lang="zh")
    for kata, path in zip(katas, paths, strict=True):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        statement = "".join(cells[0]["source"])
        assert statement.startswith(f"# {kata.title_zh}\n") and "分" in statement, kata.id
        zh_first_line = statements.statement(catalog.files(kata), "zh").splitlines()[0]
        assert zh_first_line.replace("``", "`") in statement, kata.id
