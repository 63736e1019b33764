"""A kata's statement in each language, and the check that keeps the two editions in step.

The English statement is the stub's module docstring. The Chinese one lives next to the stub as
``exercises/<topic>/<kata>.zh.rst``: the same reST markup as a docstring, so that a Chinese
release can put it in the stub verbatim and the check below compares like with like.

What must not drift between the two is what a learner types or computes with: inline code
(````running_var````), the literal blocks after ``::`` (examples, formulas; their ``#`` comments
are prose and may be translated), and the numbers in the prose (``1e-5``, ``s001-09``). The same
holds for each hint and its translation.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from katakit.catalog import KataFiles

LANGUAGES = ("en", "zh")
SUFFIX = {"zh": ".zh.rst"}

_INLINE = re.compile(r"``(.+?)``", re.DOTALL)
_QUESTION_ID = re.compile(r"\bs\d{3}-\d{2}\b")
# ASCII-only lookarounds: a CJK character is a word character to ``\w`` but ends a number here.
_NUMBER = re.compile(r"(?<![A-Za-z0-9_.])\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![A-Za-z0-9_])")
_IDENTIFIER = re.compile(
    r"(?<![A-Za-z0-9_.])(?:[A-Za-z_][A-Za-z0-9]*_[A-Za-z0-9_]*"
    r"|(?:np|torch|nn|F|math|numpy)\.[A-Za-z_][A-Za-z0-9_.]*[A-Za-z0-9_])"
)


def translation_path(files: KataFiles, lang: str) -> Path:
    return files.stub.with_name(files.kata.name + SUFFIX[lang])


def translations(files: KataFiles) -> list[Path]:
    """The kata's translated statements that exist."""
    return [p for lang in SUFFIX if (p := translation_path(files, lang)).is_file()]


def english(stub: Path) -> str:
    """The stub's module docstring, dedented as ``help()`` shows it."""
    tree = ast.parse(stub.read_text(encoding="utf-8"), filename=str(stub))
    return ast.get_docstring(tree, clean=True) or ""


def statement(files: KataFiles, lang: str = "en") -> str:
    """The kata's statement in ``lang``; English where no translation exists."""
    if lang != "en":
        path = translation_path(files, lang)
        if path.is_file():
            return path.read_text(encoding="utf-8").strip("\n")
    return english(files.stub)


def _split(text: str) -> tuple[str, list[str]]:
    """Prose and literal blocks: a block follows a line ending in ``::`` or starts at ``>>>``."""
    prose: list[str] = []
    blocks: list[list[str]] = []
    lines = text.splitlines()
    index = 0
    expect_block = False
    while index < len(lines):
        line = lines[index]
        stripped = line.strip()
        starts_doctest = stripped.startswith(">>>") and (index == 0 or not lines[index - 1].strip())
        if (expect_block and stripped) or starts_doctest:
            base = len(lines[index - 1]) - len(lines[index - 1].lstrip()) if expect_block else -1
            indent = len(line) - len(line.lstrip())
            if starts_doctest or indent > base:
                block = []
                while index < len(lines) and (
                    not lines[index].strip()
                    or len(lines[index]) - len(lines[index].lstrip()) >= indent
                ):
                    block.append(lines[index])
                    index += 1
                blocks.append(block)
                expect_block = False
                continue
        if stripped:
            expect_block = stripped.endswith("::")
        prose.append(line)
        index += 1
    return "\n".join(prose), ["\n".join(_code_of(line) for line in b).strip() for b in blocks]


def _code_of(line: str) -> str:
    """A literal block's line without its comment (translatable) or trailing spaces."""
    code = re.sub(r"\s*#.*$", "", line)
    return code.rstrip()


def _spans(prose: str) -> set[str]:
    """Inline code, with line breaks inside a span read as one space (reST's own reading)."""
    return {" ".join(span.split()) for span in _INLINE.findall(prose)}


