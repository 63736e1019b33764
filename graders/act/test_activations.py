"""Hidden grader for act/activations.

Oracles: torch's own activations (run here, in float64) for the values, and autograd through
them for the derivatives. Extreme inputs (|z| up to 1e4) must give torch's finite values exactly
and raise no floating-point warning; the warnings are recorded by a probe that runs the learner's
function on the learner's side with NumPy's overflow/invalid/divide reporting switched on.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from katakit import misconceptions
from katakit.checks import as_array, assert_close, describe, fail, rng
from katakit.sandbox import probe

MISTAKES = misconceptions.of(__file__)

EXTREME = np.array([-1e4, -1000.0, -800.0, -710.0, -100.0, 100.0, 710.0, 800.0, 1000.0, 1e4])
EXTREME_32 = np.array([-1e4, -1000.0, -100.0, -90.0, 90.0, 100.0, 1000.0, 1e4], dtype=np.float32)


def ordinary(seed, shape=(4, 7)):
    """Inputs of ordinary scale, away from 0 (the kinks are tested on their own)."""
    z = rng(seed).normal(0.0, 3.0, shape)
    z[np.abs(z) < 1e-3] = 0.5
    return z


def torch_value(name, z, **kw):
    """The oracle's value of activation ``name`` at z (float64)."""
    t = torch.as_tensor(z)
    functions = {
        "sigmoid": lambda: torch.sigmoid(t),
        "tanh": lambda: torch.tanh(t),
        "relu": lambda: F.relu(t),
        "leaky_relu": lambda: F.leaky_relu(t, kw.get("slope", 0.01)),
        "elu": lambda: F.elu(t, kw.get("alpha", 1.0)),
        "gelu": lambda: F.gelu(t, approximate=kw.get("approximate", "none")),
        # torch's softplus returns z itself past z > 20; log(1 + e^z) exactly is logaddexp
        "softplus": lambda: torch.logaddexp(t, torch.zeros_like(t)),
    }
    return functions[name]().numpy()


def torch_grad(name, z, **kw):
    """d activation / dz by autograd through the oracle (softplus through torch's own)."""
    t = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    if name == "softplus":
        out = F.softplus(t)
    else:
        out = torch.as_tensor(0.0) + {
            "sigmoid": torch.sigmoid,
            "tanh": torch.tanh,
            "relu": F.relu,
            "leaky_relu": lambda u: F.leaky_relu(u, kw.get("slope", 0.01)),
            "elu": lambda u: F.elu(u, kw.get("alpha", 1.0)),
            "gelu": lambda u: F.gelu(u, approximate=kw.get("approximate", "none")),
        }[name](t)
    (grad,) = torch.autograd.grad(out.sum(), t)
    return grad.numpy()


def call_grad(kata, name, z, **kw):
    """The learner's derivative of ``name`` at z; sigmoid and tanh take the saved output."""
    if name in ("sigmoid", "tanh"):
        return getattr(kata, f"{name}_grad")(torch_value(name, z))
    return getattr(kata, f"{name}_grad")(z, **kw)


VALUE_CASES = [
    ("sigmoid", {}),
    ("tanh", {}),
    ("relu", {}),
    ("leaky_relu", {"slope": 0.2}),
    ("elu", {"alpha": 1.7}),
    ("gelu", {"approximate": "none"}),
    ("gelu", {"approximate": "tanh"}),
    ("softplus", {}),
]
CASE_IDS = ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu-none", "gelu-tanh", "softplus"]


def wrong_values(name, z, kw):
    """What the known mistakes return for this input, to name them."""
    t = torch.as_tensor(z)
    wrong = {}
    if name == "gelu":
        other = "tanh" if kw.get("approximate") == "none" else "none"
        wrong[MISTAKES["gelu-forms-swapped"]] = F.gelu(t, approximate=other).numpy()
        wrong[MISTAKES["gelu-sigmoid-approximation"]] = z / (1 + np.exp(-1.702 * z))
        wrong[MISTAKES["gelu-tanh-no-cubic"]] = 0.5 * z * (1 + np.tanh(math.sqrt(2 / math.pi) * z))
    if name == "leaky_relu":
        wrong[MISTAKES["leaky-slope-ignored"]] = F.leaky_relu(t, 0.01).numpy()
    if name == "elu":
        wrong[MISTAKES["leaky-slope-ignored"]] = F.elu(t, 1.0).numpy()
    return wrong


def wrong_grads(name, z, kw):
    t = torch.as_tensor(z)
    wrong = {}
    if name == "sigmoid":
        s = torch.sigmoid(torch.sigmoid(t))
        wrong[MISTAKES["sigmoid-grad-of-z"]] = (s * (1 - s)).numpy()
    if name == "tanh":
        wrong[MISTAKES["tanh-grad-of-z"]] = (1 - torch.tanh(torch.tanh(t)) ** 2).numpy()
    if name == "softplus":
        wrong[MISTAKES["softplus-grad-is-softplus"]] = F.softplus(t).numpy()
    if name == "gelu":
        other = "tanh" if kw.get("approximate") == "none" else "none"
        wrong[MISTAKES["gelu-forms-swapped"]] = torch_grad("gelu", z, approximate=other)
        if kw.get("approximate") == "none":
            cdf = 0.5 * (1 + torch.erf(t / math.sqrt(2)))
            wrong[MISTAKES["gelu-grad-missing-density-term"]] = cdf.numpy()
    if name in ("leaky_relu", "elu"):
        wrong[MISTAKES["leaky-slope-ignored"]] = torch_grad(name, z)
    return wrong


