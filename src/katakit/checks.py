"""Comparison helpers for graders: convert before comparing, then say exactly what went wrong.

Every grader imports its checks from here, so the rules of ``GRADING.md`` hold everywhere:
learner results are converted to plain arrays or numbers before any comparison (an object whose
``__eq__`` always says True gains nothing), shapes are checked before values, and a failure message
names what was expected, what came back, the inputs (seed and shapes) and, where the answer matches
one, the misconception behind it.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from katakit.i18n import _
from katakit.sandbox.rpc import kind_of

__all__ = [
    "Mismatch",
    "agrees",
    "as_array",
    "as_number",
    "as_plain",
    "assert_close",
    "assert_equal",
    "assert_finite",
    "assert_float64_array",
    "assert_python_ints",
    "assert_unchanged",
    "describe",
    "fail",
    "naming",
    "rng",
    "snapshot",
    "to_numpy",
]


def rng(seed: int) -> np.random.Generator:
    """The seeded generator a grader draws one case's inputs from."""
    return np.random.default_rng(seed)


def describe(seed: int | None = None, **inputs: Any) -> str:
    """``seed 7, x (4, 3) float64, eps 1e-05``: the line that lets a learner rebuild a case."""
    parts = [f"seed {seed}"] if seed is not None else []
    for name, value in inputs.items():
        shape = getattr(value, "shape", None)
        if shape is not None:
            dtype = str(getattr(value, "dtype", "")).replace("torch.", "")
            parts.append(f"{name} {tuple(shape)} {dtype}".rstrip())
        else:
            parts.append(f"{name}={value!r}")
    return ", ".join(parts)


class Mismatch(AssertionError):
    """A check's failure; ``misconception`` is the known mistake the learner's answer matched
    (a :class:`katakit.misconceptions.Misconception`, or the plain text a grader named it by),
    None when it matched none. The report reads it from here, never from the message."""

    def __init__(self, message: str, misconception: Any = None) -> None:
        super().__init__(message)
        self.misconception = misconception


def fail(message: str, misconception: Any = None) -> None:
    """Fail the current test with a message meant for the learner (no grader traceback);
    ``misconception`` names the known mistake the answer matched, if any: the message then ends
    with the line that names it (unless it already does)."""
    __tracebackhide__ = True
    if misconception is not None and str(misconception) not in message:
        message += naming(misconception)
    raise Mismatch(message, misconception)


def to_numpy(value: Any) -> np.ndarray:
    """An array or tensor (any device, bfloat16 and float16 widened) as a NumPy array."""
    if hasattr(value, "detach") and hasattr(
        value, "numpy"
    ):  # a torch tensor, without importing torch
        value = value.detach().cpu()
        if str(value.dtype) in ("torch.bfloat16", "torch.float16"):
            value = value.float()
        return value.numpy()
    return np.asarray(value)


def as_array(value: Any, what: str, *, dtype: type = np.float64) -> np.ndarray:
    """Convert a learner's result (array, tensor, list, number) to a plain numeric array."""
    __tracebackhide__ = True
    if value is None:
        fail(f"{what}: expected an array but got None (did you forget to return it?)")
    try:
        array = to_numpy(value)
    except Exception as exc:  # any failure to convert is the learner's result being garbage
        fail(f"{what}: expected an array, got {type(value).__name__} ({exc})")
    if array.dtype == object or array.dtype.kind not in "biuf":
        fail(f"{what}: expected numbers, got an array of {array.dtype} from {type(value).__name__}")
    return array.astype(dtype)


def as_number(value: Any, what: str) -> float:
    """Convert a learner's scalar result (Python number, 0-d array or tensor) to a float."""
    __tracebackhide__ = True
    if isinstance(value, bool):
        fail(f"{what}: expected a number, got a bool ({value})")
    array = as_array(value, what)
    if array.size != 1:
        fail(f"{what}: expected a single number, got shape {array.shape}")
    return float(array.reshape(()))


