import numpy as np
import pytest
import torch

from katakit.checks import (
    Mismatch,
    agrees,
    as_array,
    as_number,
    assert_close,
    assert_equal,
    assert_finite,
    assert_float64_array,
    assert_python_ints,
    assert_unchanged,
    describe,
    naming,
    snapshot,
)


def message_of(call) -> str:
    with pytest.raises(AssertionError) as info:
        call()
    return str(info.value)


def test_tensors_lists_and_arrays_convert_to_float64():
    assert as_array(torch.ones(2, dtype=torch.float16), "x").dtype == np.float64
    assert as_array([1, 2], "x").tolist() == [1.0, 2.0]


def test_an_object_that_equals_everything_is_not_a_number():
    class AlwaysEqual:
        def __eq__(self, other):
            return True

    message = message_of(lambda: assert_close(AlwaysEqual(), [1.0], what="out"))
    assert "expected numbers" in message


def test_none_says_a_return_is_missing():
    assert "forget to return" in message_of(lambda: as_array(None, "out"))


def test_shape_is_checked_before_values():
    message = message_of(lambda: assert_close(np.zeros(3), np.zeros((3, 1)), what="out"))
    assert "expected shape (3, 1), got (3,)" in message


def test_value_message_names_the_worst_entry_and_the_case():
    message = message_of(
        lambda: assert_close([1.0, 2.5], [1.0, 2.0], what="out", where=describe(7, x=np.zeros(2)))
    )
    assert "values differ [seed 7, x (2,) float64]" in message
    assert "at index (1,): expected 2, got 2.5" in message


def test_nan_is_reported_as_such():
    assert "NaN or infinite" in message_of(lambda: assert_close([np.nan], [1.0], what="out"))


def test_matching_misconception_is_named_and_others_are_not():
    message = message_of(
        lambda: assert_close(
            [3.0], [1.0], what="out", misconceptions={"off by two": [3.0], "x": [9]}
        )
    )
    assert message.endswith("This matches a known mistake: off by two.")


def test_an_answer_several_mistakes_share_names_none_of_them():
    """A degenerate input (a count of 0, a batch of one) where two mistakes give one value:
    naming either would be a guess."""
    shared = {"eps missing": [0.0], "mean not subtracted": [0.0], "other": [5.0]}
    message = message_of(lambda: assert_close([0.0], [1.0], what="out", misconceptions=shared))
    assert "known mistake" not in message
    message = message_of(lambda: assert_equal([0], [1], what="out", misconceptions=shared))
    assert "known mistake" not in message


def test_close_values_are_shown_with_the_digits_that_tell_them_apart():
    message = message_of(
        lambda: assert_close([-0.05420981], [-0.05420984], what="out", rtol=0, atol=0)
    )
    assert "expected -0.05420984, got -0.05420981" in message


def test_a_tuple_result_is_shown_as_the_tuple_it_is():
    message = message_of(lambda: assert_equal((1, 2), [1, 3], what="pair"))
    assert "got (1, 2)" in message


def test_as_number_rejects_bools_and_vectors():
    assert as_number(torch.tensor(2.5), "s") == 2.5
    assert "bool" in message_of(lambda: as_number(True, "s"))
    assert "single number" in message_of(lambda: as_number([1, 2], "s"))


def test_inputs_modified_in_place_are_caught():
    x = np.zeros(3)
    before = snapshot(x=x)
    x[0] = 1
    assert "modified in place" in message_of(lambda: assert_unchanged(before, x=x))


def test_scalars_that_differ_get_a_message_without_an_index():
    message = message_of(lambda: assert_close(3.0, 2.0, what="loss"))
    assert "largest difference 1: expected 2, got 3" in message


def test_assert_equal_compares_plain_data_exactly():
    assert_equal((1, [2, np.int64(3)]), [1, [2, 3]], what="out")
    message = message_of(
        lambda: assert_equal([3, 1], [1, 3], what="order", misconceptions={"reversed": [3, 1]})
    )
    assert "order: expected [1, 3], got [3, 1]" in message
    assert message.endswith("This matches a known mistake: reversed.")


def test_assert_equal_refuses_learner_objects():
    class AlwaysEqual:
        def __eq__(self, other):
            return True

    assert "expected plain data" in message_of(lambda: assert_equal(AlwaysEqual(), 1, what="x"))