@pytest.mark.points(1)
@pytest.mark.parametrize("name, kw", VALUE_CASES, ids=CASE_IDS)
def test_value_matches_torch(kata, name, kw):
    seed = 100 + CASE_IDS.index(name if name != "gelu" else f"gelu-{kw['approximate']}")
    z = ordinary(seed)
    got = getattr(kata, name)(z.copy(), **kw)
    assert_close(
        got,
        torch_value(name, z, **kw),
        what=f"{name}(z{', ' if kw else ''}{', '.join(f'{k}={v!r}' for k, v in kw.items())})",
        where=describe(seed, z=z),
        rtol=1e-9,
        atol=1e-12,
        misconceptions=wrong_values(name, z, kw),
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("name, kw", VALUE_CASES, ids=CASE_IDS)
def test_derivative_matches_autograd(kata, name, kw):
    seed = 200 + CASE_IDS.index(name if name != "gelu" else f"gelu-{kw['approximate']}")
    z = ordinary(seed)
    got = call_grad(kata, name, z.copy(), **kw)
    taken = "the saved output s" if name in ("sigmoid", "tanh") else "z"
    assert_close(
        got,
        torch_grad(name, z, **kw),
        what=f"{name}_grad({taken}{', ' if kw else ''}"
        f"{', '.join(f'{k}={v!r}' for k, v in kw.items())})",
        where=describe(seed, z=z) + " (autograd through torch's activation is the reference)",
        rtol=1e-9,
        atol=1e-12,
        misconceptions=wrong_grads(name, z, kw),
    )


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "name, kw, at_zero",
    [("relu", {}, 0.0), ("leaky_relu", {"slope": 0.2}, 0.2), ("elu", {"alpha": 1.7}, 1.7)],
    ids=["relu", "leaky_relu", "elu"],
)
def test_derivative_at_zero_follows_torch(kata, name, kw, at_zero):
    z = np.array([-0.0, 0.0, -1e-300, 1e-300])
    got = getattr(kata, f"{name}_grad")(z.copy(), **kw)
    expected = torch_grad(name, z, **kw)  # at_zero, at_zero, ~slope, 1
    assert expected[0] == at_zero and expected[1] == at_zero
    mistake = {"relu": "relu", "leaky_relu": "leaky", "elu": "elu"}[name]
    wrong = expected.copy()
    wrong[:2] = 1.0
    assert_close(
        got,
        expected,
        what=f"{name}_grad at z = -0.0, 0.0, -1e-300, 1e-300",
        where=", ".join(f"{k}={v!r}" for k, v in kw.items()) or "no arguments",
        rtol=0,
        atol=1e-12,
        misconceptions={MISTAKES[f"{mistake}-grad-one-at-zero"]: wrong},
    )


@pytest.mark.points(1)
def test_sigmoid_grad_peaks_at_a_quarter(kata):
    s = np.array([0.5, 0.0, 1.0, 0.25, 0.9])
    got = kata.sigmoid_grad(s.copy())
    assert_close(
        got,
        s * (1 - s),
        what="sigmoid_grad(s) for saved outputs s = [0.5, 0, 1, 0.25, 0.9]",
        where="sigma'(0) = 0.5 * 0.5 = 0.25 is the largest slope of the sigmoid",
        rtol=1e-12,
        atol=0,
        misconceptions={MISTAKES["sigmoid-grad-of-z"]: torch_grad("sigmoid", s)},
    )


EXTREME_CASES = [
    ("sigmoid", {}, False),
    ("tanh", {}, False),
    ("elu", {"alpha": 1.7}, False),
    ("gelu", {"approximate": "none"}, False),
    ("gelu", {"approximate": "tanh"}, False),
    ("softplus", {}, False),
    ("elu", {"alpha": 1.7}, True),
    ("gelu", {"approximate": "none"}, True),
    ("gelu", {"approximate": "tanh"}, True),
    ("softplus", {}, True),
]
EXTREME_IDS = [
    f"{n}{'-' + kw['approximate'] if 'approximate' in kw else ''}{'_grad' if g else ''}"
    for n, kw, g in EXTREME_CASES
]


def extreme_call(kata, name, kw, grad, z):
    if grad:
        return getattr(kata, f"{name}_grad")(z.copy(), **kw)
    return getattr(kata, name)(z.copy(), **kw)


def signature(name, kw):
    return f"{name}({', '.join(['z'] + [f'{k}={v!r}' for k, v in kw.items()])})"


