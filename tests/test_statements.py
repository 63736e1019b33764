"""The two editions of a statement: what must stay identical, what may be translated."""

from __future__ import annotations

from katakit import statements

ENGLISH = """Batch norm, forward pass.

Source question: 如何进行 BN (s001-09).

Normalise ``x`` of shape ``(N, C)`` with ``eps`` inside the square root; a 2-D input
reduces over axis 0. Default ``eps=1e-5``.

Example::

    >>> x = np.array([[1.0], [3.0]])   # mean 2
    >>> f(x)
    array([[-1.],
           [ 1.]])
"""

CHINESE = """批归一化的前向传播。

源题：如何进行 BN（s001-09）。

对形状为 ``(N, C)`` 的 ``x`` 做归一化，``eps`` 放在平方根里面；2 维输入在第 0 轴上求统计量。
默认 ``eps=1e-5``。

示例::

    >>> x = np.array([[1.0], [3.0]])   # 均值为 2
    >>> f(x)
    array([[-1.],
           [ 1.]])
"""


def test_a_faithful_translation_has_no_drift() -> None:
    assert statements.drift(ENGLISH, CHINESE) == []


def test_a_changed_number_in_the_prose_is_drift() -> None:
    problems = statements.drift(ENGLISH, CHINESE.replace("1e-5", "1e-3"))
    assert any("inline code" in p for p in problems)
    problems = statements.drift(ENGLISH, CHINESE.replace("第 0 轴", "第 1 轴"))
    assert problems == ["numbers: missing ['0']; not in the English ['1']"]


def test_a_question_id_is_one_number() -> None:
    problems = statements.drift(ENGLISH, CHINESE.replace("s001-09", "s001-08"))
    assert problems == ["numbers: missing ['s001-09']; not in the English ['s001-08']"]


def test_inline_code_must_match_even_across_line_breaks() -> None:
    english = "Use ``conv = Conv2d(c,\n   3)`` here."
    assert statements.drift(english, "这里用 ``conv = Conv2d(c, 3)``。") == []
    assert statements.drift(english, "这里用 ``conv = Conv2d(c, 5)``。") != []


def test_comments_in_examples_may_be_translated_but_code_may_not() -> None:
    assert statements.drift(ENGLISH, CHINESE.replace("# 均值为 2", "# 均值")) == []
    changed = CHINESE.replace("[3.0]", "[4.0]")
    assert statements.drift(ENGLISH, changed) == [
        "literal block 1 differs from the English one (not comments)"
    ]


def test_a_missing_literal_block_is_drift() -> None:
    cut = CHINESE.split("示例::")[0]
    assert "1 literal blocks in English, 0 here" in statements.drift(ENGLISH, cut)


def test_hints_keep_identifiers_and_numbers() -> None:
    hint = "Put eps inside np.sqrt: (x - mean) / np.sqrt(var + eps); m > 1 values per running_var."
    good = "把 eps 放进 np.sqrt：(x - mean) / np.sqrt(var + eps)；running_var 需要 m > 1 个值。"
    assert statements.hint_drift(hint, good) == []
    assert statements.hint_drift(hint, good.replace("running_var", "滑动方差")) == [
        "identifiers missing: ['running_var']"
    ]
    assert statements.hint_drift(hint, good.replace("m > 1", "m > 2")) != []
