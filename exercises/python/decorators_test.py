"""Public examples for python/decorators: a taste of the grading, small enough to read.

Run them with ``pytest exercises/python/decorators_test.py``; the hidden grader runs many more
cases when you run ``pytest exercises/python``.
"""


def test_logged_logs_the_call_and_keeps_the_name(kata):
    lines = []

    @kata.logged(log=lines.append)
    def add(x, y, z=0):
        """Add three numbers."""
        return x + y + z

    assert add(1, 2, z=3) == 6
    assert lines == ["call add(1, 2, z=3)", "add returned 6"]
    assert add.__name__ == "add" and add.__doc__ == "Add three numbers."


def test_retry_calls_again_until_the_function_succeeds(kata):
    calls = []

    @kata.retry(3, ValueError)
    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise ValueError("not yet")
        return "done"

    assert flaky() == "done"
    assert len(calls) == 3  # two failures, then success on the third and last allowed call


def test_memoize_counts_hits_and_misses(kata):
    @kata.memoize
    def square(x):
        return x * x

    assert [square(3), square(3), square(4)] == [9, 9, 16]
    assert square.cache_info() == {"hits": 1, "misses": 2, "size": 2}
