"""Hidden grader for init/init_module.

Every parameter of a small torch model is scrambled, the learner's ``initialize`` runs, and each
parameter is inspected: exact values for the biases, BatchNorm, the LSTM forget gate and the
parameters that must stay untouched; for the random weights, the distribution torch's
``kaiming_normal_`` / ``xavier_normal_`` / ``xavier_uniform_`` would draw from, with torch's own
fans, judged by sample statistics with 6-standard-error bounds at fixed seeds (a correct
initialiser fails one with probability below 1e-8, and the seeds never change).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from katakit import misconceptions
from katakit.checks import as_array, assert_close, fail, naming
from katakit.sandbox import probe

MISTAKES = misconceptions.of(__file__)

Z = 6.0  # standard errors each statistical check allows
HIDDEN = 20

HE_LAYERS = ["features.0", "features.3", "head.0", "image.0", "volume.0"]
XAVIER_LAYERS = ["features.5", "gate.0", "head.2", "proj", "image.3"]
NORM_LAYERS = ["features.1", "image.1", "image.4", "volume.1"]


@probe
def initialize_scrambled_net(kata, seed, gen_seed, global_seed=None, hidden=20):
    """On the learner's side: builds the Net below, scrambles every parameter (so torch's
    defaults cannot pass for ours), runs the learner's ``initialize`` on it and returns what the
    tests inspect, as plain data: every parameter before and after the call, whether each is
    still the same Parameter object, and the type of every module."""
    from torch import nn

    class Net(nn.Module):
        """A bit of everything: conv and linear layers with and without a ReLU after them."""

        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(12, 16)
            self.features = nn.Sequential(
                nn.Conv1d(16, 48, 5, padding=2),  # He, through the BatchNorm
                nn.BatchNorm1d(48),
                nn.ReLU(),
                nn.Conv1d(48, 24, 3, padding=1, bias=False),  # He, no bias
                nn.ReLU(inplace=True),
                nn.Conv1d(24, 32, 1),  # Xavier: last child of its Sequential
            )
            self.lstm = nn.LSTM(32, hidden, num_layers=2, bidirectional=True)
            # Xavier: Tanh follows
            self.gate = nn.Sequential(nn.Linear(2 * hidden, 100), nn.Tanh())
            self.head = nn.Sequential(
                nn.Linear(2 * hidden, 64),  # He
                nn.ReLU(),
                nn.Linear(64, 160),  # Xavier: last child
            )
            self.proj = nn.Linear(2 * hidden, 90)  # Xavier: not inside a Sequential
            self.image = nn.Sequential(
                nn.Conv2d(3, 32, (3, 5)),  # He, through the BatchNorm
                nn.BatchNorm2d(32),
                nn.ReLU(),
                nn.Conv2d(32, 48, 3, bias=False),  # Xavier: BatchNorm then Tanh
                nn.BatchNorm2d(48),
                nn.Tanh(),
            )
            self.volume = nn.Sequential(
                nn.Conv3d(2, 8, (3, 3, 2)),  # He, through the BatchNorm: 3-D layers count too
                nn.BatchNorm3d(8),
                nn.ReLU(),
            )

    # Linear and Conv layers initialise themselves with kaiming_uniform_ and torch's fan helper,
    # which this kata forbids in the learner's process: build them without it (the scramble
    # below overwrites every parameter anyway), then put torch's method back.
    own_init = [
        (cls, cls.__dict__["reset_parameters"]) for cls in (nn.Linear, nn.modules.conv._ConvNd)
    ]
    try:
        for cls, _ in own_init:
            cls.reset_parameters = lambda self: None
        torch.manual_seed(seed)
        net = Net()
    finally:
        for cls, method in own_init:
            cls.reset_parameters = method
    gen = torch.Generator().manual_seed(1000 + seed)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 2 + 3)
    originals = dict(net.named_parameters())
    before = {name: p.detach().clone() for name, p in originals.items()}
    if global_seed is not None:  # torch's and numpy's global random state, which must not matter
        torch.manual_seed(global_seed)
        np.random.seed(global_seed)
    kata.initialize(net, torch.Generator().manual_seed(gen_seed))
    now = dict(net.named_parameters())
    return {
        "before": before,
        "params": {name: p.detach().clone() for name, p in now.items()},
        "same_object": {name: originals.get(name) is p for name, p in now.items()},
        "requires_grad": {name: p.requires_grad for name, p in now.items()},
        "dtype": {name: p.dtype for name, p in now.items()},
        "kinds": {name: type(module).__name__ for name, module in net.named_modules()},
    }


def initialized(kata, seed: int = 0, gen_seed: int = 7, global_seed=None):
    """The learner's initialisation of a scrambled Net (built on the learner's side)."""
    return initialize_scrambled_net(kata, seed, gen_seed, global_seed, HIDDEN)


def values(tensor, what):
    return as_array(tensor, what)


def torch_fans(weight):
    return torch.nn.init._calculate_fan_in_and_fan_out(weight)


def chi2_band(n, var):
    """Bounds on mean(w**2) for n draws of N(0, var): n * mean(w**2) / var is chi-square(n),
    with the Wilson-Hilferty normal approximation of its cube root."""
    k = 2.0 / (9.0 * n)
    return var * (1 - k - Z * math.sqrt(k)) ** 3, var * (1 - k + Z * math.sqrt(k)) ** 3


def uniform_band(n, var):
    """Bounds on mean(w**2) for n draws of a uniform of variance var (b^2 = 3 var)."""
    se = math.sqrt(4 / 45 / n) * 3 * var
    return var - Z * se, var + Z * se


def check_distribution(w, var, what, mistakes, band=chi2_band):
    n, ms = w.size, float(np.mean(w**2))
    if abs(w.mean()) > Z * math.sqrt(var / n):
        fail(
            f"{what}: the mean {w.mean():.4g} of its {n} values is more than {Z:g} standard "
            f"errors from 0; expected zero-mean random weights with variance {var:.4g}"
        )
    lo, hi = band(n, var)
    if lo <= ms <= hi:
        return
    message = (
        f"{what}: sample variance mean(w**2) = {ms:.5g} over {n} values is outside "
        f"[{lo:.5g}, {hi:.5g}], {Z:g} standard errors around the expected {var:.5g}"
    )
    matched = None
    for name, wrong in mistakes.items():
        wlo, whi = band(n, wrong)
        if wlo <= ms <= whi:
            message += naming(name) + f" (variance {wrong:.5g})"
            matched = name
            break
    fail(message, matched)


def weight_mistakes(fan_in, fan_out, expected):
    named = {
        MISTAKES["he-where-no-relu"]: 2 / fan_in,
        MISTAKES["xavier-where-relu"]: 2 / (fan_in + fan_out),
        MISTAKES["he-with-fan-out"]: 2 / fan_out,
        MISTAKES["lecun-variance"]: 1 / fan_in,
        MISTAKES["variance-as-std"]: (2 / fan_in) ** 2,
        MISTAKES["torch-default-init"]: 1 / (3 * fan_in),
    }
    return {name: var for name, var in named.items() if not math.isclose(var, expected)}


# -- Conv / Linear weights ---------------------------------------------------------------------


@pytest.mark.points(2)
def test_conv_and_linear_followed_by_relu_get_he_normal(kata):
    net = initialized(kata)
    params, kinds = net["params"], net["kinds"]
    for name in HE_LAYERS:
        weight = params[f"{name}.weight"]
        fan_in, fan_out = torch_fans(weight)
        var = 2 / fan_in  # kaiming_normal_(mode="fan_in", nonlinearity="relu")
        what = (
            f"{name}.weight ({kinds[name]}, shape {tuple(weight.shape)}, "
            f"fan_in {fan_in}, fan_out {fan_out}; a ReLU follows it)"
        )
        w = values(weight, what)
        check_distribution(w, var, what, weight_mistakes(fan_in, fan_out, var))
    # He normal, not He uniform: a normal puts 4.55% of its values beyond 2 std, a uniform none
    w = values(params["features.0.weight"], "features.0.weight")
    p = math.erfc(2 / math.sqrt(2))
    beyond = float(np.mean(np.abs(w) > 2 * math.sqrt(2 / 80)))
    if abs(beyond - p) > Z * math.sqrt(p * (1 - p) / w.size):
        fail(
            f"features.0.weight: {beyond:.2%} of its values lie beyond 2 std; a normal "
            f"distribution puts {p:.2%} there. Draw with normal_(0, std), not uniform_."
        )


@pytest.mark.points(1)
def test_other_conv_and_linear_get_xavier_normal(kata):
    net = initialized(kata)
    params, kinds = net["params"], net["kinds"]
    reasons = {
        "features.5": "the last child of its Sequential",
        "gate.0": "followed by Tanh",
        "head.2": "the last child of its Sequential",
        "proj": "not inside a Sequential",
        "image.3": "followed by BatchNorm then Tanh",
    }
    for name in XAVIER_LAYERS:
        weight = params[f"{name}.weight"]
        fan_in, fan_out = torch_fans(weight)
        var = 2 / (fan_in + fan_out)  # xavier_normal_ with gain 1
        what = (
            f"{name}.weight ({kinds[name]}, shape {tuple(weight.shape)}, "
            f"fan_in {fan_in}, fan_out {fan_out}; {reasons[name]}, so no ReLU follows it)"
        )
        w = values(weight, what)
        check_distribution(w, var, what, weight_mistakes(fan_in, fan_out, var))


# -- biases and BatchNorm ----------------------------------------------------------------------


@pytest.mark.points(1)
def test_conv_and_linear_biases_are_zero(kata):
    net = initialized(kata)
    params, kinds = net["params"], net["kinds"]
    for name in HE_LAYERS + XAVIER_LAYERS:
        bias = params.get(f"{name}.bias")
        if bias is None:
            continue
        assert_close(
            values(bias, f"{name}.bias"),
            np.zeros(tuple(bias.shape)),
            what=f"{name}.bias ({kinds[name]})",
            where="every Conv/Linear bias starts at 0",
            atol=0,
        )


@pytest.mark.points(1)
def test_batchnorm_weight_is_one_and_bias_zero(kata):
    net = initialized(kata)
    params, kinds = net["params"], net["kinds"]
    for name in NORM_LAYERS:
        c = params[f"{name}.weight"].numel()  # num_features
        assert_close(
            values(params[f"{name}.weight"], f"{name}.weight"),
            np.ones(c),
            what=f"{name}.weight ({kinds[name]} gamma)",
            where="gamma starts at 1",
            atol=0,
            rtol=0,
        )
        assert_close(
            values(params[f"{name}.bias"], f"{name}.bias"),
            np.zeros(c),
            what=f"{name}.bias ({kinds[name]} beta)",
            where="beta starts at 0",
            atol=0,
        )


# -- LSTM --------------------------------------------------------------------------------------


def lstm_parameters(net):
    """(name, tensor) of the LSTM's parameters, named as in net.lstm.named_parameters()."""
    return [
        (name.removeprefix("lstm."), param)
        for name, param in net["params"].items()
        if name.startswith("lstm.")
    ]


