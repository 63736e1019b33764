"""nbgrader: one source notebook per kata, autograded by katakit's own hidden graders.

:func:`export_nbgrader` writes ``course_dir/source/<assignment>/<topic>__<kata>.ipynb`` and, if
the course has none, a ``nbgrader_config.py``. Each notebook holds:

1. the statement (the stub's docstring), a locked markdown cell;
2. the answer, an "autograded answer" cell: the stub's code, with the reference body of every
   function that raises ``NotImplementedError`` between ``### BEGIN SOLUTION`` and
   ``### END SOLUTION`` just before the stub's own ``raise``, and the reference's extra helpers,
   imports and class members in regions of their own (at the end of their class or module). The
   released notebook is therefore the stub itself, signatures, docstrings and all;
3. one locked "autograder tests" cell per hidden grader test, worth that test's points. Its hidden
   region calls :func:`hidden_test`, which grades the answer cell's code with ``katakit grade``
   in a scratch project (the grader travels, compressed, in the first test cell), once per
   notebook, and raises an ``AssertionError`` carrying katakit's message when the test did not
   earn its points. nbgrader's score for a notebook is thus ``katakit grade``'s for that code.

The grading runs in a child process with captured output (nbgrader zeroes a cell that writes to
stderr), and a failed test shows only the learner-facing message, without a traceback.
"""

from __future__ import annotations

import ast
import base64
import contextlib
import copy
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import tokenize
import warnings
import zlib
from dataclasses import asdict
from pathlib import Path

from katakit import statements
from katakit.catalog import Catalog, Kata
from katakit.misconceptions import FILE_NAME
from katakit.results import FATAL_OUTCOMES

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
# What nbgrader leaves of an answer region in the released notebook (ClearSolutions.code_stub):
# a comment only, so that a region at module or class level does not raise on import.
CODE_STUB = "# YOUR CODE HERE"
BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
# Any line holding one of these is taken by nbgrader for a region marker.
_DELIMITERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")

DEFAULT_COURSE_ID = "katakit"
DEFAULT_EXCHANGE = "/srv/nbgrader/exchange"  # nbgrader's own default


def config_text(course_id: str = DEFAULT_COURSE_ID, exchange: str | None = None) -> str:
    """The ``nbgrader_config.py`` the export writes when the course has none."""
    exchange_line = (
        f"c.Exchange.root = {json.dumps(str(exchange))}"
        if exchange
        else f"# c.Exchange.root = {json.dumps(DEFAULT_EXCHANGE)}  # nbgrader's default"
    )
    return f'''"""nbgrader settings for katakit notebooks (written by `katakit nbgrader`)."""

c = get_config()  # noqa: F821

# `nbgrader release_assignment`, `collect` and the students' `fetch_assignment` / `submit` find
# the assignment in the exchange under this course id.
c.CourseDirectory.course_id = {json.dumps(course_id)}
# The exchange: a folder every student and the instructor can write (release_assignment creates
# it). Students pass the same `--Exchange.root` and `--course` to fetch_assignment and submit.
{exchange_line}
# The kernel that runs the notebooks must import katakit and the katas' libraries: "python3" is
# the ipykernel of the environment nbgrader runs in (`jupyter kernelspec list` shows which).
c.Execute.kernel_name = "python3"
# The first hidden test cell of a notebook grades the whole kata (a Python start, every test,
# up to katakit's 60 s limit per kata): nbgrader's default of 30 s per cell is too short.
c.Execute.timeout = 300
# An answer region becomes this comment only; the stub's own `raise NotImplementedError`
# follows it in each function, and a region at module level must not raise on import.
c.ClearSolutions.code_stub = {{"python": "{CODE_STUB}"}}
# Feedback shows each test cell's outcome and katakit's message, never the hidden grader.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
'''


# -- export --------------------------------------------------------------------------------------
def notebook_name(kata: Kata) -> str:
    return f"{kata.topic}__{kata.name}"