def test_a_matched_misconception_is_named_by_its_text_and_stable_id(tmp_path):
    from katakit import misconceptions

    topic = tmp_path / "graders" / "demo"
    topic.mkdir(parents=True)
    (topic / "misconceptions.toml").write_text(
        '[halved]\nen = "halved the sum instead of doubling it"\nzh = "把和减半了"\n',
        encoding="utf-8",
    )
    mistakes = misconceptions.of(topic / "test_demo.py")
    message = message_of(
        lambda: assert_close([1.0], [4.0], what="f(2)", misconceptions={mistakes["halved"]: [1.0]})
    )
    assert "known mistake: halved the sum instead of doubling it [demo/halved]" in message
    with pytest.raises(Mismatch) as info:
        assert_close([1.0], [4.0], what="f(2)", misconceptions={mistakes["halved"]: [1.0]})
    assert info.value.misconception is mistakes["halved"]
    with pytest.raises(Mismatch) as info:
        assert_close([1.0, 2.0], [4.0], what="f(2)", misconceptions={mistakes["halved"]: [1.0]})
    assert info.value.misconception is None  # a shape mismatch that matches no mistake
    with pytest.raises(Mismatch) as info:
        assert_equal([3, 1], [1, 3], what="order", misconceptions={"reversed": [3, 1]})
    assert info.value.misconception == "reversed"  # named by plain text: no stable id
    with pytest.raises(KeyError, match="no misconception 'doubled' in graders/demo"):
        mistakes["doubled"]


def test_a_malformed_misconceptions_file_is_reported(tmp_path):
    from katakit import misconceptions

    path = tmp_path / "misconceptions.toml"
    path.write_text('[Bad_Id]\nen = "x"\n[no-text]\nzh = "y"\nfr = "z"\n', encoding="utf-8")
    problems = " | ".join(misconceptions.problems_in(path))
    assert "'Bad_Id' is not lower-case words" in problems
    assert "no-text: unknown key(s) fr" in problems
    assert "no-text: the English text (en) is missing" in problems


def test_a_mistake_that_overflows_is_named_by_its_nan_and_inf():
    message = message_of(
        lambda: assert_close(
            [np.nan, 1.0, np.inf],
            [0.5, 1.0, 2.0],
            what="softmax(x)",
            misconceptions={"exp overflowed": [np.nan, 1.0, np.inf], "other": [0.0, 1.0, 2.0]},
        )
    )
    assert "known mistake: exp overflowed" in message


def test_fail_with_a_mistake_names_it_once():
    from katakit.checks import fail

    message = message_of(lambda: fail("count: expected 3, got 2", "off by one"))
    assert message == "count: expected 3, got 2\n  This matches a known mistake: off by one."
    named = "x\n  This matches a known mistake: off by one."
    assert message_of(lambda: fail(named, "off by one")) == named


@pytest.mark.parametrize("value", [3, (1, 2), [0], {"a": 1, "b": 2}, ()])
def test_python_ints_pass(value):
    assert_python_ints(value, "count")


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (np.int64(5), "count: expected a Python int, got np.int64(5) (numpy.int64)"),
        (True, "count: expected a Python int, got True (bool)"),
        (torch.tensor(5), "(torch.Tensor)"),
        ((3, 1.0), "count: expected Python ints, got [1] 1.0 (float)"),
        ({"weights": 4, "bias": np.int32(2)}, "got 'bias': np.int32(2) (numpy.int32)"),
    ],
)
def test_anything_but_a_python_int_is_named_with_its_type(value, says):
    message = message_of(lambda: assert_python_ints(value, "count"))
    assert says in message
    assert "math.prod" in message  # the usual advice, where the grader gives none of its own


def test_a_graders_hint_replaces_the_usual_advice():
    message = message_of(lambda: assert_python_ints(2.0, "bytes", hint="use dtype.itemsize"))
    assert message.endswith("; use dtype.itemsize")


def test_float64_numpy_arrays_pass_and_others_are_named():
    assert_float64_array(np.zeros(3), "he_normal")
    assert "numpy.ndarray of dtype float32" in message_of(
        lambda: assert_float64_array(np.zeros(3, np.float32), "he_normal")
    )
    assert "torch.Tensor of dtype float64" in message_of(
        lambda: assert_float64_array(torch.zeros(3, dtype=torch.float64), "he_normal")
    )


def test_agrees_compares_shape_and_values_and_never_fails():
    assert agrees(torch.tensor([1.0, 2.0]), np.array([1.0, 2.0]))
    assert not agrees(np.array([1.0, 2.0]), np.array([[1.0, 2.0]]))
    assert not agrees(np.array([1.0, 2.5]), np.array([1.0, 2.0]))
    assert not agrees("garbage", np.array([1.0]))


def test_assert_finite_counts_the_bad_values_and_gives_the_advice():
    assert assert_finite(np.ones(3), "softmax", advice="subtract the max").shape == (3,)
    message = message_of(
        lambda: assert_finite(
            np.array([1.0, np.nan, np.inf]), "softmax", advice="subtract the max", where="seed 1"
        )
    )
    assert message == "softmax: 2 of 3 values are NaN or infinite; subtract the max [seed 1]"


def test_naming_one_mistake_or_several_candidates():
    assert naming(None) == naming([]) == ""
    assert naming("eps outside [bn/eps]") == naming(["eps outside [bn/eps]"])
    assert "a known mistake: eps outside [bn/eps]." in naming("eps outside [bn/eps]")
    both = naming(["a [t/a]", "b [t/b]"])
    assert both == "\n  This matches one of these known mistakes: a [t/a]; b [t/b]."
