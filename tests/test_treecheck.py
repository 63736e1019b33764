from katakit.treecheck import check_tree

from .conftest import PROJECT, REPO


def test_fixture_project_is_clean():
    assert check_tree(PROJECT) == []


def test_repository_kata_tree_is_clean():
    assert check_tree(REPO) == []


def test_broken_tree_problems_are_each_reported(demo_project):
    (demo_project / "exercises/demo/add.py").write_text(
        '"""Add."""\n\ndef add(a, b):\n    return 0\n'
    )
    (demo_project / "graders/demo/mutants/mean.toml").unlink()
    grader = demo_project / "graders/demo/test_weak.py"
    grader.write_text(grader.read_text().replace("@pytest.mark.points(1)\n", ""))
    (demo_project / "solutions/demo/stray.py").write_text("x = 1\n")
    manifest = demo_project / "exercises/demo/katas.toml"
    manifest.write_text(manifest.read_text().replace('"s001-13"', '"s999-01"'))
    problems = "\n".join(check_tree(demo_project))
    assert "demo/add: stub function add does not raise NotImplementedError" in problems
    assert "demo/mean: has 1 mutant(s); at least 2 are required" in problems
    assert (
        "demo/weak: grader test test_double_of_zero_is_zero has no @pytest.mark.points" in problems
    )
    assert "solutions/demo/stray.py: no kata in katas.toml explains it" in problems
    assert "demo/add: unknown question id s999-01" in problems


def test_a_mistake_named_by_plain_text_is_refused(demo_project):
    grader = demo_project / "graders/demo/test_add.py"
    grader.write_text(
        grader.read_text().replace('MISTAKES["subtracts"]', '"subtracting instead of adding"')
    )
    problems = "\n".join(check_tree(demo_project))
    assert "a mistake named by plain text; give it an id in misconceptions.toml" in problems
