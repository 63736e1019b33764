"""GitHub Classroom: the autograding workflow of a student release, and the per-test result that
``classroom-resources/autograding-grading-reporter@v1`` reads.

The format follows the reporter's source (``src/main.js``, ``src/console-results.js``,
``src/notify-classroom.js``, ``src/helpers/test-helpers.js``) and what the classroom-resources
runners write (``autograding-command-grader``'s ``generateResult``): each runner step sets an output
``result``, the base64 of a JSON object ``{"version", "status", "max_score", "tests": [...]}``, and
the reporter reads it from the environment variable ``<RUNNER ID IN UPPER CASE>_RESULTS``. Each
test has ``name``, ``status`` (``pass``, ``fail`` or ``error``), ``score``, ``message``,
``test_code``, ``filename``, ``line_no`` and ``duration``. The reporter:

- sends Classroom ``totalPoints`` = the sum of every test's ``score`` over runners whose
  ``max_score`` is not 0, and ``maxPoints`` = the sum of the runners' ``max_score``;
- prints, per runner, ``(tests with status "pass" / number of tests) * max_score``;
- prints a test's ``name`` (and ``- line N`` when ``line_no`` is not 0), its ``test_code`` when not
  empty, and its ``message`` only when the status is ``error``.

So that the printed figures equal the points Classroom records, a hidden test worth ``p`` points is
``p`` entries of one point each (the first named with the test, the others "point 2 of p"...), and
a failed test's learner-facing message is part of its name, where the reporter shows it.

The graders are not in the learner's repository: the workflow checks out a graders-only repository
(what ``katakit graders-bundle`` writes: graders, manifests, misconceptions and the engine, never
solutions or mutants) with a read-only token, without leaving the token in the checkout.
"""

from __future__ import annotations

import json
import re
from typing import Any

from katakit.catalog import Kata
from katakit.results import FATAL_OUTCOMES, Report

REPORTER = "classroom-resources/autograding-grading-reporter@v1"
# The inputs the reporter declares in its action.yml.
REPORTER_INPUTS = {"runners", "token"}
RESULT_VERSION = 1
RESULT_OUTPUT = "result"

DEFAULT_GRADERS_REPO = "OWNER/katakit-graders"
GRADERS_PATH = ".katakit-graders"
STEP_TIMEOUT_MINUTES = 5


def step_id(kata: Kata | str) -> str:
    """``bn/batchnorm_forward`` -> ``bn-batchnorm-forward`` (a valid step id and env prefix)."""
    kata_id = kata if isinstance(kata, str) else kata.id
    return re.sub(r"[^a-z0-9]+", "-", kata_id.lower()).strip("-")


def grade_command(kata: Kata, graders: str = GRADERS_PATH, target: str = "./exercises") -> str:
    """The step's command: grade one kata and set the step's ``result`` output for the reporter."""
    return (
        f"katakit --root {graders} grade {kata.id} --target {target} --format classroom "
        f"--exit-zero --github-output {RESULT_OUTPUT}"
    )


# -- the result a runner hands the reporter -------------------------------------------------------
def _indented(text: str) -> str:
    return "\n".join("    " + line for line in text.strip().splitlines())


def classroom_result(report: Report) -> dict[str, Any]:
    """The reporter's runner result for ``report`` (normally one kata: one runner per kata)."""
    tests: list[dict[str, Any]] = []
    for kata in report.katas:
        graded = [test for test in kata.tests if test.outcome != "skipped"]
        if not graded:
            why = f"{kata.id}: no hidden grader ran ({kata.status})"
            tests.append(_entry(why, "error", 0, why))
            continue
        voided = kata.voided
        fatal = next((t for t in graded if t.outcome in FATAL_OUTCOMES), None)
        for test in graded:
            if not test.max_score:
                continue  # no points: the reporter would count it as a point
            earned = test.outcome == "passed" and not voided
            if earned:
                message = ""
            elif test.outcome == "passed":
                message = (
                    f"passed, but the whole kata scores 0: a test ended with '{fatal.outcome}': "
                    f"{fatal.message}"
                )
            else:
                message = test.message or f"this test {test.outcome}"
            verdict = "pass" if earned else "fail"
            shown = test.max_score if earned else 0
            label = f"{kata.id} :: {test.name} ({shown}/{test.max_score} points)"
            if message:
                label += "\n" + _indented(message)
            for unit in range(1, test.max_score + 1):
                more = f"{kata.id} :: {test.name} (point {unit} of {test.max_score})"
                tests.append(_entry(label if unit == 1 else more, verdict, int(earned), message))
    max_score = sum(kata.max_score for kata in report.katas)
    if any(t["status"] == "error" for t in tests):
        status = "error"
    elif report.score == max_score and all(t["status"] == "pass" for t in tests):
        status = "pass"
    else:
        status = "fail"
    return {"version": RESULT_VERSION, "status": status, "max_score": max_score, "tests": tests}