_SHOW_WHOLE = 24  # arrays up to this many values are printed whole


def _show(label: str, array: np.ndarray) -> str:
    """``label`` followed by the array, continuation lines aligned under its first value."""
    body = np.array2string(array, precision=6, threshold=_SHOW_WHOLE, edgeitems=3, prefix=label)
    return label + body


def _focus(array: np.ndarray, index: tuple[int, ...]) -> tuple[str, np.ndarray]:
    """The last-axis slice through ``index``: ``[1, 2, :]`` and its values, for big arrays."""
    where = "[" + ", ".join([*(str(i) for i in index[:-1]), ":"]) + "]"
    return where, array[index[:-1]]


def _close(
    actual: np.ndarray, expected: np.ndarray, rtol: float, atol: float, equal_nan: bool = False
) -> bool:
    return actual.shape == expected.shape and bool(
        np.allclose(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan)
    )


def assert_close(
    actual: Any,
    expected: Any,
    *,
    what: str,
    where: str = "",
    rtol: float = 1e-6,
    atol: float = 1e-8,
    misconceptions: Mapping[Any, Any] | None = None,
) -> None:
    """Assert a learner's array equals ``expected`` within ``rtol``/``atol``.

    ``misconceptions`` maps a known mistake (a :class:`katakit.misconceptions.Misconception`, or
    its text) to the value that mistake produces for this input; when the learner's answer
    matches one, the message names it.
    """
    __tracebackhide__ = True
    expected_array = as_array(expected, "expected value")
    actual_array = as_array(actual, what)
    case = f" [{where}]" if where else ""
    if actual_array.shape != expected_array.shape:
        matched = _diagnose(actual_array, misconceptions, rtol, atol)
        fail(
            _("{what}: expected shape {expected}, got {actual}{case}").format(
                what=what, expected=expected_array.shape, actual=actual_array.shape, case=case
            ),
            matched,
        )
    if _close(actual_array, expected_array, rtol, atol):
        return
    lines = [_("{what}: values differ{case}").format(what=what, case=case)]
    error = np.asarray(np.abs(actual_array - expected_array))
    error[~np.isfinite(error)] = np.inf
    worst = tuple(int(i) for i in np.unravel_index(int(np.argmax(error)), error.shape))
    bad = ~np.isfinite(actual_array)
    if bad.any():
        lines.append(
            _("  {bad} of {size} values are NaN or infinite").format(
                bad=int(bad.sum()), size=actual_array.size
            )
        )
    else:
        at = _(" at index {index}").format(index=worst) if worst else ""
        expected_text, actual_text = distinct(
            float(expected_array[worst]), float(actual_array[worst])
        )
        lines.append(
            _(
                "  largest difference {difference:.3g}{at}: expected {expected}, got {actual} "
                "(rtol={rtol:g}, atol={atol:g})"
            ).format(
                difference=float(error[worst]),
                at=at,
                expected=expected_text,
                actual=actual_text,
                rtol=rtol,
                atol=atol,
            )
        )
    expected_label, actual_label = _labels()
    if actual_array.size <= _SHOW_WHOLE or actual_array.ndim < 2:
        lines.append(_show("  " + expected_label, expected_array))
        lines.append(_show("  " + actual_label, actual_array))
    else:
        where, expected_row = _focus(expected_array, worst)
        actual_row = _focus(actual_array, worst)[1]
        lines.append(_("  the row through that index, {where}:").format(where=where))
        lines.append(_show("    " + expected_label, expected_row))
        lines.append(_show("    " + actual_label, actual_row))
    matched = _diagnose(actual_array, misconceptions, rtol, atol)
    fail("\n".join(lines), matched)


