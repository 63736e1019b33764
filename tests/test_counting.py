import pytest

from katakit.counting import Counter, Key, OutOfComparisons


def test_every_comparison_between_keys_counts():
    counter = Counter()
    keys = [Key(v, i, counter) for i, v in enumerate([3, 1, 2])]
    result, count = counter.run(sorted, keys)
    assert [k.value for k in result] == [1, 2, 3] and count > 0
    assert counter.run(lambda: keys[0] == keys[1])[1] == 1


def test_a_spent_budget_stops_the_call_and_is_lifted_afterwards():
    counter = Counter("comparisons between items")
    keys = [Key(v, i, counter) for i, v in enumerate(range(50, 0, -1))]
    with pytest.raises(OutOfComparisons, match="more than 10 comparisons between items"):
        counter.run(sorted, keys, limit=10)
    assert counter.run(sorted, keys)[1] > 10


def test_a_keys_repr_gives_away_neither_its_value_nor_its_position():
    key = Key(42, 7, Counter())
    assert "42" not in repr(key) and "7" not in repr(key) and "42" not in str(key)