def _entry(name: str, status: str, score: int, message: str) -> dict[str, Any]:
    return {
        "name": name,
        "status": status,
        "score": score,
        "message": message,
        "test_code": "",
        "filename": "",
        "line_no": 0,
        "duration": 0,
    }


# -- the workflow ---------------------------------------------------------------------------------
def _quoted(value: object) -> str:
    return json.dumps(str(value))  # a JSON string is a valid YAML scalar, escapes and all


def classroom_workflow(katas: list[Kata], graders_repo: str = DEFAULT_GRADERS_REPO) -> str:
    lines = [
        "# GitHub Classroom autograding for this assignment, written by `katakit release`.",
        f"# The hidden graders come from a graders-only repository ({graders_repo}): what",
        "# `katakit graders-bundle` writes (graders, manifests, misconceptions and the engine; no",
        "# solutions, no mutants). Add a repository or organisation secret KATAKIT_GRADERS_TOKEN:",
        "# a fine-grained token with read-only access to the contents of that repository alone.",
        "# A learner who edits this workflow can print anything it can read, hidden graders",
        "# included, and can report any score: regrade with `katakit batch-grade` for grades that",
        "# count. Each kata's step reports every hidden test with its points and message.",
        "name: Autograding Tests",
        "on: [push, repository_dispatch]",
        "permissions:",
        "  checks: write",
        "  actions: read",
        "  contents: read",
        "jobs:",
        "  run-autograding-tests:",
        "    runs-on: ubuntu-latest",
        "    if: github.actor != 'github-classroom[bot]'",
        "    steps:",
        "      - name: Checkout code",
        "        uses: actions/checkout@v4",
        "        with:",
        "          persist-credentials: false",
        "      - name: Checkout the hidden graders (graders-only repository)",
        "        uses: actions/checkout@v4",
        "        with:",
        f"          repository: {graders_repo}",
        "          token: ${{ secrets.KATAKIT_GRADERS_TOKEN }}",
        f"          path: {GRADERS_PATH}",
        "          persist-credentials: false",
        "      - uses: actions/setup-python@v5",
        "        with:",
        '          python-version: "3.11"',
        "      - name: Install katakit from the graders bundle (CPU build of torch)",
        f"        run: python -m pip install -e {GRADERS_PATH} -c {GRADERS_PATH}/constraints/ci.txt"
        " --extra-index-url https://download.pytorch.org/whl/cpu",
    ]
    for kata in katas:
        lines += [
            f"      - name: {_quoted(kata.id)}",
            f"        id: {step_id(kata)}",
            f"        timeout-minutes: {STEP_TIMEOUT_MINUTES}",
            f"        run: {_quoted(grade_command(kata))}",
        ]
    lines += [
        "      - name: Autograding Reporter",
        f"        uses: {REPORTER}",
        "        env:",
        *(
            f"          {step_id(kata).upper()}_RESULTS: "
            f'"${{{{steps.{step_id(kata)}.outputs.{RESULT_OUTPUT}}}}}"'
            for kata in katas
        ),
        "        with:",
        f"          runners: {','.join(step_id(kata) for kata in katas)}",
    ]
    return "\n".join(lines) + "\n"
