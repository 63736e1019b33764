"""Static checks of the kata tree, fast enough for a pre-commit hook: no code is imported.

Every kata has its stub, public examples, reference, grader and at least two mutants; stubs still
raise ``NotImplementedError`` and expose the same names as the reference; graders give every test
points and never import the reference; every mutant patch still applies (applied, never run) and a
mutant kept as a module says why; question ids exist; no file is left that nothing explains.
"""

from __future__ import annotations

import ast
from pathlib import Path

from katakit import misconceptions, mutation, statements
from katakit.catalog import Catalog, CatalogError, Kata, load_questions


def _public_names(tree: ast.Module) -> set[str]:
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_")
    }


def _raises_not_implemented(function: ast.FunctionDef) -> bool:
    for node in ast.walk(function):
        if isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(exc, ast.Name) and exc.id == "NotImplementedError":
                return True
    return False


def _stub_problems(stub: ast.Module) -> list[str]:
    problems = []
    for node in stub.body:
        functions = [node] if isinstance(node, ast.FunctionDef) else []
        if isinstance(node, ast.ClassDef):
            functions = [n for n in node.body if isinstance(n, ast.FunctionDef)]
        for function in functions:
            if function.name.startswith("_") and function.name != "__init__":
                continue
            if not _raises_not_implemented(function):
                problems.append(f"stub function {function.name} does not raise NotImplementedError")
    if ast.get_docstring(stub) is None:
        problems.append("stub has no module docstring (the statement)")
    return problems


def _grader_problems(grader: ast.Module) -> list[str]:
    problems = []
    for node in ast.walk(grader):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [alias.name for alias in node.names]
            if any(name.split(".")[0] == "solutions" for name in names):
                problems.append("grader imports from solutions/; it must work without them")
        named_by_text = (
            isinstance(node, ast.keyword)
            and node.arg == "misconceptions"
            and isinstance(node.value, ast.Dict)
            and any(isinstance(key, ast.Constant | ast.JoinedStr) for key in node.value.keys)
        )
        if named_by_text:
            problems.append(
                f"line {node.value.lineno}: a mistake named by plain text; give it an id in "
                "misconceptions.toml (en and zh) and pass MISTAKES[id]"
            )
    for node in grader.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
            marks = " ".join(ast.unparse(d) for d in node.decorator_list)
            if "points(" not in marks:
                problems.append(f"grader test {node.name} has no @pytest.mark.points(n)")
    return problems


def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def check_kata(catalog: Catalog, kata: Kata, question_ids: set[str]) -> list[str]:
    files = catalog.files(kata)
    problems = [f"unknown question id {q}" for q in kata.questions if q not in question_ids]
    if not kata.questions:
        problems.append("covers no question id")
    if not kata.hints:
        problems.append("has no hints")
    for label, path in (
        ("stub", files.stub),
        ("public examples", files.examples),
        ("reference solution", files.solution),
        ("grader", files.grader),
    ):
        if not path.is_file():
            problems.append(f"{label} {path.relative_to(catalog.root)} is missing")
    problems += mutation.problems(catalog, kata)
    if files.stub.is_file():
        stub = _parse(files.stub)
        problems += _stub_problems(stub)
        if files.solution.is_file():
            missing = _public_names(stub) - _public_names(_parse(files.solution))
            problems += [f"reference lacks {name}, which the stub defines" for name in missing]
    if files.grader.is_file():
        problems += _grader_problems(_parse(files.grader))
    problems += statements.problems(files)
    return [f"{kata.id}: {problem}" for problem in problems]


def unexplained_files(catalog: Catalog) -> list[str]:
    """Python files (mutant patches, translations) in the kata areas that belong to no kata in any
    manifest."""
    known: set[Path] = set()
    for kata in catalog.katas:
        files = catalog.files(kata)
        known |= {files.stub, files.examples, files.solution, files.grader, files.mutant_patches}
        known |= set(files.mutant_modules)
        known |= {statements.translation_path(files, lang) for lang in statements.SUFFIX}
    found = []
    for area, pattern in (
        ("exercises", "*.py"),
        ("exercises", "*.zh.rst"),
        ("solutions", "*.py"),
        ("graders", "*.py"),
        ("graders", "mutants/*.toml"),
    ):
        for path in sorted((catalog.root / area).rglob(pattern)):
            if path not in known and "__pycache__" not in path.parts:
                found.append(f"{path.relative_to(catalog.root)}: no kata in katas.toml explains it")
    return found


def check_tree(root: Path) -> list[str]:
    try:
        catalog = Catalog.load(root)
    except CatalogError as exc:
        return [str(exc)]
    question_ids = {question.id for question in load_questions()}
    problems = []
    for kata in catalog.katas:
        problems += check_kata(catalog, kata, question_ids)
    for path in sorted((catalog.root / "graders").glob(f"*/{misconceptions.FILE_NAME}")):
        where = path.relative_to(catalog.root)
        found = misconceptions.problems_in(path)
        if not found:
            found = [
                f"{m.id} has no Chinese text (zh)"
                for m in misconceptions.load(path.parent).values()
                if not m.zh
            ]
        problems += [f"{where}: {problem}" for problem in found]
    return problems + unexplained_files(catalog)
