"""Mutants as patches: they apply, a stale one is named, verify names the killing test and holds a
declared misconception to the failure messages; ``katakit mutants import`` converts a module."""

import re
from pathlib import Path

import pytest

from katakit.catalog import Catalog
from katakit.cli import main
from katakit.mutation import PatchError, Replacement, apply, build, mutants_of
from katakit.mutation_import import diff_replacements
from katakit.treecheck import check_tree
from katakit.verify import verify, verify_table

from .conftest import PROJECT


def katakit(capsys, root: Path, *args: str) -> tuple[int, str]:
    code = main(["--root", str(root), *args])
    return code, capsys.readouterr().out


def test_a_patch_applies_and_its_module_grades_as_the_mistake(demo_catalog, tmp_path):
    add = demo_catalog.by_id["demo/add"]
    subtracts = next(m for m in mutants_of(demo_catalog, add) if m.name == "subtracts")
    path = build(demo_catalog, subtracts, tmp_path)
    assert path == tmp_path / "demo/add__subtracts.py"
    assert path.read_text() == "def add(a: float, b: float) -> float:\n    return a - b\n"
    assert not list((PROJECT / "graders").rglob("*__subtracts.py")), "built into the project"


def test_the_build_replaces_the_reference_docstring_with_the_mistake(demo_catalog):
    reference = '"""Reference: add."""\n\ndef add(a, b):\n    return a + b\n'
    mutant = mutants_of(demo_catalog, demo_catalog.by_id["demo/add"])[1]
    assert mutant.source(reference) == (
        '"""Mutant of demo/add: subtracts"""\n\ndef add(a, b):\n    return a - b\n'
    )


@pytest.mark.parametrize(
    "old, message",
    [
        ("nowhere", "replacement 1 ('nowhere'): its old text is not in the reference"),
        ("b", "its old text occurs 2 times in the reference; add surrounding text"),
        ("", "replacement 1: its old text is empty"),
    ],
)
def test_a_patch_that_does_not_apply_says_why(old, message):
    with pytest.raises(PatchError, match=re.escape(message)):
        apply("def add(a, b):\n    return a + b\n", [Replacement(old, "x")])


def test_overlapping_replacements_are_refused():
    with pytest.raises(PatchError, match="overlap"):
        apply("return a + b\n", [Replacement("return a", "x"), Replacement("a + b", "y")])


def test_the_diff_widens_each_old_text_until_it_is_unique():
    reference = "x = 1\ny = 1\nz = 2\n"
    target = "x = 1\ny = 0\nz = 2\n"
    replacements = diff_replacements(reference, target)
    assert replacements == [Replacement("y = 1\n", "y = 0\n")]
    reference = "a = 1\nb = 1\na = 1\nc = 3\n"
    target = "a = 1\nb = 1\na = 2\nc = 3\n"
    (replacement,) = diff_replacements(reference, target)
    assert apply(reference, [replacement]) == target
    assert reference.count(replacement.old) == 1 and len(replacement.old.splitlines()) == 2


def test_a_stale_patch_is_reported_by_name_by_check_and_verify(capsys, demo_project):
    (demo_project / "solutions/demo/add.py").write_text(
        "def add(a: float, b: float) -> float:\n    return b + a\n"
    )
    stale = "demo/add: mutant 'subtracts' no longer applies: replacement 1 ('a + b')"
    code, out = katakit(capsys, demo_project, "check")
    assert code == 1 and stale in out
    assert "demo/add: mutant 'off_by_one' no longer applies" in out
    code, out = katakit(capsys, demo_project, "verify", "demo/add")
    assert code == 1 and "! mutant 'subtracts' no longer applies: replacement 1" in out


def test_verify_names_the_test_that_killed_each_mutant(capsys):
    code, out = katakit(capsys, PROJECT, "verify", "demo/add", "demo/mean")
    assert code == 0
    assert "mutant subtracts: killed by test_adds_small_numbers" in out
    assert "mutant n_minus_one: killed by test_mean_of_a_few_values" in out
    assert "mutant uses_numpy_mean: killed by" in out  # the module mutant


def test_a_declared_misconception_no_failure_names_is_reported(demo_project):
    patches = demo_project / "graders/demo/mutants/add.toml"
    patches.write_text(
        patches.read_text().replace(
            'mistake = "adds one too many"\n',
            'mistake = "adds one too many"\nmisconception = "subtracts"\n',
        )
    )
    catalog = Catalog.load(demo_project)
    (check,) = verify(catalog, catalog.select(["demo/add"]))
    assert check.problems == [
        "mutant 'off_by_one' declares misconception demo/subtracts, but no failing test's "
        "message names [demo/subtracts]"
    ]
    assert "[demo/subtracts]" in check.mutants["subtracts"].messages[0]