def _diagnose(
    actual: np.ndarray, misconceptions: Mapping[Any, Any] | None, rtol: float, atol: float
) -> Any:
    """The known mistake the learner's answer matches, or None."""
    return _only(
        name
        for name, wrong in (misconceptions or {}).items()
        # a mistake that overflows is recognised by its NaN and inf where the learner's are
        if _close(actual, np.asarray(to_numpy(wrong), dtype=np.float64), rtol, atol, equal_nan=True)
    )


def _only(matches: Iterable[Any]) -> Any:
    """The one mistake matched; None when several match: on this input they give the same
    value (a degenerate case), so naming any one of them would be a guess."""
    found = list(dict.fromkeys(matches))
    return found[0] if len(found) == 1 else None


def naming(mistake: Any) -> str:
    """The line that names a known mistake (with its newline), in the learner's language; ""
    for None. For messages built by hand; ``fail(message, mistake)`` appends it itself. A list
    of several mistakes (an answer that each of them gives) names them all as candidates."""
    if mistake is None or (isinstance(mistake, list) and not mistake):
        return ""
    if isinstance(mistake, list) and len(mistake) > 1:
        return "\n" + _("  This matches one of these known mistakes: {mistakes}.").format(
            mistakes="; ".join(map(str, mistake))
        )
    if isinstance(mistake, list):
        mistake = mistake[0]
    return "\n" + _("  This matches a known mistake: {mistake}.").format(mistake=mistake)


def _labels() -> tuple[str, str]:
    """``"expected: "`` and ``"got:      "``, padded to one width so the values line up."""
    expected, actual = _("expected: "), _("got: ")
    width = max(len(expected), len(actual))
    return expected.ljust(width), actual.ljust(width)


def distinct(expected: float, actual: float) -> tuple[str, str]:
    """Two numbers shown with the fewest significant digits (at least 6) that tell them apart."""
    for digits in range(6, 18):
        a, b = f"{expected:.{digits}g}", f"{actual:.{digits}g}"
        if a != b:
            return a, b
    return repr(expected), repr(actual)


_SCALARS = (bool, int, float, str, bytes, type(None))


def as_plain(value: Any, what: str) -> Any:
    """Convert a learner's result to plain Python data (scalars, lists, dicts) for exact checks.

    Tuples become lists and arrays and tensors become nested lists; any other object is refused,
    so nothing the learner defines (with a custom ``__eq__``, say) reaches a comparison.
    """
    __tracebackhide__ = True
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray) or (hasattr(value, "detach") and hasattr(value, "tolist")):
        return to_numpy(value).tolist()
    if isinstance(value, list | tuple):
        # scalars inline: tables and histories are thousands of them
        return [item if type(item) in _SCALARS else as_plain(item, what) for item in value]
    if isinstance(value, dict):
        return {as_plain(k, what): as_plain(v, what) for k, v in value.items()}
    fail(
        _("{what}: expected plain data (numbers, strings, lists), got {type}").format(
            what=what, type=type(value).__name__
        )
    )


