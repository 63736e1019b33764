"""Grade each broken or hostile submission in fixtures/submissions against its expected.json.

Every case holds a correct ``demo/mean`` beside its ``demo/add``: whatever ``add`` does (loop,
exit, crash, eat memory, flood output, patch numpy), ``mean`` must score exactly as it would alone.
"""

import json

import pytest

from katakit.isolation import Limits
from katakit.mutation import build, mutants_of
from katakit.runner import grade
from katakit.target import Target

from .conftest import SUBMISSIONS

CASES = sorted(path.name for path in SUBMISSIONS.iterdir() if path.is_dir())
# Tight limits keep the hostile cases quick; the messages below quote them. The memory limit is
# headroom above what the learner's process starts with: filling it costs a memory hog CPU time
# (the kernel zeroes every page), which must stay well inside its one second on a busy machine.
LIMITS = Limits(kata_seconds=5, memory_mb=256, output_mb=1)


@pytest.fixture(scope="module")
def demo_katas(demo_catalog):
    return demo_catalog.select(["demo/add", "demo/mean"])


@pytest.mark.parametrize("case", CASES)
def test_submission_scores_as_expected(demo_catalog, demo_katas, case):
    target = Target(case, SUBMISSIONS / case)
    report = grade(demo_catalog, demo_katas, target, test_timeout=1, limits=LIMITS)
    expected = json.loads((SUBMISSIONS / case / "expected.json").read_text())
    for kata_id, want in expected.items():
        result = report.kata(kata_id)
        assert (result.score, result.status) == (want["score"], want["status"]), kata_id
        assert want["message_contains"] in result.first_failure
    # A kata the case does not mention is simply absent from the submission.
    for result in report.katas:
        if result.id not in expected:
            assert (result.score, result.status) == (0, "missing")


def test_report_json_has_the_documented_shape(demo_catalog, demo_katas):
    report = grade(demo_catalog, demo_katas, Target("partial", SUBMISSIONS / "partial"))
    document = json.loads(json.dumps(report.to_dict()))
    assert set(document) == {"target", "score", "max_score", "katas"}
    assert (document["score"], document["max_score"]) == (2, 5)
    kata = document["katas"][0]
    assert {"id", "score", "max_score", "status", "state", "tests"} <= set(kata)
    assert kata["status"] in ("passed", "failed", "error", "missing", "timeout")
    assert kata["state"] == "graded"
    test = kata["tests"][0]
    assert set(test) == {"name", "score", "max_score", "outcome", "message", "misconception"}
    assert sum(t["max_score"] for t in kata["tests"]) == kata["max_score"] == 3


def test_partial_credit_is_the_sum_of_passed_tests(demo_catalog, demo_katas):
    report = grade(demo_catalog, demo_katas, Target("partial", SUBMISSIONS / "partial"))
    add = report.kata("demo/add")
    assert [t.outcome for t in add.tests] == ["passed", "failed", "passed"]
    assert add.score == sum(t.max_score for t in add.tests if t.outcome == "passed") == 2


def test_reference_gets_full_marks_and_stub_zero(demo_catalog, demo_katas):
    full = grade(demo_catalog, demo_katas, Target("solutions", demo_catalog.root / "solutions"))
    stub = grade(demo_catalog, demo_katas, Target("exercises", demo_catalog.root / "exercises"))
    assert (full.score, full.max_score) == (5, 5)
    assert stub.score == 0
    assert "not implemented yet: add" in stub.kata("demo/add").first_failure


def test_misconception_is_named_in_the_message(demo_catalog, demo_katas, tmp_path):
    add = demo_catalog.by_id["demo/add"]
    subtracts = next(m for m in mutants_of(demo_catalog, add) if m.name == "subtracts")
    mutant = build(demo_catalog, subtracts, tmp_path)
    report = grade(demo_catalog, demo_katas, Target("m", files={"demo/add": mutant}))
    assert "This matches a known mistake: subtracting instead of adding [demo/subtracts]" in (
        report.kata("demo/add").first_failure
    )


def test_points_that_disagree_with_the_manifest_void_that_kata_only(demo_project):
    from katakit.catalog import Catalog

    grader = demo_project / "graders/demo/test_add.py"
    grader.write_text(grader.read_text().replace("points(1)", "points(2)", 1))
    catalog = Catalog.load(demo_project)
    katas = catalog.select(["demo/add", "demo/mean"])
    report = grade(catalog, katas, Target("s", demo_project / "solutions"))
    add, mean = report.kata("demo/add"), report.kata("demo/mean")
    assert (add.score, add.status) == (0, "error")
    assert "carry 4 points but katas.toml says 3" in add.first_failure
    assert (mean.score, mean.status) == (2, "passed")


def test_gpu_tests_skip_without_cuda_and_leave_the_maximum(demo_project_with_gpu_test):
    import torch

    from katakit.catalog import Catalog

    project = demo_project_with_gpu_test
    catalog = Catalog.load(project)
    report = grade(catalog, catalog.select(["demo/add"]), Target("s", project / "solutions"))
    add = report.kata("demo/add")
    gpu_test = next(t for t in add.tests if t.name == "test_adds_on_the_gpu")
    if torch.cuda.is_available():
        assert gpu_test.outcome == "passed" and add.max_score == 4
    else:
        assert gpu_test.outcome == "skipped" and (add.score, add.max_score) == (3, 3)
        assert add.status == "passed"