def numbers(prose: str) -> set[str]:
    ids = set(_QUESTION_ID.findall(prose))
    rest = _QUESTION_ID.sub(" ", _INLINE.sub(" ", prose))
    return ids | set(_NUMBER.findall(rest))


def drift(en: str, zh: str) -> list[str]:
    """What differs between a statement and its translation in code, examples or numbers."""
    en_prose, en_blocks = _split(en)
    zh_prose, zh_blocks = _split(zh)
    problems = []
    en_spans, zh_spans = _spans(en_prose), _spans(zh_prose)
    if en_spans != zh_spans:
        problems.append(_difference("inline code", en_spans, zh_spans))
    if len(en_blocks) != len(zh_blocks):
        problems.append(f"{len(en_blocks)} literal blocks in English, {len(zh_blocks)} here")
    for number, (a, b) in enumerate(zip(en_blocks, zh_blocks, strict=False), start=1):
        if a != b:
            problems.append(f"literal block {number} differs from the English one (not comments)")
    en_numbers, zh_numbers = numbers(en_prose), numbers(zh_prose)
    if en_numbers != zh_numbers:
        problems.append(_difference("numbers", en_numbers, zh_numbers))
    return problems


def hint_drift(en: str, zh: str) -> list[str]:
    problems = []
    missing = set(_IDENTIFIER.findall(en)) - set(_IDENTIFIER.findall(zh))
    if missing:
        problems.append(f"identifiers missing: {sorted(missing)}")
    if numbers(en) != numbers(zh):
        problems.append(_difference("numbers", numbers(en), numbers(zh)))
    return problems


def _difference(what: str, en: set[str], zh: set[str]) -> str:
    parts = []
    if en - zh:
        parts.append(f"missing {sorted(en - zh)}")
    if zh - en:
        parts.append(f"not in the English {sorted(zh - en)}")
    return f"{what}: " + "; ".join(parts)


def problems(files: KataFiles) -> list[str]:
    """Drift between the kata's editions, for ``katakit check``; a missing edition is one too."""
    kata = files.kata
    found = []
    path = translation_path(files, "zh")
    if not path.is_file():
        found.append(f"no Chinese statement {path.name}")
    elif files.stub.is_file():
        found += [f"{path.name}: {p}" for p in drift(english(files.stub), path.read_text("utf-8"))]
    if not kata.hints_zh:
        found.append("no hints_zh in katas.toml")
    elif len(kata.hints_zh) != len(kata.hints):
        found.append(f"{len(kata.hints)} hints but {len(kata.hints_zh)} hints_zh")
    else:
        for number, (en, zh) in enumerate(zip(kata.hints, kata.hints_zh, strict=True), start=1):
            found += [f"hints_zh[{number}]: {p}" for p in hint_drift(en, zh)]
    if not kata.source_heading:
        found.append("no source_heading in katas.toml (the source question's heading)")
    if not re.search(r"[\u4e00-\u9fff]", kata.title_zh):
        found.append("title_zh is not Chinese")
    return found


def localized_stub(files: KataFiles, lang: str) -> str:
    """The stub's source with its module docstring in ``lang`` (unchanged for English, or where
    no translation exists)."""
    source = files.stub.read_text(encoding="utf-8")
    path = translation_path(files, lang) if lang != "en" else None
    if path is None or not path.is_file():
        return source
    tree = ast.parse(source)
    first = tree.body[0] if tree.body else None
    if not (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)):
        return source
    lines = source.splitlines(keepends=True)
    text = path.read_text(encoding="utf-8").strip("\n")
    # A raw string keeps a statement's backslashes (``\sum``, ``\n`` in an example) as written.
    prefix = "r" if "\\" in text else ""
    docstring = f'{prefix}"""{text}\n"""\n'
    return "".join(lines[: first.lineno - 1]) + docstring + "".join(lines[first.end_lineno :])
