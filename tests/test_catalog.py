from pathlib import Path

import pytest

from katakit.catalog import (
    Catalog,
    CatalogError,
    coverage,
    find_root,
    katas_at,
    learner_libraries,
    load_questions,
    read_manifest,
)

from .conftest import PROJECT, REPO


def test_manifest_order_and_fields(demo_catalog):
    assert [k.id for k in demo_catalog.katas] == ["demo/add", "demo/mean", "demo/weak"]
    mean = demo_catalog.by_id["demo/mean"]
    assert mean.points == 2
    assert mean.forbidden == ("numpy.mean",)
    assert mean.hints == ("Sum, then divide by the count.",)


def test_selection_by_topic_and_id_keeps_manifest_order(demo_catalog):
    assert [k.name for k in demo_catalog.select(["demo/weak", "demo/add"])] == ["add", "weak"]
    assert len(demo_catalog.select(["demo"])) == 3
    assert len(demo_catalog.select([])) == 3


def test_unknown_selection_says_how_to_find_names(demo_catalog):
    with pytest.raises(CatalogError, match="katakit list"):
        demo_catalog.select(["nope"])


def test_unknown_manifest_key_is_rejected_with_the_allowed_keys(tmp_path: Path):
    manifest = tmp_path / "topic" / "katas.toml"
    manifest.parent.mkdir()
    manifest.write_text(
        '[[katas]]\nname = "x"\ntitle = "X"\ntitle_zh = "X"\nquestions = []\n'
        "difficulty = 1\npoints = 1\nhints = []\npionts = 3\n"
    )
    with pytest.raises(CatalogError, match=r"unknown key\(s\) \['pionts'\].*allowed keys"):
        read_manifest(manifest)


@pytest.mark.parametrize(
    "field, value, message",
    [("difficulty", "4", "difficulty must be 1, 2 or 3"), ("points", '"ten"', "must be a int")],
)
def test_bad_field_values_are_rejected(tmp_path: Path, field, value, message):
    entry = {
        "name": '"x"',
        "title": '"X"',
        "title_zh": '"X"',
        "questions": "[]",
        "difficulty": "1",
        "points": "1",
        "hints": "[]",
    }
    entry[field] = value
    manifest = tmp_path / "topic" / "katas.toml"
    manifest.parent.mkdir()
    manifest.write_text("[[katas]]\n" + "".join(f"{k} = {v}\n" for k, v in entry.items()))
    with pytest.raises(CatalogError, match=message):
        read_manifest(manifest)


def test_files_pair_by_path(demo_catalog):
    files = demo_catalog.files(demo_catalog.by_id["demo/add"])
    assert files.stub == PROJECT / "exercises/demo/add.py"
    assert files.grader == PROJECT / "graders/demo/test_add.py"
    assert files.mutant_patches == PROJECT / "graders/demo/mutants/add.toml"
    assert files.mutant_modules == []
    mean = demo_catalog.files(demo_catalog.by_id["demo/mean"])
    assert [p.name for p in mean.mutant_modules] == ["mean__uses_numpy_mean.py"]


@pytest.mark.parametrize(
    "relative",
    [
        "exercises/demo/add.py",
        "exercises/demo/add_test.py",
        "graders/demo/test_add.py",
        "graders/demo/mutants/add.toml",
    ],
)
def test_every_file_of_a_kata_maps_back_to_it(demo_catalog, relative):
    assert demo_catalog.kata_for_path(PROJECT / relative).id == "demo/add"


def test_root_is_found_from_a_nested_folder():
    assert find_root(PROJECT / "exercises" / "demo") == PROJECT
    assert find_root(Path("/")) is None


def test_question_list_is_the_full_seed_list():
    questions = load_questions()
    assert len(questions) == 121
    assert len({q.id for q in questions}) == 121
    assert questions[0].id == "s000-01"


def test_coverage_lists_covering_katas_per_question(demo_catalog):
    rows = dict((q.id, katas) for q, katas in coverage(demo_catalog, load_questions()))
    assert rows["s001-13"] == ["demo/add"]
    assert rows["s001-14"] == ["demo/mean", "demo/weak"]
    assert rows["s000-01"] == []


def test_every_kata_of_the_repository_names_known_questions():
    known = {q.id for q in load_questions()}
    for kata in Catalog.load(REPO).katas:
        assert kata.questions and set(kata.questions) <= known, kata.id


def test_learner_libraries_are_what_a_katas_files_import():
    """torch is preloaded for the learners only where a kata's stub, examples or grader (whose
    probes and tensors run over there) import it."""
    catalog = Catalog.load(REPO)
    assert "torch" not in learner_libraries(catalog, catalog.select(["python"]))
    assert learner_libraries(catalog, catalog.select(["algo/sorting"])) == ()
    assert learner_libraries(catalog, catalog.select(["bn"])) == ("numpy", "torch")


def test_katas_at_the_paths_a_pytest_run_was_given():
    catalog = Catalog.load(REPO)
    assert katas_at(catalog, [REPO / "exercises" / "bn"]) == catalog.select(["bn"])
    assert katas_at(catalog, [REPO / "exercises" / "bn" / "weight_norm.py"]) == catalog.select(
        ["bn/weight_norm"]
    )
    assert katas_at(catalog, [REPO / "graders" / "python" / "test_closures.py"]) == (
        catalog.select(["python/closures"])
    )
    assert katas_at(catalog, [REPO]) == catalog.katas