def _shorten(value: Any, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def assert_equal(
    actual: Any,
    expected: Any,
    *,
    what: str,
    where: str = "",
    misconceptions: Mapping[Any, Any] | None = None,
) -> None:
    """Assert a learner's result equals ``expected`` exactly, after :func:`as_plain`."""
    __tracebackhide__ = True
    actual_plain = as_plain(actual, what)
    if actual_plain == as_plain(expected, "expected value"):
        return
    case = f" [{where}]" if where else ""
    # The learner's result as it came back (a tuple stays a tuple), not as it was compared.
    message = _("{what}: expected {expected}, got {actual}{case}").format(
        what=what, expected=_shorten(expected), actual=_shorten(actual), case=case
    )
    matched = _only(
        name
        for name, wrong in (misconceptions or {}).items()
        if actual_plain == as_plain(wrong, "misconception")
    )
    fail(message, matched)


def agrees(actual: Any, expected: Any, *, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    """Whether a learner's result has ``expected``'s shape and values; never fails.

    For a test of a promise that stands on other values (a stable softmax at logits of 1e4): it
    judges the values only where the learner's formula is right on ordinary inputs, so that a
    wrong formula costs the formula's tests, not this one too.
    """
    try:
        got = as_array(actual, "result")
    except AssertionError:
        return False
    want = as_array(expected, "expected")
    return got.shape == want.shape and bool(np.allclose(got, want, rtol=rtol, atol=atol))


def assert_finite(
    actual: Any, what: str, *, advice: str, where: str = "", misconception: Any = None
) -> np.ndarray:
    """Assert that every value of a learner's result is finite (no NaN, no inf); return it as an
    array. ``advice`` says how to keep it finite (subtract the max before exp, say)."""
    __tracebackhide__ = True
    values = as_array(actual, what)
    bad = int((~np.isfinite(values)).sum())
    if bad:
        case = f" [{where}]" if where else ""
        fail(
            _("{what}: {bad} of {size} values are NaN or infinite; {advice}{case}").format(
                what=what, bad=bad, size=values.size, advice=advice, case=case
            ),
            misconception,
        )
    return values


def assert_python_ints(value: Any, what: str, *, hint: str = "") -> None:
    """Assert that ``value`` is a Python int, or a tuple, list or dict whose values all are.

    Counts and sizes that a statement promises as Python ints are checked by a test of their
    own: a NumPy integer compares equal to the right int, so the value tests pass it, and only
    this promise is lost. ``hint`` replaces the usual advice where the kata's likely cause is
    another (a true division, say).
    """
    __tracebackhide__ = True
    if isinstance(value, dict):
        parts = {f"{key!r}: ": part for key, part in value.items()}
    elif isinstance(value, tuple | list):
        parts = {f"[{index}] ": part for index, part in enumerate(value)}
    else:
        parts = {"": value}
    wrong = [
        f"{label}{_shorten(part, 60)} ({_kind(part)})"
        for label, part in parts.items()
        if type(part) is not int
    ]
    if wrong:
        advice = hint or _(
            "np.prod, .size and sums over arrays give NumPy numbers (np.prod(()) even the float "
            "1.0): wrap them in int(...) or use math.prod"
        )
        expected = _("a Python int") if list(parts) == [""] else _("Python ints")
        fail(
            _("{what}: expected {expected}, got {wrong}; {advice}").format(
                what=what, expected=expected, wrong=", ".join(wrong), advice=advice
            )
        )


def assert_float64_array(value: Any, what: str) -> None:
    """Assert that ``value`` is a float64 NumPy array (not a tensor, not float32), as the
    statement promises; checked by a test of its own, apart from the values."""
    __tracebackhide__ = True
    dtype = str(getattr(value, "dtype", "?")).replace("torch.", "")
    if _kind(value) != "numpy.ndarray" or dtype != "float64":
        fail(
            _(
                "{what}: expected a float64 NumPy array, got {kind} of dtype {dtype}; keep what "
                "the generator's draws give (float64 NumPy): do not cast to float32 or convert "
                "to a tensor"
            ).format(what=what, kind=_kind(value), dtype=dtype)
        )


def _kind(value: Any) -> str:
    """``numpy.int64``, ``float``: the type of a learner's value (or of what its proxy is for)."""
    return kind_of(value).removeprefix("builtins.")


def snapshot(**inputs: Any) -> dict[str, Any]:
    """Deep copies of the inputs, to check afterwards that the learner did not modify them."""
    return {name: copy.deepcopy(value) for name, value in inputs.items()}


def assert_unchanged(before: Mapping[str, Any], **after: Any) -> None:
    """Fail if an input the statement says must not be modified was changed in place."""
    __tracebackhide__ = True
    for name, original in before.items():
        now = as_array(after[name], name)
        if now.shape != np.shape(original) or not np.array_equal(
            now, as_array(original, name), equal_nan=True
        ):
            fail(
                _(
                    "the input {name} was modified in place; the statement asks you to leave it "
                    "as is"
                ).format(name=name)
            )
