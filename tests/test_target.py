import sys

import pytest

from katakit.target import KataImportError, KataMissing, Target, load_kata_module, resolve_target

from .conftest import PROJECT, SUBMISSIONS


def test_named_targets_resolve_inside_the_project():
    assert resolve_target("solutions", PROJECT).folder == PROJECT / "solutions"
    assert (
        resolve_target("exercises", PROJECT).locate("demo/add") == PROJECT / "exercises/demo/add.py"
    )


def test_a_folder_target_and_a_bad_one(tmp_path):
    assert resolve_target(str(tmp_path), PROJECT).folder == tmp_path
    with pytest.raises(ValueError, match="neither 'exercises', 'solutions' nor an existing folder"):
        resolve_target(str(tmp_path / "nowhere"), PROJECT)


def test_two_targets_load_the_same_kata_as_separate_private_modules(tmp_path):
    mutant_file = tmp_path / "add.py"
    mutant_file.write_text("def add(a, b):\n    return a - b\n")
    solution = load_kata_module(Target("solutions", PROJECT / "solutions"), "demo/add")
    mutant = load_kata_module(Target("m", files={"demo/add": mutant_file}), "demo/add")
    assert solution.add(2, 1) == 3 and mutant.add(2, 1) == 1
    assert solution.__name__ != mutant.__name__
    assert solution.__name__.startswith("katakit_target_") and "add" not in sys.modules


def test_a_kata_absent_from_the_target_is_missing():
    with pytest.raises(KataMissing, match="demo/add is missing from target"):
        load_kata_module(Target("t", SUBMISSIONS / "missing"), "demo/add")


def test_syntax_error_names_the_line():
    with pytest.raises(KataImportError, match="syntax error on line 1"):
        load_kata_module(Target("t", SUBMISSIONS / "syntax_error"), "demo/add")


def test_import_error_is_reported_not_raised_raw():
    with pytest.raises(KataImportError, match=r"ModuleNotFoundError.*numpy_but_misspelled"):
        load_kata_module(Target("t", SUBMISSIONS / "import_error"), "demo/add")