def gate_vector(ones_at=()):
    """A (4H,) bias, viewed as (4, H) rows i, f, g, o, with the given gates set to 1."""
    v = np.zeros((4, HIDDEN))
    for gate in ones_at:
        v[gate] = 1.0
    return v


@pytest.mark.points(2)
def test_lstm_forget_gate_bias_is_one_in_bias_ih_only(kata):
    net = initialized(kata)
    where = "gates stacked i, f, g, o with H = 20: the forget gate is bias[20:40]"
    biases = [(n, p) for n, p in lstm_parameters(net) if n.startswith("bias_")]
    # check the first layer before the deeper ones and the reverse direction
    for name, param in sorted(biases, key=lambda item: ("_l0" not in item[0], item[0])):
        # viewed as one row per gate, so a message shows the whole row of a wrong gate
        got = values(param, f"lstm.{name}").reshape(4, HIDDEN)
        if name.startswith("bias_ih"):
            assert_close(
                got,
                gate_vector([1]),
                what=f"lstm.{name} viewed as (4 gates i, f, g, o, H)",
                where=where,
                atol=0,
                misconceptions={
                    MISTAKES["forget-bias-input-gate"]: gate_vector([0]),
                    MISTAKES["forget-bias-cell-gate"]: gate_vector([2]),
                    MISTAKES["forget-bias-output-gate"]: gate_vector([3]),
                    MISTAKES["forget-bias-missing"]: gate_vector(),
                    MISTAKES["whole-bias-one"]: (gate_vector([0, 1, 2, 3])),
                },
            )
        else:
            assert_close(
                got,
                gate_vector(),
                what=f"lstm.{name} viewed as (4 gates i, f, g, o, H)",
                where=where,
                atol=0,
                misconceptions={
                    MISTAKES["forget-bias-in-both"]: (gate_vector([1])),
                },
            )