def test_check_refuses_unknown_misconceptions_and_modules_without_a_reason(demo_project):
    patches = demo_project / "graders/demo/mutants/add.toml"
    patches.write_text(patches.read_text().replace('"subtracts"\n[', '"no-such-mistake"\n['))
    module = demo_project / "graders/demo/mutants/mean__uses_numpy_mean.py"
    module.write_text(module.read_text().replace("Kept as a module:", "Kept:"))
    problems = "\n".join(check_tree(demo_project))
    assert "demo/add: mutant 'subtracts': no misconception 'no-such-mistake'" in problems
    assert "demo/mean: mutant 'uses_numpy_mean' is a complete module without a reason" in problems


def test_import_turns_a_module_into_a_patch_that_rebuilds_it(capsys, demo_project, tmp_path):
    module = demo_project / "graders/demo/mutants/weak__triples.py"
    original = '"""Mutant of demo/weak: triples."""\n\n\ndef double(x: float) -> float:\n'
    (demo_project / "solutions/demo/weak.py").write_text(
        '"""Reference: doubles."""\n\n\ndef double(x: float) -> float:\n    return 2 * x\n'
    )
    module.write_text(original + "    return 3 * x\n")
    code, out = katakit(capsys, demo_project, "mutants", "import", str(module))
    assert code == 0 and "1 imported, 0 kept as modules" in out and not module.exists()
    patches = (demo_project / "graders/demo/mutants/weak.toml").read_text()
    assert 'name = "triples"\nmistake = "triples."' in patches
    catalog = Catalog.load(demo_project)
    triples = mutants_of(catalog, catalog.by_id["demo/weak"])[-1]
    assert build(catalog, triples, tmp_path).read_text() == original + "    return 3 * x\n"
    kept = demo_project / "graders/demo/mutants/mean__uses_numpy_mean.py"
    code, out = katakit(capsys, demo_project, "mutants", "import", str(kept))
    assert code == 1 and "kept: it says it is kept as a module" in out and kept.exists()


def test_the_self_check_judges_the_committed_stub_not_a_learners_answer(demo_project):
    """A learner who solves a kata in a checkout of the project does not break its self-check."""
    import subprocess

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(demo_project), *args], check=True, capture_output=True)

    git("init", "-q")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "project")
    (demo_project / "exercises/demo/add.py").write_text("def add(a, b):\n    return a + b\n")
    [check] = verify(Catalog.load(demo_project), [Catalog.load(demo_project).by_id["demo/add"]])
    assert check.stub == (0, 3) and not check.problems


def test_every_test_runs_each_mutant_through_all_tests_and_lists_what_it_loses(demo_project):
    """``verify --every-test`` shows what one mistake costs (to find tests of another promise
    that fail with it); the plain self-check stops each mutant at its first failure."""
    catalog = Catalog.load(demo_project)
    (quick,) = verify(catalog, catalog.select(["demo/add"]))
    (full,) = verify(catalog, catalog.select(["demo/add"]), every_test=True)
    assert quick.mutants["off_by_one"].failed == ("test_adds_small_numbers",)
    assert full.mutants["off_by_one"].failed == (
        "test_adds_small_numbers",
        "test_adds_negative_numbers",
        "test_adds_fractions",
    )
    table = verify_table([full], every_test=True)
    assert "mutant off_by_one: loses 3 in 3 tests: test_adds_small_numbers, " in table
    assert "killed by" not in table
    assert full.unexercised == [] and "no mutant fails" not in table


def test_every_test_lists_the_tests_no_mutant_fails(demo_project):
    """A test no mutant fails checks a promise whose mistakes no mutant models yet (or cannot
    fail at all): --every-test names it."""
    patches = demo_project / "graders/demo/mutants/add.toml"
    patches.write_text(
        patches.read_text().replace('new = "return a + b + 1"', 'new = "return a + b + (a == 2)"')
    )
    patches.write_text(
        patches.read_text().replace('new = "a - b"', 'new = "a + b if a != 2 else -1"')
    )
    catalog = Catalog.load(demo_project)
    (full,) = verify(catalog, catalog.select(["demo/add"]), every_test=True)
    assert full.unexercised == ["test_adds_negative_numbers", "test_adds_fractions"]
    table = verify_table([full], every_test=True)
    assert "no mutant fails: test_adds_negative_numbers, test_adds_fractions" in table
