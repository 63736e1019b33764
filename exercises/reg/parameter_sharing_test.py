"""Public examples for reg/parameter_sharing: a taste of the grading, small enough to read.

Run them with ``pytest exercises/reg/parameter_sharing_test.py``; the hidden grader runs more.
"""

import torch


def test_logits_have_one_score_per_vocabulary_entry(kata):
    model = kata.TiedLanguageModel(10, 4)
    assert tuple(model(torch.zeros(2, 3, dtype=torch.long)).shape) == (2, 3, 10)


def test_a_tied_matrix_is_counted_once(kata):
    assert kata.count_parameters(kata.TiedLanguageModel(10, 4)) == 10 * 4 + 4 * 4 + 4 + 10


def test_one_output_per_task(kata):
    outputs = kata.MultiTaskNet(3, 5, [2, 1])(torch.zeros(7, 3))
    assert [tuple(y.shape) for y in outputs] == [(7, 2), (7, 1)]