def export_nbgrader(
    catalog: Catalog,
    katas: list[Kata],
    course_dir: Path,
    assignment: str,
    *,
    course_id: str = DEFAULT_COURSE_ID,
    exchange: str | Path | None = None,
    lang: str = "en",
) -> list[Path]:
    """Write one nbgrader source notebook per kata; return their paths. A new course gets a
    ``nbgrader_config.py`` with ``course_id`` (and ``exchange`` as the exchange root, if given)."""
    course_dir = Path(course_dir)
    folder = course_dir / "source" / assignment
    tests = collect_tests(catalog, katas)
    notebooks = []
    for kata in katas:
        files = catalog.files(kata)
        for path in (files.stub, files.solution, files.grader):
            if not path.is_file():
                raise FileNotFoundError(f"{kata.id}: {path} is missing; the export needs it")
        notebook = kata_notebook(
            kata,
            statements.localized_stub(files, lang),
            files.solution.read_text(encoding="utf-8"),
            files.grader.read_text(encoding="utf-8"),
            tests[kata.id],
            examples=files.examples.read_text(encoding="utf-8") if files.examples.is_file() else "",
            misconceptions=_text_if_file(files.grader.parent / FILE_NAME),
            lang=lang,
        )
        path = folder / f"{notebook_name(kata)}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        notebooks.append(path)
    _check_kernel()
    config = course_dir / "nbgrader_config.py"
    if not config.exists():
        config.write_text(config_text(course_id, str(exchange) if exchange else None), "utf-8")
    else:
        text = config.read_text(encoding="utf-8")
        missing = [line for key, line in _NEEDED_SETTINGS if key not in text]
        if missing:
            warnings.warn(
                f"{config} lacks settings katakit's notebooks need (release_assignment fails "
                "without a course id; nbgrader's default code stub raises on import where an "
                "answer region sits at module level; its 30 s cell timeout can cut a kata's "
                f"grading short): add {'; '.join(missing)}",
                stacklevel=2,
            )
    return notebooks


_NEEDED_SETTINGS = (
    ("course_id", f'c.CourseDirectory.course_id = "{DEFAULT_COURSE_ID}"'),
    ("code_stub", f'c.ClearSolutions.code_stub = {{"python": "{CODE_STUB}"}}'),
    ("timeout", "c.Execute.timeout = 300"),
)


def _check_kernel() -> None:
    """Warn when the ``python3`` kernel would not run this Python (and so maybe not katakit)."""
    try:
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    except ImportError:
        return
    try:
        argv = KernelSpecManager().get_kernel_spec(KERNELSPEC["name"]).argv
    except NoSuchKernel:
        warnings.warn("no 'python3' Jupyter kernel here: pip install ipykernel", stacklevel=3)
        return
    program = argv[0] if argv else ""
    # jupyter_client runs a bare "python" kernel with its own interpreter
    bare = {"python", f"python{sys.version_info[0]}", "python{}.{}".format(*sys.version_info)}
    if program not in bare and os.path.abspath(program) != os.path.abspath(sys.executable):
        warnings.warn(
            f"the 'python3' Jupyter kernel runs {program}, not {sys.executable}: katakit must be "
            "installed there, or register this one with "
            "`python -m ipykernel install --sys-prefix`",
            stacklevel=3,
        )


def collect_tests(catalog: Catalog, katas: list[Kata]) -> dict[str, list[tuple[str, int]]]:
    """Each kata's grader tests, as katakit's report names them, with their points."""
    import pytest

    graders = [catalog.files(kata).grader for kata in katas]
    missing = [str(path) for path in graders if not path.is_file()]
    if missing:
        raise FileNotFoundError(f"no hidden grader at {', '.join(missing)}")
    collector = _Collector(catalog)
    args = [
        *map(str, graders),
        f"--rootdir={catalog.root}",
        "--import-mode=importlib",
        "-p",
        "no:cacheprovider",
        "--collect-only",
        "-qq",
    ]
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        args += ["-p", "katakit.plugin"]
    for name in [name for name in sys.modules if name.split(".")[0] == "graders"]:
        del sys.modules[name]
    previous = Path.cwd()
    os.chdir(catalog.root)
    try:
        with contextlib.redirect_stdout(io.StringIO()) as output:
            code = pytest.main(args, plugins=[collector])
    finally:
        os.chdir(previous)
    if code != pytest.ExitCode.OK:
        raise RuntimeError(f"collecting the graders failed ({code!r}):\n{output.getvalue()}")
    found: dict[str, list[tuple[str, int]]] = {kata.id: [] for kata in katas}
    for kata_id, name, points in collector.items:
        found.setdefault(kata_id, []).append((name, points))
    for kata in katas:
        total = sum(points for _, points in found[kata.id])
        if total != kata.points:
            raise ValueError(
                f"{kata.id}: its grader's tests carry {total} points but katas.toml says "
                f"{kata.points}; run `katakit verify {kata.id}`"
            )
    return found


