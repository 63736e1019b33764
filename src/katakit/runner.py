"""Run a selection of katas against a target and return the :class:`~katakit.results.Report`.

The CLI, the self-check and every exporter call :func:`grade`; it runs pytest in this process
(torch is imported once, which keeps repeated runs quick) with the plugin's session object
injected, and keeps pytest's own terminal output out of the caller's way unless asked for.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from katakit.catalog import Catalog, Kata, learner_libraries
from katakit.isolation import DEFAULT_LIMITS, Limits
from katakit.plugin import DEFAULT_TEST_TIMEOUT, KatakitSession
from katakit.results import Report, TestResult
from katakit.sandbox.zygote import zygote
from katakit.target import Target


def grade(
    catalog: Catalog,
    katas: list[Kata],
    target: Target,
    *,
    echo: bool = False,
    test_timeout: float = DEFAULT_TEST_TIMEOUT,
    limits: Limits | None = DEFAULT_LIMITS,
    pytest_args: tuple[str, ...] = (),
    enough: Callable[[str, list[TestResult]], bool] | None = None,
    cost: Callable[[str, str], float] | None = None,
) -> Report:
    """Grade ``katas`` of ``catalog`` against ``target``; katas without a grader stay 'ungraded'.

    With ``limits`` (the default) each kata's learner code runs in its own contained process;
    ``None`` runs them all in this process. ``enough(kata_id, tests so far)`` true skips the
    rest of that kata's tests; ``cost(kata_id, test name)`` orders each kata's tests.
    """
    if limits is not None:
        # the learners' fork server imports torch (where the katas use it) while graders load
        zygote().start(learner_libraries(catalog, katas))
    session = KatakitSession(
        catalog, target, katas, show_table=False, test_timeout=test_timeout, limits=limits
    )
    if enough is not None:
        session.enough = enough
    session.cost = cost
    graders = [catalog.files(kata).grader for kata in katas]
    paths = [str(path) for path in graders if path.is_file()]
    if not paths:
        return session.report
    args = [
        *paths,
        f"--rootdir={catalog.root}",
        "--import-mode=importlib",
        "-p",
        "no:cacheprovider",
        "-q" if echo else "-qq",
        *pytest_args,
    ]
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        args += ["-p", "katakit.plugin"]
    _forget_graders()
    output = contextlib.nullcontext() if echo else contextlib.redirect_stdout(io.StringIO())
    with output, _cwd(catalog.root):
        code = pytest.main(args, plugins=[session])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        raise RuntimeError(
            f"pytest could not run the graders (exit code {int(code)}); "
            f"run `pytest {' '.join(paths)} --katakit-target {target.name}` to see why"
        )
    return session.report


def _forget_graders() -> None:
    """Drop grader modules an earlier run in this process imported: pytest's importlib mode names
    them by their path from the root (``graders.bn.test_x``) and would reuse a stale one."""
    for name in [name for name in sys.modules if name.split(".")[0] == "graders"]:
        del sys.modules[name]


@contextlib.contextmanager
def _cwd(path: Path):
    """Run from the project root, so a grader's relative paths mean the same from anywhere."""
    previous = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)
