"""Public examples for conv/output_size: a taste of the grading, small enough to read.

Run them with ``pytest exercises/conv/output_size_test.py``; the hidden grader compares you with
the shapes torch produces over hundreds of random configurations.
"""


def test_resnet_stem_halves_224_to_112(kata):
    # 7x7 conv, stride 2, padding 3: floor((224 + 6 - 7) / 2) + 1 = 111 + 1
    assert kata.conv_output_size(224, 7, 2, 3) == 112


def test_a_stride_that_does_not_divide_drops_the_partial_window(kata):
    # (8 + 2 - 3) / 2 + 1 = 4.5: the fifth window would hang past the padding, so 4
    assert kata.conv_output_size(8, 3, 2, 1) == 4
    # a 3-tap kernel with dilation 2 spans 5 positions: 7 - 5 + 1 = 3
    assert kata.conv_output_size(7, 3, 1, 0, 2) == 3


def test_two_stacked_3x3_convs_see_a_5x5_patch(kata):
    assert kata.receptive_field([(3, 1), (3, 1)]) == 5
