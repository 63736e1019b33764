"""The GitHub Classroom workflow of a student release.

One step per kata with ``classroom-resources/autograding-command-grader@v1``: it runs a command
and awards ``max-score`` when the command exits 0, which ``katakit grade KATA`` does only with
full marks for that kata. The graders are not in the learner's repository: the workflow checks out
the instructor's private repository (the katakit project with ``graders/``) with a token from the
``KATAKIT_GRADERS_TOKEN`` secret, and grades the learner's ``exercises/`` against it. The last step,
``classroom-resources/autograding-grading-reporter@v1``, collects every step's result: it reads the
base64 JSON of each runner id listed in ``runners`` from the environment variable
``<ID in upper case>_RESULTS``.
"""

from __future__ import annotations

import json
import re

from katakit.catalog import Kata

COMMAND_GRADER = "classroom-resources/autograding-command-grader@v1"
REPORTER = "classroom-resources/autograding-grading-reporter@v1"
# The inputs each action declares in its action.yml (the command grader's `timeout` is minutes).
COMMAND_GRADER_INPUTS = {"test-name", "setup-command", "command", "timeout", "max-score"}
COMMAND_GRADER_REQUIRED = {"test-name", "command"}
REPORTER_INPUTS = {"runners"}

DEFAULT_GRADERS_REPO = "OWNER/katakit-graders"
GRADERS_PATH = ".katakit-graders"
STEP_TIMEOUT_MINUTES = 5


def step_id(kata: Kata) -> str:
    """``bn/batchnorm_forward`` -> ``bn-batchnorm-forward`` (a valid step id and env prefix)."""
    return re.sub(r"[^a-z0-9]+", "-", kata.id.lower()).strip("-")


def grade_command(kata: Kata, graders: str = GRADERS_PATH, target: str = "./exercises") -> str:
    return f"katakit --root {graders} grade {kata.id} --target {target}"


def _quoted(value: object) -> str:
    return json.dumps(str(value))  # a JSON string is a valid YAML scalar, escapes and all


def classroom_workflow(katas: list[Kata], graders_repo: str = DEFAULT_GRADERS_REPO) -> str:
    lines = [
        "# GitHub Classroom autograding for this assignment, written by `katakit release`.",
        f"# The hidden graders live in the instructor's private repository ({graders_repo}); add a",
        "# repository or organisation secret KATAKIT_GRADERS_TOKEN: a fine-grained token with",
        "# read access to its contents. Each step awards a kata's points when all its tests pass.",
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
        "      - name: Checkout the hidden graders",
        "        uses: actions/checkout@v4",
        "        with:",
        f"          repository: {graders_repo}",
        "          token: ${{ secrets.KATAKIT_GRADERS_TOKEN }}",
        f"          path: {GRADERS_PATH}",
        "      - uses: actions/setup-python@v5",
        "        with:",
        '          python-version: "3.11"',
        "      - name: Install katakit (CPU build of torch)",
        f"        run: python -m pip install -e {GRADERS_PATH} -c {GRADERS_PATH}/constraints/ci.txt"
        " --extra-index-url https://download.pytorch.org/whl/cpu",
    ]
    for kata in katas:
        lines += [
            f"      - name: {_quoted(kata.id)}",
            f"        id: {step_id(kata)}",
            f"        uses: {COMMAND_GRADER}",
            "        with:",
            f"          test-name: {_quoted(kata.id)}",
            f"          command: {_quoted(grade_command(kata))}",
            f"          timeout: {STEP_TIMEOUT_MINUTES}",
            f"          max-score: {kata.points}",
        ]
    lines += [
        "      - name: Autograding Reporter",
        f"        uses: {REPORTER}",
        "        env:",
        *(
            f"          {step_id(kata).upper()}_RESULTS: "
            f'"${{{{steps.{step_id(kata)}.outputs.result}}}}"'
            for kata in katas
        ),
        "        with:",
        f"          runners: {','.join(step_id(kata) for kata in katas)}",
    ]
    return "\n".join(lines) + "\n"