@pytest.mark.points(1)
def test_lstm_weights_are_xavier_uniform(kata):
    net = initialized(kata)
    for name, param in lstm_parameters(net):
        if not name.startswith("weight_"):
            continue
        fan_in, fan_out = torch_fans(param)
        bound = math.sqrt(6 / (fan_in + fan_out))  # xavier_uniform_
        what = f"lstm.{name} (shape {tuple(param.shape)}, bound sqrt(6 / (fan_in + fan_out)))"
        w = values(param, what)
        # the variance first, so that a known mistake in the bound is named
        named = {
            MISTAKES["lstm-fan-out-one-gate"]: 2 / (fan_in + fan_out / 4),
        }
        check_distribution(w, bound**2 / 3, what, named, uniform_band)
        largest = float(np.abs(w).max())
        if largest > bound * (1 + 1e-6):
            fail(f"{what}: a value of magnitude {largest:.5g} exceeds the bound {bound:.5g}")
        # the largest of n uniform magnitudes misses the last 20/n of the range with prob. e^-20
        if largest < bound * (1 - 20 / w.size):
            fail(
                f"{what}: the largest |value| is {largest:.5g}, but {w.size} draws from "
                f"U(-{bound:.5g}, {bound:.5g}) come within {bound * 20 / w.size:.2g} of the bound"
            )