class _Collector:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.items: list[tuple[str, str, int]] = []

    def pytest_collection_modifyitems(self, items) -> None:
        for item in items:
            kata = self.catalog.kata_for_path(Path(item.path))
            marker = item.get_closest_marker("points")
            points = int(marker.args[0]) if marker and marker.args else 0
            if kata is not None:
                self.items.append((kata.id, item.nodeid.split("::", 1)[-1], points))


def kata_notebook(
    kata: Kata,
    stub: str,
    solution: str,
    grader: str,
    tests: list[tuple[str, int]],
    examples: str = "",
    misconceptions: str = "",
    lang: str = "en",
) -> dict:
    """The nbgrader source notebook of one kata, as nbformat 4 JSON. ``misconceptions`` is the
    text of the topic's misconceptions file, which the grader may name mistakes from."""
    for label, text in (("stub", stub), ("solution", solution), ("examples", examples)):
        _check_delimiters(f"{kata.id} {label}", text)
    answer_id = f"{kata.name}-answer"
    cells = [
        _cell(
            "markdown",
            "statement",
            statement_markdown(kata, stub, lang),
            grade=False,
            solution=False,
            locked=True,
            grade_id=f"{kata.name}-statement",
        ),
        _cell(
            "code",
            "answer",
            answer_source(stub, solution),
            grade=False,
            solution=True,
            locked=False,
            grade_id=answer_id,
        ),
    ]
    if examples.strip():
        cells.append(
            _cell(
                "code",
                "examples",
                examples_source(kata, examples),
                grade=False,
                solution=False,
                locked=True,  # read-only: nbgrader restores it from the source when autograding
                grade_id=f"{kata.name}-examples",
            )
        )
    payload = pack_grader(kata, grader, misconceptions)
    for index, (name, points) in enumerate(tests, start=1):
        header = (
            f"# Hidden test {index} of {len(tests)} "
            f"({points} point{'s' if points != 1 else ''}): {name}"
        )
        arguments = [
            repr(kata.id),
            repr(name),
            f"notebook={notebook_name(kata) + '.ipynb'!r}",
            f"answer={answer_id!r}",
        ]
        if index == 1:
            chunks = [payload[start : start + 88] for start in range(0, len(payload), 88)]
            wrapped = "\n".join(f'        "{chunk}"' for chunk in chunks)
            arguments.append(f"grader=(\n{wrapped}\n    )")
        call = "hidden_test(\n" + "".join(f"    {argument},\n" for argument in arguments) + ")"
        source = "\n".join(
            [
                header,
                BEGIN_HIDDEN,
                "from katakit.exporters.nbgrader import hidden_test",
                "",
                call,
                END_HIDDEN,
            ]
        )
        cells.append(
            _cell(
                "code",
                f"test-{index:02d}",
                source,
                grade=True,
                solution=False,
                locked=True,
                grade_id=f"{kata.name}-test-{index:02d}",
                points=points,
            )
        )
    return {
        "cells": cells,
        "metadata": {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _cell(cell_type: str, cell_id: str, source: str, **nbgrader) -> dict:
    cell = {
        "cell_type": cell_type,
        "id": cell_id,
        "metadata": {"nbgrader": {**nbgrader, "schema_version": 3}},
        "source": source,
    }
    if cell_type == "code":
        cell["execution_count"] = None
        cell["outputs"] = []
    return cell


def _check_delimiters(what: str, text: str) -> None:
    for line in text.splitlines():
        if any(delimiter in line for delimiter in _DELIMITERS):
            raise ValueError(f"{what}: nbgrader would take this line for a region marker: {line!r}")


def statement_markdown(kata: Kata, stub: str, lang: str = "en") -> str:
    """Title, id and points, then the stub's docstring with reST literals made Markdown."""
    docstring = ast.get_docstring(ast.parse(stub)) or ""
    text = re.sub(r"``([^`]+?)``", r"`\1`", docstring)
    text = re.sub(r"(?m)^(.*\S)::$", r"\1:", text)
    text = re.sub(r"(?m)^\s*::$", "", text)
    if lang == "zh":
        return (
            f"# {kata.title_zh}\n\n`{kata.id}` · {kata.points} 分 · 难度 {kata.difficulty}/3\n\n"
            f"{text}\n\n在下面的代码单元中作答，保留其中给出的名字和签名。"
            "其后的隐藏测试只对该单元评分。"
        )
    points = f"{kata.points} point{'s' if kata.points != 1 else ''}"
    return (
        f"# {kata.title}\n\n`{kata.id}` · {points} · difficulty {kata.difficulty}/3\n\n{text}\n\n"
        "Write your answer in the code cell below, keeping the names and signatures it gives. "
        "The hidden tests after it grade that cell alone."
    )


def examples_source(kata: Kata, examples: str) -> str:
    """The public-example cell: the kata's ``<kata>_test.py`` (its docstring made a comment),
    then a call that runs each example against what the answer cell defined."""
    tree = ast.parse(examples)
    names = [
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    ]
    body = "\n".join(_drop_module_docstring(examples)).strip("\n")
    header = [
        f"# Public examples of {kata.id}: no points, a taste of the grading. Run the answer cell,",
        "# then this one: each example prints PASS or FAIL with the reason. The hidden tests below",
        "# grade your answer.",
    ]
    call = "run_examples(globals(), [" + ", ".join(names) + "])"
    lines = [*header, body, "", "", "from katakit.exporters.nbgrader import run_examples", "", call]
    return "\n".join(lines) + "\n"


def run_examples(namespace: dict, examples: list) -> None:
    """Run each public example with ``kata`` = what the notebook defined; print, never raise
    (the cell carries no points). Under ``nbgrader autograde`` nothing runs."""
    import types

    if os.environ.get("NBGRADER_EXECUTION") == "autograde":
        # nbgrader's documented marker: the learner's code must not run (and maybe end the
        # kernel) outside the hidden tests, which grade it in a process of its own
        print("public examples are not run while autograding; the hidden tests grade the answer")
        return
    kata = types.SimpleNamespace(**{k: v for k, v in namespace.items() if not k.startswith("_")})
    passed = 0
    for example in examples:
        try:
            example(kata)
        except NotImplementedError:
            print(f"FAIL {example.__name__}: not implemented yet")
        except Exception as exc:  # an example's failure is the learner's to read, not to raise
            first = (str(exc).strip().splitlines() or [""])[0]
            print(f"FAIL {example.__name__}: {type(exc).__name__}: {first}")
        else:
            passed += 1
            print(f"PASS {example.__name__}")
    print(f"{passed} of {len(examples)} public examples pass")


def _text_if_file(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def pack_grader(kata: Kata, grader: str, misconceptions: str = "") -> str:
    """The kata's manifest entry, grader source and the topic's misconceptions file,
    compressed, as one base64 string."""
    data = {"manifest": asdict(kata), "grader": grader, "misconceptions": misconceptions}
    data["manifest"].pop("topic")
    return base64.b64encode(zlib.compress(json.dumps(data).encode("utf-8"), 9)).decode("ascii")


def submission_notebook(released: Path, code: str, destination: Path) -> Path:
    """A learner's submitted notebook: ``released`` with its answer cell holding ``code``."""
    notebook = json.loads(Path(released).read_text(encoding="utf-8"))
    answers = [
        cell
        for cell in notebook["cells"]
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution")
    ]
    if len(answers) != 1:
        raise ValueError(f"{released} has {len(answers)} answer cells; expected 1")
    answers[0]["source"] = code
    answers[0]["outputs"] = []
    answers[0]["execution_count"] = None
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", "utf-8")
    return destination


# -- the answer cell: the stub with the reference in solution regions -----------------------------
class _CannotMerge(Exception):
    """The reference does not line up with the stub, function by function."""


def answer_source(stub: str, solution: str) -> str:
    """The answer cell of the source notebook.

    Released (solution regions replaced by :data:`CODE_STUB`) it is the stub's code; run as is,
    it is the reference. When the reference cannot be laid into the stub function by function,
    the stub is followed by one region holding the whole reference, which redefines everything.
    """
    try:
        merged = _Merge(stub, solution).run()
        _check_answer(stub, merged)
        return merged
    except (_CannotMerge, SyntaxError):
        pass
    whole = _whole_module_answer(stub, solution)
    try:
        _check_answer(stub, whole)
    except (_CannotMerge, SyntaxError) as exc:
        raise ValueError(f"cannot make an answer cell of the stub and reference: {exc}") from exc
    return whole


def released_code(answer: str, code_stub: str = CODE_STUB) -> str:
    """What nbgrader's ClearSolutions makes of an answer cell."""
    kept: list[str] = []
    inside = False
    for line in answer.split("\n"):
        if "BEGIN SOLUTION" in line:
            indent = re.match(r"\s*", line).group(0)
            kept.extend(indent + stub_line for stub_line in code_stub.split("\n"))
            inside = True
        elif "END SOLUTION" in line:
            inside = False
        elif not inside:
            kept.append(line)
    return "\n".join(kept)


def _check_answer(stub: str, answer: str) -> None:
    """The answer runs, and its released form is the stub's code statement for statement."""
    compile(answer, "<answer>", "exec")

    def shape(text: str) -> str:
        tree = ast.parse(text)
        body = [node for node in tree.body if not _is_future(node)]
        if body and _is_docstring(body[0]):
            body = body[1:]
        return ast.dump(ast.Module(body=body, type_ignores=[]))

    if shape(released_code(answer)) != shape(stub):
        raise _CannotMerge("the released answer cell would differ from the stub")


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _is_future(node: ast.stmt) -> bool:
    return isinstance(node, ast.ImportFrom) and node.module == "__future__"


def _raises_not_implemented(node: ast.stmt) -> bool:
    if not isinstance(node, ast.Raise) or node.exc is None:
        return False
    exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"


_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _is_stub_function(node: ast.stmt) -> bool:
    return isinstance(node, _FUNCTIONS) and _raises_not_implemented(node.body[-1])


def _contains_stub_function(node: ast.stmt) -> bool:
    return any(_is_stub_function(child) for child in ast.walk(node) if child is not node)


def _header(node: ast.stmt, decorators: bool = True) -> str:
    """A def or class without its body: names, defaults, bases and (optionally) decorators.
    Annotations are left out: they do not change what the code does."""
    if isinstance(node, _FUNCTIONS):
        arguments = copy.deepcopy(node.args)
        for argument in ast.walk(arguments):
            if isinstance(argument, ast.arg):
                argument.annotation = None
        parts = [arguments]
    else:
        parts = [*node.bases, *node.keywords]
    parts += getattr(node, "type_params", [])
    if decorators:
        parts += node.decorator_list
    return "|".join(ast.dump(part) for part in parts)


def _future_lines(text: str) -> list[str]:
    return [ast.get_source_segment(text, node) for node in ast.parse(text).body if _is_future(node)]


def _drop_module_docstring(text: str) -> list[str]:
    lines = text.split("\n")
    tree = ast.parse(text)
    if tree.body and _is_docstring(tree.body[0]):
        node = tree.body[0]
        lines = lines[: node.lineno - 1] + lines[node.end_lineno :]
        while lines and not lines[0].strip():
            lines.pop(0)
    return lines


def _whole_module_answer(stub: str, solution: str) -> str:
    """The stub, then one solution region with the whole reference (its docstring and
    ``__future__`` imports aside: those go first, outside the region)."""
    futures = [line for line in _future_lines(solution) if line not in _future_lines(stub)]
    reference = _drop_module_docstring(solution)
    tree = ast.parse("\n".join(reference))
    for node in reversed([node for node in tree.body if _is_future(node)]):
        del reference[node.lineno - 1 : node.end_lineno]
    while reference and not reference[-1].strip():
        reference.pop()
    lines = [*futures, *_drop_module_docstring(stub)]
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join([*lines, "", "", BEGIN_SOLUTION, *reference, END_SOLUTION]) + "\n"


class _Merge:
    """Lays the reference into the stub, one function body at a time."""

    def __init__(self, stub: str, solution: str) -> None:
        self.stub, self.solution = stub, solution
        self.stub_lines = stub.split("\n")
        while self.stub_lines and not self.stub_lines[-1].strip():
            self.stub_lines.pop()
        self.ref_lines = solution.split("\n")
        self.stub_tokens = list(tokenize.generate_tokens(io.StringIO(stub).readline))
        self.ref_tokens = list(tokenize.generate_tokens(io.StringIO(solution).readline))
        # (line index to insert before, order of creation, lines)
        self.inserts: list[tuple[int, int, list[str]]] = []

    def run(self) -> str:
        stub_tree, ref_tree = ast.parse(self.stub), ast.parse(self.solution)
        left = self._scope(stub_tree.body, ref_tree.body)
        left = [node for node in left if not _is_future(node)]
        if left:
            self._insert(
                len(self.stub_lines),
                ["", "", BEGIN_SOLUTION, *self._nodes_text(left, "", blank=2), END_SOLUTION],
            )
        lines = list(self.stub_lines)
        for index, _, block in sorted(self.inserts, key=lambda item: (-item[0], -item[1])):
            lines[index:index] = block
        text = "\n".join(lines)
        futures = [line for line in _future_lines(self.solution) if line not in _future_lines(text)]
        body = _drop_module_docstring(text)
        while body and not body[-1].strip():
            body.pop()
        return "\n".join([*futures, *body]) + "\n"

    def _insert(self, index: int, lines: list[str]) -> None:
        self.inserts.append((index, len(self.inserts), lines))

    def _scope(self, stub_body: list[ast.stmt], ref_body: list[ast.stmt]) -> list[ast.stmt]:
        """Fill the stub functions of one scope; return the reference statements still to add."""
        ref_definitions = {node.name: node for node in ref_body if isinstance(node, _DEFINITIONS)}
        stub_dumps = {_code_dump(node) for node in stub_body}
        used: set[int] = set()
        for node in stub_body:
            ref = ref_definitions.get(node.name) if isinstance(node, _DEFINITIONS) else None
            matches = ref is not None and type(ref) is type(node) and _header(ref) == _header(node)
            if _is_stub_function(node):
                # a decorator only the reference has goes in a region of its own, above the def
                bare = ref is not None and type(ref) is type(node) and not node.decorator_list
                if not (matches or (bare and _header(ref, False) == _header(node, False))):
                    raise _CannotMerge(f"no reference function matches {node.name}")
                self._fill(node, ref)
                used.add(id(ref))
            elif isinstance(node, ast.ClassDef) and matches:
                left = self._scope(node.body, ref.body)
                if left:
                    indent = " " * node.body[0].col_offset
                    block = [f"{indent}{BEGIN_SOLUTION}", *self._nodes_text(left, indent)]
                    self._insert(node.end_lineno, ["", *block, f"{indent}{END_SOLUTION}"])
                used.add(id(ref))
            elif _contains_stub_function(node):
                raise _CannotMerge(f"stub functions inside {type(node).__name__} at {node.lineno}")
        return [
            node
            for index, node in enumerate(ref_body)
            if id(node) not in used
            and _code_dump(node) not in stub_dumps
            and not (index == 0 and _is_docstring(node))
        ]

    def _fill(self, stub: ast.FunctionDef, ref: ast.FunctionDef) -> None:
        """The reference body goes just before the stub's ``raise`` and ends in a return, so the
        stub's code never runs. Code the stub gives before its ``raise`` stays where it is when
        the reference starts with the same statements; otherwise the region goes above it."""
        stub_doc = stub.body[0] if _is_docstring(stub.body[0]) else None
        raise_node = stub.body[-1]
        scaffold = stub.body[1 if stub_doc else 0 : -1]
        indent = " " * raise_node.col_offset
        if self.stub_lines[raise_node.lineno - 1][: raise_node.col_offset].strip():
            raise _CannotMerge(f"{stub.name}: its raise shares a line")
        ref_doc = ref.body[0] if _is_docstring(ref.body[0]) and len(ref.body) > 1 else None
        body = ref.body[1:] if ref_doc else ref.body
        if body[0].col_offset != raise_node.col_offset:
            raise _CannotMerge(f"{stub.name}: the reference body is indented differently")
        start = ref_doc.end_lineno + 1 if ref_doc else _header_end(self.ref_tokens, ref) + 1
        if _first_line(body[0]) < start:
            raise _CannotMerge(f"{stub.name}: the reference body starts on its header line")
        shared = [_code_dump(node) for node in scaffold] == [
            _code_dump(node) for node in body[: len(scaffold)]
        ]
        if scaffold and shared:
            start = body[len(scaffold) - 1].end_lineno + 1
        text = self.ref_lines[start - 1 : body[-1].end_lineno]
        while text and not text[0].strip():
            text.pop(0)
        if not isinstance(body[-1], ast.Return | ast.Raise):
            text.append(f"{indent}return")
        block = [f"{indent}{BEGIN_SOLUTION}", *text, f"{indent}{END_SOLUTION}"]
        if scaffold and not shared:
            at = stub_doc.end_lineno if stub_doc else _header_end(self.stub_tokens, stub)
        else:
            at = raise_node.lineno - 1
        self._insert(at, block)
        if ref.decorator_list and not stub.decorator_list:
            outer = " " * stub.col_offset
            decorators = self.ref_lines[_first_line(ref) - 1 : ref.lineno - 1]
            self._insert(
                stub.lineno - 1, [f"{outer}{BEGIN_SOLUTION}", *decorators, f"{outer}{END_SOLUTION}"]
            )

    def _nodes_text(self, nodes: list[ast.stmt], indent: str, blank: int = 1) -> list[str]:
        lines: list[str] = []
        last_end = 0
        for node in nodes:
            if node.col_offset != len(indent):
                raise _CannotMerge(f"reference code at line {node.lineno} is indented differently")
            start = _first_line(node)
            while start > last_end + 1 and self.ref_lines[start - 2].strip().startswith("#"):
                start -= 1  # the comment lines just above belong to it
            start = max(start, last_end + 1)
            if lines:
                lines.extend([""] * blank)
            lines.extend(self.ref_lines[start - 1 : node.end_lineno])
            last_end = node.end_lineno
        return lines


def _code_dump(node: ast.stmt) -> str:
    """A statement's code, docstrings left out: a reference that repeats a given definition
    without its docstring is the same code."""
    copy = ast.parse(ast.unparse(node)).body[0]
    for child in ast.walk(copy):
        body = getattr(child, "body", None)
        if isinstance(child, _DEFINITIONS) and len(body) > 1 and _is_docstring(body[0]):
            del body[0]
    return ast.dump(copy)


def _first_line(node: ast.stmt) -> int:
    return min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])


def _header_end(tokens: list[tokenize.TokenInfo], node: ast.stmt) -> int:
    """The line of the colon that ends a def or class header."""
    depth = 0
    for token in tokens:
        if token.start < (node.lineno, node.col_offset) or token.type != tokenize.OP:
            continue
        if token.string in "([{":
            depth += 1
        elif token.string in ")]}":
            depth -= 1
        elif token.string == ":" and depth == 0:
            return token.start[0]
    raise _CannotMerge(f"no header end for the definition at line {node.lineno}")


# -- at autograde time, in the notebook's kernel -------------------------------------------------
class HiddenTestFailed(AssertionError):
    """A hidden test did not earn its points. IPython shows ``_render_traceback_`` instead of a
    traceback, so the learner (and nbgrader's feedback) see katakit's message and nothing else."""

    def _render_traceback_(self) -> list[str]:
        return [f"AssertionError: {self}"]


HiddenTestFailed.__name__ = HiddenTestFailed.__qualname__ = "AssertionError"

# The kata's packed grader, from its first test cell; the report per (kata, answer code).
_GRADERS: dict[str, str] = {}
_REPORTS: dict[tuple[str, str], dict | str] = {}


def hidden_test(
    kata_id: str, test: str, *, notebook: str, answer: str, grader: str | None = None
) -> None:
    """Pass if ``test`` earned its points when katakit graded the answer cell, else raise
    :class:`HiddenTestFailed` with katakit's message. The kata is graded once per answer."""
    with warnings.catch_warnings(), _silenced():
        warnings.simplefilter("ignore")
        if grader is not None:
            _GRADERS[kata_id] = grader
        try:
            message = _verdict(kata_id, test, notebook, answer)
        except Exception as exc:  # whatever happens, the cell shows one line, not a traceback
            message = f"katakit could not grade this notebook: {type(exc).__name__}: {exc}"
    if message:
        raise HiddenTestFailed(message) from None


@contextlib.contextmanager
def _silenced():
    """Nothing reaches the cell's stdout or stderr: nbgrader fails a cell that wrote to stderr."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


def _verdict(kata_id: str, test: str, notebook: str, answer: str) -> str:
    """'' when the test earned its points, else the learner-facing reason."""
    report = _report(kata_id, notebook, answer)
    if isinstance(report, str):
        return report
    kata = next((kata for kata in report["katas"] if kata["id"] == kata_id), None)
    if kata is None:
        return f"katakit's report has no {kata_id}"
    result = next((result for result in kata["tests"] if result["name"] == test), None)
    if result is None:
        first = next((t["message"] for t in kata["tests"] if t["message"]), kata["status"])
        return f"this test did not run: {first}"
    if result["outcome"] in FATAL_OUTCOMES:
        return result["message"] or result["outcome"]
    fatal = next((t for t in kata["tests"] if t["outcome"] in FATAL_OUTCOMES), None)
    if fatal is not None:
        return (
            f"the whole kata scores 0 because one of its tests ended with "
            f"'{fatal['outcome']}': {fatal['message']}"
        )
    if result["outcome"] == "passed":
        return ""
    if result["outcome"] == "skipped":
        return "this test was skipped on the grading machine (it needs a GPU); it counts 0"
    return result["message"] or f"this test {result['outcome']}"


def _report(kata_id: str, notebook: str, answer: str) -> dict | str:
    code = answer_code(notebook, answer)
    key = (kata_id, hashlib.sha256(code.encode("utf-8")).hexdigest())
    if key not in _REPORTS:
        if kata_id not in _GRADERS:
            return "the first hidden test cell of this notebook did not run, so nothing was graded"
        # set first: if nbgrader interrupts the grading (its cell timeout), later cells say so
        _REPORTS[key] = (
            "grading was interrupted (nbgrader's Execute.timeout is shorter than the grading)"
        )
        _REPORTS[key] = grade_code(kata_id, code, _GRADERS[kata_id])
    return _REPORTS[key]


def answer_code(notebook: str, answer: str) -> str:
    """The answer cell's source, from the notebook file being run (nbgrader runs a notebook in
    its own folder, from a copy it has just written)."""
    folder = Path.cwd()
    for path in [folder / notebook, *sorted(folder.glob("*.ipynb"))]:
        try:
            cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
        except (OSError, ValueError, AttributeError):
            continue
        for cell in cells:
            if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == answer:
                source = cell.get("source", "")
                return "".join(source) if isinstance(source, list) else source
    raise FileNotFoundError(f"no answer cell '{answer}' in {folder / notebook}")


def grade_code(kata_id: str, code: str, packed: str) -> dict | str:
    """``katakit grade`` on ``code`` in a scratch project holding only this kata's manifest
    entry and grader: the JSON report, or why there is none."""
    data = json.loads(zlib.decompress(base64.b64decode(packed)).decode("utf-8"))
    topic, name = kata_id.split("/", 1)
    with tempfile.TemporaryDirectory(prefix="katakit-nbgrader-") as scratch:
        root = Path(scratch) / "project"
        (root / "exercises" / topic).mkdir(parents=True)
        (root / "graders" / topic).mkdir(parents=True)
        manifest = "[[katas]]\n" + "".join(
            f"{key} = {json.dumps(value, ensure_ascii=False)}\n"
            for key, value in data["manifest"].items()
        )
        (root / "exercises" / topic / "katas.toml").write_text(manifest, encoding="utf-8")
        (root / "graders" / topic / f"test_{name}.py").write_text(data["grader"], encoding="utf-8")
        if data.get("misconceptions"):
            (root / "graders" / topic / FILE_NAME).write_text(
                data["misconceptions"], encoding="utf-8"
            )
        (root / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")  # no ini from above
        submission = Path(scratch) / "submission"
        (submission / topic).mkdir(parents=True)
        (submission / topic / f"{name}.py").write_text(code, encoding="utf-8")
        output = Path(scratch) / "report.json"
        command = [
            sys.executable,
            "-m",
            "katakit",
            "--root",
            str(root),
            "grade",
            kata_id,
            "--target",
            str(submission),
            "--format",
            "json",
            "--output",
            str(output),
            "--exit-zero",
        ]
        done = subprocess.run(
            command,
            cwd=root,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
        )
        if not output.is_file():
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            return f"katakit grade failed (exit {done.returncode}): {last}"
        return json.loads(output.read_text(encoding="utf-8"))
