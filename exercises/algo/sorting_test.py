"""Public examples for algo/sorting: a taste of the grading, small enough to read.

Run them with ``pytest exercises/algo/sorting_test.py``; the hidden grader checks every sort on
many inputs, checks stability with tagged items and counts comparisons.
"""


class Tagged:
    """A value with a tag that takes no part in comparisons: shows whether a sort is stable."""

    comparisons = 0

    def __init__(self, value, tag):
        self.value, self.tag = value, tag

    def __lt__(self, other):
        Tagged.comparisons += 1
        return self.value < other.value

    def __gt__(self, other):
        Tagged.comparisons += 1
        return self.value > other.value

    def __le__(self, other):
        Tagged.comparisons += 1
        return self.value <= other.value

    def __ge__(self, other):
        Tagged.comparisons += 1
        return self.value >= other.value

    def __eq__(self, other):
        Tagged.comparisons += 1
        return self.value == other.value

    def __ne__(self, other):
        Tagged.comparisons += 1
        return self.value != other.value

    __hash__ = None


def test_in_place_sorts_return_none_and_sort_the_list(kata):
    for sort in (
        kata.bubble_sort,
        kata.selection_sort,
        kata.insertion_sort,
        kata.shell_sort,
        kata.heap_sort,
    ):
        items = [5, 2, 9, 1, 5, 6]
        assert sort(items) is None
        assert items == [1, 2, 5, 5, 6, 9]


def test_merge_sort_is_stable_and_leaves_its_input_alone(kata):
    items = [Tagged(2, "a"), Tagged(1, "b"), Tagged(2, "c"), Tagged(1, "d")]
    result = kata.merge_sort(items)
    assert [(t.value, t.tag) for t in result] == [(1, "b"), (1, "d"), (2, "a"), (2, "c")]
    assert [t.tag for t in items] == ["a", "b", "c", "d"]


def test_insertion_sort_on_sorted_input_makes_n_minus_1_comparisons(kata):
    items = [Tagged(v, v) for v in range(10)]
    Tagged.comparisons = 0
    kata.insertion_sort(items)
    assert Tagged.comparisons == 9


def test_counting_sort_is_stable(kata):
    words = ["bb", "a", "cc", "d", "eee", "f"]
    assert kata.counting_sort(words, key=len) == ["a", "d", "f", "bb", "cc", "eee"]
