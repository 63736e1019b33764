import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from katakit import guard
from katakit.target import Target, load_kata_module


def learner(tmp_path: Path, source: str, forbidden=("numpy.mean",)):
    """Write a learner module, and return it loaded together with its guard (not yet active)."""
    path = tmp_path / "learner.py"
    path.write_text(source)
    kata_guard = guard.Guard("demo/mean", list(forbidden), path)
    with kata_guard:  # imports happen inside the guard, as in a real run
        module = load_kata_module(Target("t", files={"demo/mean": path}), "demo/mean")
    return module, kata_guard


def test_forbidden_call_raises_in_learner_code_only(tmp_path):
    module, kata_guard = learner(tmp_path, "import numpy as np\ndef f(v):\n    return np.mean(v)\n")
    with kata_guard, pytest.raises(guard.ForbiddenCall, match=r"numpy\.mean is not allowed"):
        module.f([1.0, 2.0])
    with kata_guard:
        assert np.mean([1.0, 3.0]) == 2.0  # the grader's oracle still works inside the guard
    assert np.mean is not None and not isinstance(np.mean, guard._FunctionStandIn)


def test_names_imported_under_another_name_are_caught(tmp_path):
    module, kata_guard = learner(
        tmp_path, "from numpy import mean as m\ndef f(v):\n    return m(v)\n"
    )
    with kata_guard, pytest.raises(guard.ForbiddenCall):
        module.f([1.0])


def test_generator_bodies_and_returned_closures_are_caught(tmp_path):
    module, kata_guard = learner(
        tmp_path,
        "import numpy as np\n"
        "def gen(v):\n    yield np.mean(v)\n"
        "def make():\n    return lambda v: np.mean(v)\n",
    )
    with kata_guard:
        closure, lazy = module.make(), module.gen([1.0])
    with kata_guard, pytest.raises(guard.ForbiddenCall):
        next(lazy)
    with kata_guard, pytest.raises(guard.ForbiddenCall):
        closure([1.0])


def test_swallowed_errors_are_still_recorded(tmp_path):
    module, kata_guard = learner(
        tmp_path,
        "import numpy as np\ndef f(v):\n    try:\n        return np.mean(v)\n"
        "    except Exception:\n        return 0.0\n",
    )
    with kata_guard:
        assert module.f([1.0]) == 0.0
    assert "numpy.mean is not allowed in demo/mean" in kata_guard.violations[0]


def test_subclassing_a_forbidden_class_is_refused_at_import(tmp_path):
    path = tmp_path / "learner.py"
    path.write_text("import collections\nclass Counter(collections.Counter):\n    pass\n")
    kata_guard = guard.Guard("demo/count", ["collections.Counter"], path)
    with kata_guard, pytest.raises(Exception, match="not even as a base class"):
        load_kata_module(Target("t", files={"demo/count": path}), "demo/count")


def test_a_forbidden_class_still_works_for_the_grader(tmp_path):
    import collections

    _, kata_guard = learner(tmp_path, "x = 1\n", forbidden=["collections.Counter"])
    with kata_guard:
        counts = collections.Counter("aab")
        assert counts["a"] == 2 and isinstance(counts, collections.Counter)


def test_a_name_that_does_not_resolve_is_a_clear_error():
    with pytest.raises(ValueError, match="does not resolve"):
        guard.resolve("numpy.no_such_function")


def test_names_from_packages_that_are_not_installed_are_skipped():
    assert guard.resolve("sklearn_not_installed_here.metrics.roc_auc_score") is None


def test_an_operator_with_overloads_only_torchscript_knows_can_be_forbidden(tmp_path):
    # aten::tanh lists tanh.int, tanh.float, ... which have no kernel at the dispatcher. The
    # refusing kernels stay for the life of a process, so this runs in a process of its own.
    script = tmp_path / "learner.py"
    script.write_text(
        "import torch\n"
        "from katakit import guard\n"
        "g = guard.Guard('t/k', ['torch.ops.aten.tanh'], __file__, everywhere=True)\n"
        "g.block_operators()\n"
        "try:\n"
        "    torch.tanh(torch.ones(2))\n"
        "except guard.ForbiddenCall as exc:\n"
        "    print('refused:', exc)\n"
    )
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "refused:" in run.stdout and "aten.tanh" in run.stdout


def test_every_binding_is_replaced_also_in_modules_loaded_after_the_index(monkeypatch):
    """The learner side's guard finds other bindings of a forbidden name through an index built
    once in the zygote; a module loaded since (by resolving a forbidden name) is indexed too."""
    import types

    guard.index_bindings()
    original = np.cov
    late = types.ModuleType("katakit_test_late_helper")
    late.cov = original  # as `from numpy import cov` would
    monkeypatch.setitem(sys.modules, late.__name__, late)
    with guard.Guard("demo/x", ["numpy.cov"], "/nowhere.py", everywhere=True):
        assert late.cov is not original
        with pytest.raises(guard.ForbiddenCall, match=r"numpy\.cov is not allowed in demo/x"):
            late.cov(np.ones((2, 3)))
    assert late.cov is original
