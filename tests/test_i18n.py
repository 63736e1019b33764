"""The Chinese edition of the engine's own strings: complete, compiled, and really shown."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from katakit import i18n

from .conftest import REPO

PACKAGE = REPO / "src" / "katakit"
PO = PACKAGE / "locale" / "zh" / "LC_MESSAGES" / "katakit.po"
MO = PO.with_suffix(".mo")


def _catalogue():
    with PO.open("rb") as handle:
        return read_po(handle)


def test_every_marked_string_has_a_chinese_translation_and_none_is_stale():
    marked = {message for _, _, message, *_ in extract_from_dir(str(PACKAGE)) if message}
    translated = {m.id: m.string for m in _catalogue() if m.id}
    assert marked - set(translated) == set(), "run pybabel update (docs/translating.md)"
    assert set(translated) - marked == set(), "the .po keeps strings no longer in the code"
    assert [m for m, text in translated.items() if not text] == []


def test_translations_keep_every_placeholder():
    for message in _catalogue():
        if message.id:
            fields = set(re.findall(r"\{[^}]*\}", message.id))
            assert fields == set(re.findall(r"\{[^}]*\}", message.string)), message.id


def test_the_compiled_catalogue_is_the_po_file_compiled():
    compiled = io.BytesIO()
    write_mo(compiled, _catalogue())
    assert MO.read_bytes() == compiled.getvalue(), "run pybabel compile (docs/translating.md)"


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"KATAKIT_LANG": "zh", "LANG": "en_US.UTF-8"}, "zh"),
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({"LC_ALL": "en_GB.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
        ({}, "en"),
    ],
)
def test_the_language_comes_from_katakit_lang_then_the_locale(monkeypatch, environment, expected):
    for name in ("KATAKIT_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert i18n.language() == expected


def test_an_unknown_language_is_refused_with_the_known_ones(monkeypatch):
    monkeypatch.setenv("KATAKIT_LANG", "fr")
    with pytest.raises(ValueError, match="en, zh"):
        i18n.language()


def test_a_chinese_run_shows_a_chinese_table_and_names_the_mistake_in_chinese(
    demo_project: Path, tmp_path: Path
):
    learner = tmp_path / "learner" / "demo"
    learner.mkdir(parents=True)
    (learner / "add.py").write_text("def add(a, b):\n    return a - b\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "exercises/demo/add.py",
            "--katakit-target",
            str(learner.parent),
        ],
        cwd=demo_project,
        capture_output=True,
        text=True,
        timeout=120,
        env={**_plain_environment(), "KATAKIT_LANG": "zh"},
    )
    out = result.stdout
    assert re.search(r"练习\s+得分\s+状态\s+第一个失败", out), out
    assert re.search(r"demo/add\s+0/3\s+未通过", out), out
    assert "这与一个常见错误相符：做了减法而不是加法 [demo/subtracts]" in out, out


def _plain_environment() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith(("KATAKIT_", "LC_", "LANG"))}