# -- everything else ---------------------------------------------------------------------------


@pytest.mark.points(1)
def test_parameters_are_changed_in_place(kata):
    net = initialized(kata)
    before, now = net["before"], net["params"]
    if set(now) != set(before):
        fail(
            f"the model's parameters changed: missing {sorted(set(before) - set(now))}, new "
            f"{sorted(set(now) - set(before))}; initialise the existing parameters in place"
        )
    for name in now:
        if not net["same_object"][name]:
            fail(
                f"{name} is a new Parameter object; change the existing one in place (under "
                "torch.no_grad(): normal_, zero_, fill_, ...) so optimisers that already hold it "
                "keep training it"
            )
        if not net["requires_grad"][name] or net["dtype"][name] != torch.float32:
            fail(f"{name}: requires_grad or dtype changed; leave them as they are")


@pytest.mark.points(1)
def test_parameters_no_rule_covers_are_left_alone(kata):
    net = initialized(kata)
    before, now = net["before"], net["params"]
    if "embed.weight" not in now:
        fail("embed.weight (an nn.Embedding, which no rule covers) is gone from the model")
    assert_close(
        values(now["embed.weight"], "embed.weight"),
        values(before["embed.weight"], "embed.weight"),
        what="embed.weight (an nn.Embedding, which no rule covers)",
        where="parameters of other modules must stay exactly as they were",
        atol=0,
        rtol=0,
    )


@pytest.mark.points(1)
def test_same_generator_seed_gives_the_same_model(kata):
    # three copies of one scrambled model; torch's and numpy's global seeds differ between the
    # first two runs, the generator's seed between the last two
    first = initialized(kata, seed=3, gen_seed=11, global_seed=1)
    second = initialized(kata, seed=3, gen_seed=11, global_seed=2)
    third = initialized(kata, seed=3, gen_seed=12)
    a, b, c = (m["params"] for m in (first, second, third))
    for name in a:
        if not torch.equal(a[name], b[name]):
            fail(
                f"{name} differs between two runs with generators seeded 11; draw every random "
                "number from the generator argument (normal_(..., generator=generator)), not "
                "from torch's global random state"
            )
    if torch.equal(a["head.0.weight"], c["head.0.weight"]):
        fail(
            "head.0.weight is identical for generators seeded 11 and 12; the generator "
            "argument seems to be ignored"
        )
