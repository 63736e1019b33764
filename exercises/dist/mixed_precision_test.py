"""Public examples for dist/mixed_precision: a taste of the grading, small enough to read.

Run them with ``pytest exercises/dist/mixed_precision_test.py``; the hidden grader runs many
more cases when you run ``pytest exercises/dist``.
"""

import torch


def test_sums_of_large_float16_values_do_not_overflow(kata):
    x = torch.full((1000, 1), 300.0, dtype=torch.float16)  # in float16, 300 * 300 is already inf
    count, total, total_sq = kata.accumulate_stats(x)
    assert count == 1000
    assert total.dtype == torch.float32 and total_sq.dtype == torch.float32
    torch.testing.assert_close(total, torch.tensor([300_000.0]))
    torch.testing.assert_close(total_sq, torch.tensor([90_000_000.0]))


def test_batchnorm_mixed_keeps_the_input_dtype(kata):
    x = torch.tensor([[290.0], [310.0]], dtype=torch.float16)  # mean 300, variance 100
    out = kata.batchnorm_mixed(x, torch.ones(1), torch.zeros(1), eps=0.0)
    assert out.dtype == torch.float16
    torch.testing.assert_close(out, torch.tensor([[-1.0], [1.0]], dtype=torch.float16))


def test_scale_grows_after_growth_interval_good_steps_and_backs_off_on_overflow(kata):
    scaler = kata.DynamicLossScaler(init_scale=8.0, growth_interval=2)
    scales = []
    for found_inf in [False, False, True, False, False]:
        scaler.update(found_inf)
        scales.append(scaler.get_scale())
    assert scales == [8.0, 16.0, 8.0, 8.0, 16.0]
