"""Public examples for algo/quicksort: a taste of the grading, small enough to read.

Run them with ``pytest exercises/algo/quicksort_test.py``; the hidden grader counts comparisons
on large sorted, reversed, organ-pipe and all-equal inputs and measures the recursion depth.
"""


class Counted:
    """A number that counts how often it is compared (the grader's items work the same way)."""

    comparisons = 0

    def __init__(self, value):
        self.value = value

    def __lt__(self, other):
        Counted.comparisons += 1
        return self.value < other.value

    def __gt__(self, other):
        Counted.comparisons += 1
        return self.value > other.value

    def __le__(self, other):
        Counted.comparisons += 1
        return self.value <= other.value

    def __ge__(self, other):
        Counted.comparisons += 1
        return self.value >= other.value

    def __eq__(self, other):
        Counted.comparisons += 1
        return self.value == other.value

    def __ne__(self, other):
        Counted.comparisons += 1
        return self.value != other.value

    __hash__ = None


def test_median_of_three_picks_the_middle_value_of_the_samples(kata):
    items = [9, 0, 0, 1, 0, 0, 4]  # samples: 9 (slot 0), 1 (slot 3), 4 (slot 6)
    index = kata.median_of_three(items, 0, 7)
    assert index in (0, 3, 6)
    assert items[index] == 4


def test_partition3_groups_less_equal_greater(kata):
    items = [3, 8, 3, 1, 9, 3, 2]
    lt, gt = kata.partition3(items, 0, 7, 0)  # pivot value 3
    assert (lt, gt) == (2, 5)
    assert sorted(items[:2]) == [1, 2]
    assert items[2:5] == [3, 3, 3]
    assert sorted(items[5:]) == [8, 9]


def test_quicksort_sorts_in_place_and_equal_items_cost_one_pass(kata):
    items = [Counted(5) for _ in range(100)]
    Counted.comparisons = 0
    assert kata.quicksort(items) is None
    # one three-way partition finishes 100 equal items: about 2 comparisons each, not 100 ** 2
    assert Counted.comparisons <= 3 * 100
    numbers = [5, 1, 4, 1, 5, 9, 2, 6]
    kata.quicksort(numbers)
    assert numbers == [1, 1, 2, 4, 5, 5, 6, 9]
