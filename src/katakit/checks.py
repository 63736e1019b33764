"""Comparison helpers for graders: convert before comparing, then say exactly what went wrong.

Every grader imports its checks from here, so the rules of ``GRADING.md`` hold everywhere:
learner results are converted to plain arrays or numbers before any comparison (an object whose
``__eq__`` always says True gains nothing), shapes are checked before values, and a failure message
names what was expected, what came back, the inputs (seed and shapes) and, where the answer matches
one, the misconception behind it.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = [
    "Mismatch",
    "as_array",
    "as_number",
    "as_plain",
    "assert_close",
    "assert_equal",
    "assert_unchanged",
    "describe",
    "fail",
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
    ``misconception`` names the known mistake the answer matched, if any."""
    __tracebackhide__ = True
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
            f"{what}: expected shape {expected_array.shape}, got {actual_array.shape}{case}"
            + _naming(matched),
            matched,
        )
    if _close(actual_array, expected_array, rtol, atol):
        return
    lines = [f"{what}: values differ{case}"]
    error = np.asarray(np.abs(actual_array - expected_array))
    error[~np.isfinite(error)] = np.inf
    worst = tuple(int(i) for i in np.unravel_index(int(np.argmax(error)), error.shape))
    bad = ~np.isfinite(actual_array)
    if bad.any():
        lines.append(f"  {int(bad.sum())} of {actual_array.size} values are NaN or infinite")
    else:
        at = f" at index {worst}" if worst else ""
        lines.append(
            f"  largest difference {float(error[worst]):.3g}{at}: "
            f"expected {float(expected_array[worst]):.6g}, got {float(actual_array[worst]):.6g} "
            f"(rtol={rtol:g}, atol={atol:g})"
        )
    if actual_array.size <= _SHOW_WHOLE or actual_array.ndim < 2:
        lines.append(_show("  expected: ", expected_array))
        lines.append(_show("  got:      ", actual_array))
    else:
        where, expected_row = _focus(expected_array, worst)
        _, actual_row = _focus(actual_array, worst)
        lines.append(f"  the row through that index, {where}:")
        lines.append(_show("    expected: ", expected_row))
        lines.append(_show("    got:      ", actual_row))
    matched = _diagnose(actual_array, misconceptions, rtol, atol)
    fail("\n".join(lines) + _naming(matched), matched)


def _diagnose(
    actual: np.ndarray, misconceptions: Mapping[Any, Any] | None, rtol: float, atol: float
) -> Any:
    """The first known mistake whose value the learner's answer matches, or None."""
    for name, wrong in (misconceptions or {}).items():
        # a mistake that overflows is recognised by its NaN and inf where the learner's are
        wrong_array = np.asarray(to_numpy(wrong), dtype=np.float64)
        if _close(actual, wrong_array, rtol, atol, equal_nan=True):
            return name
    return None


def _naming(matched: Any) -> str:
    return "" if matched is None else f"\n  This matches a known mistake: {matched}."


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
        return [as_plain(item, what) for item in value]
    if isinstance(value, dict):
        return {as_plain(k, what): as_plain(v, what) for k, v in value.items()}
    fail(f"{what}: expected plain data (numbers, strings, lists), got {type(value).__name__}")


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
    message = f"{what}: expected {_shorten(expected)}, got {_shorten(actual_plain)}{case}"
    matched = next(
        (
            name
            for name, wrong in (misconceptions or {}).items()
            if actual_plain == as_plain(wrong, "misconception")
        ),
        None,
    )
    fail(message + _naming(matched), matched)


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
                f"the input {name} was modified in place; the statement asks you to leave it as is"
            )
