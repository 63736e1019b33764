import json
import re
import subprocess
import sys

import pytest

from katakit.cli import main

from .conftest import PROJECT, REPO, SUBMISSIONS


def katakit(capsys, *args):
    code = main(["--root", str(PROJECT), *args])
    return code, capsys.readouterr().out


def test_list_shows_points_difficulty_and_status(capsys):
    code, out = katakit(capsys, "list", "demo", "--target", str(SUBMISSIONS / "partial"))
    assert code == 0
    assert "demo/add   Add two numbers" in out
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("demo/")}
    assert lines["demo/add"].endswith("written") and lines["demo/mean"].endswith("missing")


def test_grade_json_to_a_file_and_exit_codes(capsys, tmp_path):
    output = tmp_path / "report.json"
    code, _ = katakit(
        capsys,
        "grade",
        "demo/add",
        "--target",
        "solutions",
        "--format",
        "json",
        "--output",
        str(output),
    )
    report = json.loads(output.read_text())
    assert code == 0 and report["score"] == report["max_score"] == 3
    code, out = katakit(capsys, "grade", "demo/add")
    assert code == 1 and re.search(r"demo/add\s+0/3\s+failed", out)
    code, _ = katakit(capsys, "grade", "demo/add", "--exit-zero")
    assert code == 0


def test_verify_names_the_surviving_mutant_and_fails(capsys):
    code, out = katakit(capsys, "verify", "demo")
    assert code == 1
    assert "mutant 'returns_zero' survives with 1/1" in out
    assert "2 of 3 katas pass the self-check" in out


def test_verify_passes_on_katas_with_discriminating_graders(capsys):
    code, out = katakit(capsys, "verify", "demo/add", "demo/mean")
    assert code == 0 and "2 of 2 katas pass" in out


def test_coverage_json_shape(capsys):
    code, out = katakit(capsys, "coverage", "--format", "json")
    document = json.loads(out)
    assert code == 0 and set(document) == {"questions", "covered", "total"}
    assert document["total"] == 121 and document["covered"] == 2
    first = document["questions"][0]
    assert set(first) == {"id", "title", "katas"}


def test_coverage_text_lists_uncovered_ids(capsys):
    _, out = katakit(capsys, "coverage")
    assert "2 of 121 questions covered" in out
    assert "uncovered: s000-01" in out


def test_hints_come_one_level_at_a_time(capsys):
    _, out = katakit(capsys, "hint", "demo/add")
    assert "hint 1/2: Use +." in out and "Really" not in out and "--level 2" in out
    _, out = katakit(capsys, "hint", "demo/add", "--level", "2")
    assert "hint 2/2: Really" in out


@pytest.mark.parametrize("args", [["grade", "nope"], ["hint", "demo/nope"]])
def test_unknown_names_exit_2_with_a_message(capsys, args):
    assert main(["--root", str(PROJECT), *args]) == 2
    assert "katakit list" in capsys.readouterr().err


def test_module_entry_point_runs():
    result = subprocess.run(
        [sys.executable, "-m", "katakit", "--root", str(PROJECT), "hint", "demo/mean"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and "Sum, then divide" in result.stdout


def test_release_command_writes_a_leak_checked_repository(capsys, tmp_path):
    from .conftest import REPO

    code = main(["--root", str(REPO), "release", str(tmp_path / "out"), "bn/weight_norm"])
    assert code == 0 and "leak check clean" in capsys.readouterr().out
    assert (tmp_path / "out/exercises/bn/weight_norm.py").is_file()


def test_nbgrader_command_takes_kata_ids_after_the_assignment_option(capsys, tmp_path):
    code = main(
        [
            "--root",
            str(PROJECT),
            "nbgrader",
            str(tmp_path),
            "--assignment",
            "a1",
            "demo/add",
            "demo/mean",
        ]
    )
    assert code == 0 and "2 source notebooks" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "source/a1").iterdir()) == [
        "demo__add.ipynb",
        "demo__mean.ipynb",
    ]


def test_doctor_says_which_containment_layers_hold(capsys):
    assert main(["--root", str(PROJECT), "doctor"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("holds   session")  # the layer that holds everywhere
    assert {line.split()[1] for line in lines if line.startswith(("holds", "absent"))} == {
        "session",
        "pid",
        "network",
        "filesystem",
        "nobody",
        "no-exec",
    }


def test_every_command_and_option_says_what_it_is_for():
    import argparse

    from katakit.cli import build_parser

    missing = []

    def walk(parser: argparse.ArgumentParser, name: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                helps = {choice.dest: choice.help for choice in action._choices_actions}
                for command, sub in action.choices.items():
                    if not helps.get(command):
                        missing.append(f"{name} {command}")
                    walk(sub, f"{name} {command}")
            elif not action.help and not isinstance(action, argparse._HelpAction):
                missing.append(f"{name} {action.option_strings or action.dest}")

    walk(build_parser(), "katakit")
    assert missing == []


def test_list_fits_80_columns_and_a_closed_pipe_is_not_a_traceback():
    import subprocess
    import sys

    listing = subprocess.run(
        [sys.executable, "-m", "katakit", "list"], capture_output=True, text=True, cwd=REPO
    )
    from katakit.reporting import display_width

    assert max(display_width(line) for line in listing.stdout.splitlines()) <= 80
    piped = subprocess.run(
        f"{sys.executable} -m katakit list | head -1", shell=True, capture_output=True,
        text=True, cwd=REPO,
    )  # fmt: skip
    assert piped.stdout.startswith("id") and "Traceback" not in piped.stderr, piped.stderr


def test_a_bare_kata_name_is_accepted_and_a_near_miss_gets_suggestions(capsys):
    assert main(["--root", str(REPO), "hint", "batchnorm_forward"]) == 0
    assert capsys.readouterr().out.startswith("hint 1/")
    assert main(["--root", str(REPO), "hint", "batchnorm"]) == 2
    assert "did you mean bn/batchnorm_" in capsys.readouterr().err
