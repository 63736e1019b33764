"""Public examples for init/init_module: a taste of the grading, small enough to read.

Run them with ``pytest exercises/init/init_module_test.py``; the hidden grader inspects every
parameter of a larger model when you run ``pytest exercises/init``.
"""

import torch
from torch import nn


def test_biases_and_batchnorm(kata):
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.Linear(8, 2))
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(5.0)  # scramble, so that torch's defaults do not pass for the answer
    kata.initialize(model, torch.Generator().manual_seed(0))
    assert torch.equal(model[0].bias, torch.zeros(8))
    assert torch.equal(model[1].weight, torch.ones(8))
    assert torch.equal(model[1].bias, torch.zeros(8))
    assert torch.equal(model[3].bias, torch.zeros(2))


def test_lstm_forget_gate_bias(kata):
    lstm = nn.LSTM(4, 3)  # H = 3: gates i, f, g, o occupy [0:3], [3:6], [6:9], [9:12]
    kata.initialize(lstm, torch.Generator().manual_seed(0))
    expected = torch.tensor([0.0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    assert torch.equal(lstm.bias_ih_l0.detach(), expected)
    assert torch.equal(lstm.bias_hh_l0.detach(), torch.zeros(12))
