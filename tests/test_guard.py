import collections
import types

import numpy as np
import pytest

from katakit import guard


def make_module(source: str) -> types.ModuleType:
    module = types.ModuleType("learner_module")
    exec(compile(source, "learner_module.py", "exec"), module.__dict__)
    for value in vars(module).values():
        if callable(value) and hasattr(value, "__module__"):
            value.__module__ = module.__name__
    return module


def test_forbidden_call_raises_inside_learner_code_only():
    module = make_module("import numpy as np\ndef f(v):\n    return np.mean(v)\n")
    guard.install(module, "demo/mean", ["numpy.mean"])
    with pytest.raises(guard.ForbiddenCall, match=r"numpy\.mean is not allowed in demo/mean"):
        module.f([1.0, 2.0])
    assert np.mean([1.0, 3.0]) == 2.0  # the grader's oracle still works afterwards


def test_names_imported_from_the_library_are_guarded_too():
    module = make_module("from numpy import mean as m\ndef f(v):\n    return m(v)\n")
    guard.install(module, "demo/mean", ["numpy.mean"])
    with pytest.raises(guard.ForbiddenCall):
        module.f([1.0])
    assert module.m is np.mean


def test_swallowing_the_error_does_not_help():
    module = make_module(
        "import numpy as np\ndef f(v):\n    try:\n        return np.mean(v)\n"
        "    except Exception:\n        return 0.0\n"
    )
    guard.install(module, "demo/mean", ["numpy.mean"])
    with pytest.raises(guard.ForbiddenCall):
        module.f([1.0])


def test_methods_of_learner_classes_are_guarded():
    module = make_module(
        "import numpy as np\n"
        "class Averager:\n    def __call__(self, v):\n        return np.mean(v)\n"
    )
    guard.install(module, "demo/mean", ["numpy.mean"])
    with pytest.raises(guard.ForbiddenCall):
        module.Averager()([1.0])


def test_allowed_code_runs_normally_and_nests():
    module = make_module(
        "def inner(v):\n    return sum(v)\ndef outer(v):\n    return inner(v) / len(v)\n"
    )
    guard.install(module, "demo/mean", ["numpy.mean"])
    assert module.outer([1.0, 3.0]) == 2.0


def test_a_name_that_does_not_resolve_is_a_clear_error():
    with pytest.raises(ValueError, match="does not resolve"):
        guard.resolve("numpy.no_such_function")


def test_subclassing_a_forbidden_class_is_refused():
    module = make_module("import collections\nclass Counter(collections.Counter):\n    pass\n")
    guard.install(module, "demo/count", ["collections.Counter"])
    with pytest.raises(guard.ForbiddenCall, match=r"collections\.Counter is not allowed"):
        module.Counter("abc")
    assert collections.Counter("aa")["a"] == 2