def check_extreme(got, name, kw, grad, z, dtype_name):
    what = signature(f"{name}_grad" if grad else name, kw)
    z64 = z.astype(np.float64)
    expected = torch_grad(name, z64, **kw) if grad else torch_value(name, z64, **kw)
    array = as_array(got, what)
    misconceptions_ = {}
    if not np.isfinite(array).all():
        misconceptions_ = {MISTAKES["naive-exp-overflow"]: array}
    assert_close(
        got,
        expected,
        what=what,
        where=f"{dtype_name} z = {z.tolist()}",
        rtol=1e-6 if dtype_name == "float32" else 1e-12,
        atol=1e-30,
        misconceptions=misconceptions_,
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("name, kw, grad", EXTREME_CASES, ids=EXTREME_IDS)
def test_extreme_inputs_give_exact_finite_values(kata, name, kw, grad):
    got = extreme_call(kata, name, kw, grad, EXTREME)
    check_extreme(got, name, kw, grad, EXTREME, "float64")
    got = extreme_call(kata, name, kw, grad, EXTREME_32)
    check_extreme(got, name, kw, grad, EXTREME_32, "float32")


@probe
def floating_point_warnings(kata, name, kw, inputs):
    """On the learner's side: the floating-point warnings a call raises, with NumPy's
    overflow, invalid-value and divide-by-zero reporting on (underflow to 0 is fine)."""
    import warnings

    found = []
    for z in inputs:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with np.errstate(over="warn", invalid="warn", divide="warn", under="ignore"):
                getattr(kata, name)(z, **kw)
        found += [f"{w.category.__name__}: {w.message}" for w in caught]
    return sorted(set(found))


WARNING_CASES = [
    ("sigmoid", {}),
    ("tanh", {}),
    ("elu", {"alpha": 1.7}),
    ("elu_grad", {"alpha": 1.7}),
    ("gelu", {"approximate": "none"}),
    ("gelu", {"approximate": "tanh"}),
    ("gelu_grad", {"approximate": "none"}),
    ("gelu_grad", {"approximate": "tanh"}),
    ("softplus", {}),
    ("softplus_grad", {}),
]
WARNING_IDS = [
    f"{n}-{kw['approximate']}" if kw.get("approximate") else n for n, kw in WARNING_CASES
]


@pytest.mark.points(1)
@pytest.mark.parametrize("name, kw", WARNING_CASES, ids=WARNING_IDS)
def test_extreme_inputs_raise_no_warning(kata, name, kw):
    found = floating_point_warnings(kata, name, kw, [EXTREME.copy(), EXTREME_32.copy()])
    if found:
        fail(
            f"{name} raised floating-point warnings at extreme inputs "
            f"(float64 z = {EXTREME.tolist()}, and float32 z = {EXTREME_32.tolist()}): "
            f"{'; '.join(found)}; np.where computes both branches: clamp the argument of exp on "
            "the unused one",
            MISTAKES["naive-exp-overflow"],
        )


FUNCTIONS = [
    ("sigmoid", {}),
    ("sigmoid_grad", {}),
    ("tanh", {}),
    ("tanh_grad", {}),
    ("relu", {}),
    ("relu_grad", {}),
    ("leaky_relu", {}),
    ("leaky_relu_grad", {}),
    ("elu", {}),
    ("elu_grad", {}),
    ("gelu", {"approximate": "none"}),
    ("gelu", {"approximate": "tanh"}),
    ("gelu_grad", {"approximate": "none"}),
    ("gelu_grad", {"approximate": "tanh"}),
    ("softplus", {}),
    ("softplus_grad", {}),
]


@pytest.mark.points(1)
def test_float32_in_float32_out_same_shape(kata):
    seed = 300
    z = rng(seed).uniform(-0.9, 0.9, (2, 3, 5)).astype(np.float32)
    for name, kw in FUNCTIONS:
        got = getattr(kata, name)(z.copy(), **kw)
        dtype = str(getattr(got, "dtype", type(got).__name__)).replace("torch.", "")
        shape = tuple(getattr(got, "shape", ()))
        if dtype != "float32" or shape != z.shape:
            fail(
                f"{name}({', '.join(['z'] + [f'{k}={v!r}' for k, v in kw.items()])}) returned "
                f"{dtype} of shape {shape} for a float32 input of shape {z.shape}; every "
                f"function returns the dtype and shape of its input [{describe(seed, z=z)}]"
            )


@pytest.mark.points(1)
def test_unknown_gelu_form_raises_value_error(kata):
    for name in ("gelu", "gelu_grad"):
        try:
            result = getattr(kata, name)(np.array([0.5, 1.0]), approximate="sigmoid")
        except ValueError:
            continue
        except Exception as exc:
            fail(f"{name}(z, approximate='sigmoid'): expected ValueError, got {type(exc).__name__}")
        fail(
            f"{name}(z, approximate='sigmoid'): expected ValueError (only 'none' and 'tanh' "
            f"exist), got a {type(result).__name__}"
        )
