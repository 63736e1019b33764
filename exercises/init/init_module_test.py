"""Public examples for init/init_module: a taste of the grading, small enough to read.

Run them with ``pytest exercises/init/init_module_test.py``; the hidden grader inspects every
parameter of a larger model when you run ``pytest exercises/init``. katakit runs your code in a
process of its own, and a torch model cannot travel between processes: each ``@probe`` function
below is sent to your code's process, builds the model there, calls your ``initialize`` and
returns the parameters.
"""

import torch

from katakit.sandbox import probe


@probe
def initialized_conv_net(kata):
    from torch import nn

    # Conv and Linear layers initialise themselves with kaiming_uniform_, which this kata
    # forbids in your code's process: build them without it (every parameter is overwritten
    # right after), then put torch's method back.
    own_init = [(cls, cls.reset_parameters) for cls in (nn.Linear, nn.modules.conv._ConvNd)]
    try:
        for cls, _ in own_init:
            cls.reset_parameters = lambda self: None
        model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.Linear(8, 2))
    finally:
        for cls, method in own_init:
            cls.reset_parameters = method
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(5.0)  # scramble, so that torch's defaults do not pass for the answer
    kata.initialize(model, torch.Generator().manual_seed(0))
    return {name: p.detach() for name, p in model.named_parameters()}


@probe
def initialized_lstm(kata):
    lstm = torch.nn.LSTM(4, 3)  # H = 3: gates i, f, g, o occupy [0:3], [3:6], [6:9], [9:12]
    kata.initialize(lstm, torch.Generator().manual_seed(0))
    return {name: p.detach() for name, p in lstm.named_parameters()}


def test_biases_and_batchnorm(kata):
    params = initialized_conv_net(kata)
    assert torch.equal(params["0.bias"], torch.zeros(8))
    assert torch.equal(params["1.weight"], torch.ones(8))
    assert torch.equal(params["1.bias"], torch.zeros(8))
    assert torch.equal(params["3.bias"], torch.zeros(2))


def test_lstm_forget_gate_bias(kata):
    params = initialized_lstm(kata)
    expected = torch.tensor([0.0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    assert torch.equal(params["bias_ih_l0"], expected)
    assert torch.equal(params["bias_hh_l0"], torch.zeros(12))
