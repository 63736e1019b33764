"""Hidden grader for optim/gd_variants.

Oracles: the index bookkeeping is checked as properties (every sample once per epoch, a fresh
order every epoch) and against the stated draw (one ``rng.permutation(n)`` per epoch); training is
checked against a simulation of the stated algorithm and against ``numpy.linalg.lstsq``; gradient
noise against its closed form: for batches of ``m`` distinct samples out of ``N``,
``E||g(B) - g||**2 = sigma**2 / m * (N - m) / (N - 1)`` with ``sigma**2`` the mean squared
distance of the per-sample gradients from their mean.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from katakit import misconceptions
from katakit.checks import (
    as_array,
    as_number,
    assert_close,
    assert_equal,
    assert_unchanged,
    describe,
    fail,
    naming,
    rng,
    snapshot,
)

MISTAKES = misconceptions.of(__file__)


def collect(kata, n, batch_size, **kwargs):
    """The learner's batches as lists of ints."""
    result = kata.minibatches(n, batch_size, **kwargs)
    batches = []
    for k, batch in enumerate(result):
        array = as_array(batch, f"batch {k}")
        if array.ndim != 1:
            fail(f"batch {k}: expected a 1-D index array, got shape {array.shape}")
        if not np.array_equal(array, np.round(array)):
            fail(f"batch {k}: expected integer indices, got {array}")
        batches.append([int(i) for i in array])
    return batches


def expected_sizes(n, batch_size, drop_last):
    full, rest = divmod(n, batch_size)
    return [batch_size] * full + ([rest] if rest and not drop_last else [])


def split_epochs(batches, n, batch_size, epochs, drop_last, where):
    """Cut the flat list of batches into epochs, checking the batch sizes on the way."""
    sizes = expected_sizes(n, batch_size, drop_last)
    got_sizes = [len(b) for b in batches]
    if got_sizes != sizes * epochs:
        matched = None
        if not drop_last and got_sizes == expected_sizes(n, batch_size, True) * epochs:
            matched = MISTAKES["last-batch-dropped"]
        elif drop_last and got_sizes == expected_sizes(n, batch_size, False) * epochs:
            matched = MISTAKES["drop-last-kept-small-batch"]
        fail(
            f"batch sizes: expected {sizes} in each of {epochs} epochs, got {got_sizes} "
            f"[{where}]{naming(matched)}",
            matched,
        )
    per_epoch = len(sizes)
    return [batches[e * per_epoch : (e + 1) * per_epoch] for e in range(epochs)]


# -- minibatches ---------------------------------------------------------------------------------


@pytest.mark.points(1)
def test_unshuffled_batches_are_consecutive_slices(kata):
    for n, batch_size, drop_last in [
        (10, 3, False),
        (10, 3, True),
        (8, 4, False),
        (5, 8, False),
        (5, 8, True),
        (1, 1, False),
    ]:
        order = list(range(n))
        expected = [order[s : s + batch_size] for s in range(0, n, batch_size)]
        if drop_last:
            expected = [b for b in expected if len(b) == batch_size]
        assert_equal(
            collect(kata, n, batch_size, shuffle=False, drop_last=drop_last, epochs=2),
            expected * 2,
            what="minibatches(shuffle=False) over 2 epochs",
            where=describe(n_samples=n, batch_size=batch_size, drop_last=drop_last),
            misconceptions={
                MISTAKES["last-batch-dropped"]: ([b for b in expected if len(b) == batch_size] * 2),
            },
        )


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "seed, n, batch_size, epochs", [(1, 10, 3, 4), (2, 64, 16, 3), (3, 7, 1, 2), (4, 5, 8, 2)]
)
def test_every_sample_exactly_once_per_epoch(kata, seed, n, batch_size, epochs):
    where = describe(seed, n_samples=n, batch_size=batch_size, epochs=epochs)
    batches = collect(kata, n, batch_size, epochs=epochs, shuffle=True, rng=rng(seed))
    for e, epoch in enumerate(split_epochs(batches, n, batch_size, epochs, False, where)):
        seen = sorted(i for b in epoch for i in b)
        if seen != list(range(n)):
            missing = sorted(set(range(n)) - set(seen))
            repeated = sorted({i for i in seen if seen.count(i) > 1})
            fail(
                f"epoch {e}: every index 0 .. {n - 1} must appear exactly once; missing "
                f"{missing}, repeated {repeated} [{where}]"
            )


@pytest.mark.points(2)
def test_each_epoch_has_a_fresh_order(kata):
    seed, n, batch_size, epochs = 5, 20, 5, 6
    where = describe(seed, n_samples=n, batch_size=batch_size, epochs=epochs)
    batches = collect(kata, n, batch_size, epochs=epochs, shuffle=True, rng=rng(seed))
    orders = [
        [i for b in epoch for i in b]
        for epoch in split_epochs(batches, n, batch_size, epochs, False, where)
    ]
    if orders[0] == list(range(n)):
        fail(f"epoch 0 came out in order 0 .. {n - 1} although shuffle=True [{where}]")
    for e in range(1, epochs):
        if orders[e] == orders[e - 1]:
            fail(
                f"epochs {e - 1} and {e} visit the samples in the same order {orders[e]} [{where}]"
                + naming(MISTAKES["permutation-reused"]),
                MISTAKES["permutation-reused"],
            )


@pytest.mark.points(1)
def test_shuffled_order_is_one_rng_permutation_per_epoch(kata):
    # batch_size divides n: the last, smaller batch is test_every_sample_exactly_once_per_epoch's
    # promise, not this one's
    seed, n, batch_size, epochs = 6, 12, 4, 3
    gen = rng(seed)
    expected = []
    for _ in range(epochs):
        order = gen.permutation(n).tolist()
        expected += [order[s : s + batch_size] for s in range(0, n, batch_size)]
    assert_equal(
        collect(kata, n, batch_size, epochs=epochs, rng=rng(seed)),
        expected,
        what="minibatches with the default shuffle=True",
        where=describe(seed, n_samples=n, batch_size=batch_size, epochs=epochs)
        + "; the statement fixes the order as rng.permutation(n_samples), one call per epoch",
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("seed, n, batch_size", [(7, 10, 3), (8, 5, 8)])
def test_drop_last_skips_only_the_smaller_batch(kata, seed, n, batch_size):
    epochs = 3
    where = describe(seed, n_samples=n, batch_size=batch_size, drop_last=True)
    batches = collect(kata, n, batch_size, epochs=epochs, drop_last=True, rng=rng(seed))
    for e, epoch in enumerate(split_epochs(batches, n, batch_size, epochs, True, where)):
        seen = [i for b in epoch for i in b]
        if len(set(seen)) != len(seen) or not set(seen) <= set(range(n)):
            fail(f"epoch {e}: indices repeated or out of range 0 .. {n - 1}: {seen} [{where}]")


@pytest.mark.points(1)
def test_minibatches_is_a_lazy_generator(kata):
    result = kata.minibatches(10, 3, epochs=2, shuffle=False)
    if not hasattr(result, "__next__"):
        fail(
            f"minibatches returned a {type(result).__name__}, not an iterator: write it as a "
            "generator function that yields one batch at a time"
        )
    first = list(itertools.islice(kata.minibatches(1000, 10, epochs=10_000, rng=rng(9)), 3))
    if len(first) != 3:
        fail(f"expected to read 3 batches from a long run, got {len(first)}")


@pytest.mark.points(1)
def test_updates_per_epoch(kata):
    for n, batch_size in [(10, 3), (9, 3), (5, 8), (1000, 1), (1000, 1000), (1000, 32)]:
        for drop_last in (False, True):
            assert_equal(
                kata.updates_per_epoch(n, batch_size, drop_last=drop_last),
                len(expected_sizes(n, batch_size, drop_last)),
                what="updates_per_epoch",
                where=describe(n_samples=n, batch_size=batch_size, drop_last=drop_last),
            )


# -- training ------------------------------------------------------------------------------------


def regression_data(seed, n, d):
    gen = rng(seed)
    X = gen.normal(size=(n, d)) * gen.uniform(0.5, 1.5, d) + gen.normal(0, 0.5, d)
    y = X @ gen.normal(size=d) + 1.5 + 0.3 * gen.normal(size=n)
    return X, y


def simulate_training(X, y, batch_size, lr, epochs, seed, drop_last, mistake=None):
    """The stated algorithm, or one mistake, run on the grader's own copy of the draws."""
    gen = rng(seed)
    n, d = X.shape
    w, b, history = np.zeros(d), 0.0, []
    fixed = gen.permutation(n)
    gen = rng(seed)
    for _ in range(epochs):
        if mistake == "reused":
            order = fixed
        elif mistake == "unshuffled":
            order = np.arange(n)
        else:
            order = gen.permutation(n)
        for s in range(0, n, batch_size):
            batch = order[s : s + batch_size]
            if len(batch) < batch_size and (drop_last or mistake == "dropped"):
                break
            Xb, yb = X[batch], y[batch]
            r = Xb @ w + b - yb
            scale = 1.0 if mistake == "sum" else 1.0 / len(batch)
            w = w - lr * scale * Xb.T @ r
            if mistake == "sequential":
                r = Xb @ w + b - yb
            b = b - lr * scale * r.sum()
        history.append(0.5 * np.mean((X @ w + b - y) ** 2))
    return w, b, np.array(history)


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "name, seed, n, batch_size, lr, epochs, drop_last",
    [
        ("batch GD", 21, 32, 32, 0.1, 20, False),
        ("SGD", 22, 16, 1, 0.02, 5, False),
        ("minibatch GD", 23, 50, 8, 0.05, 6, False),
        ("minibatch GD, drop_last", 24, 50, 8, 0.05, 6, True),
    ],
)
def test_training_follows_the_stated_algorithm(
    kata, name, seed, n, batch_size, lr, epochs, drop_last
):
    X, y = regression_data(seed, n, 3)
    w, b, history = kata.train_linear_regression(
        X.copy(),
        y.copy(),
        batch_size=batch_size,
        lr=lr,
        epochs=epochs,
        rng=rng(seed),
        drop_last=drop_last,
    )
    where = describe(seed, X=X, batch_size=batch_size, lr=lr, epochs=epochs, drop_last=drop_last)
    expected = simulate_training(X, y, batch_size, lr, epochs, seed, drop_last)
    names = {
        "reused": MISTAKES["permutation-reused"],
        "unshuffled": MISTAKES["not-shuffled"],
        "sum": MISTAKES["gradient-summed"],
        "sequential": MISTAKES["sequential-update"],
        "dropped": MISTAKES["last-batch-dropped"],
    }
    wrong = {
        key: simulate_training(X, y, batch_size, lr, epochs, seed, drop_last, key) for key in names
    }
    for index, (what, value) in enumerate((("w", w), ("b", b), ("history", history))):
        assert_close(
            np.reshape(as_array(value, what), np.shape(expected[index])) if what == "b" else value,
            expected[index],
            what=f"{name}: {what}",
            where=where,
            rtol=1e-9,
            atol=1e-12,
            misconceptions={names[key]: wrong[key][index] for key in names},
        )


@pytest.mark.points(1)
def test_training_with_empty_epochs_still_records_every_epoch(kata):
    # batch_size 8 > n = 5 with drop_last: every epoch has no batch, so nothing moves, but the
    # history still holds one loss per epoch (the loss at w = 0, b = 0).
    seed, n, epochs = 25, 5, 3
    X, y = regression_data(seed, n, 2)
    w, b, history = kata.train_linear_regression(
        X, y, batch_size=8, lr=0.1, epochs=epochs, rng=rng(seed), drop_last=True
    )
    where = describe(seed, X=X, batch_size=8, epochs=epochs, drop_last=True)
    history = as_array(history, "history")
    if history.shape != (epochs,):
        fail(
            f"history: expected {epochs} losses (one per epoch, even when drop_last leaves an "
            f"epoch with no batch), got {history.tolist()} [{where}]"
        )
    assert_close(
        np.append(as_array(w, "w"), as_number(b, "b")),
        np.zeros(3),
        what="(w, b) after epochs with no batch",
        where=where,
    )
    assert_close(
        history, np.full(epochs, 0.5 * np.mean(y**2)), what="history", where=where, rtol=1e-9
    )


@pytest.mark.points(1)
def test_batch_gd_reaches_the_least_squares_solution(kata):
    seed = 31
    X, y = regression_data(seed, 40, 3)
    w, b, history = kata.train_linear_regression(
        X, y, batch_size=40, lr=0.3, epochs=2000, rng=rng(seed)
    )
    design = np.column_stack([X, np.ones(len(y))])
    solution, *_ = np.linalg.lstsq(design, y, rcond=None)
    assert_close(
        np.append(as_array(w, "w"), as_number(b, "b")),
        solution,
        what="(w, b) after 2000 epochs of batch GD",
        where=describe(seed, X=X, lr=0.3) + "; expected numpy.linalg.lstsq's solution",
        rtol=1e-6,
        atol=1e-8,
    )
    history = as_array(history, "history")
    if np.any(np.diff(history) > 1e-12):
        fail("batch GD with a small learning rate must never increase the training loss")


@pytest.mark.points(1)
def test_inputs_are_left_unchanged(kata):
    # The value tests pass copies; this one alone checks the statement's "do not modify them".
    seed = 26
    X, y = regression_data(seed, 20, 3)
    before = snapshot(X=X, y=y)
    kata.train_linear_regression(X, y, batch_size=6, lr=0.05, epochs=2, rng=rng(seed))
    try:
        assert_unchanged(before, X=X, y=y)
    except AssertionError as exc:
        fail(f"train_linear_regression: {exc}")
    w = np.array([0.5, -1.0, 2.0])
    before = snapshot(X=X, y=y, w=w)
    kata.gradient_noise(X, y, w, 0.3, 4, trials=5, rng=rng(seed))
    try:
        assert_unchanged(before, X=X, y=y, w=w)
    except AssertionError as exc:
        fail(f"gradient_noise: {exc}")


# -- gradient noise ------------------------------------------------------------------------------


def noise_problem(seed):
    """N = 2048 samples and a point (w, b) well away from the optimum."""
    gen = rng(seed)
    n, d = 2048, 3
    X = gen.normal(size=(n, d)) * np.array([1.0, 2.0, 0.5])
    w_star = gen.normal(size=d)
    y = X @ w_star + 1.0 + 0.5 * gen.normal(size=n)
    return X, y, w_star + 1.0, 3.0


def exact_noise(X, y, w, b, m):
    r = X @ w + b - y
    per_sample = np.column_stack([r[:, None] * X, r])
    full = per_sample.mean(axis=0)
    sigma2 = np.mean(np.sum((per_sample - full) ** 2, axis=1))
    n = len(y)
    return np.sqrt(sigma2 / m * (n - m) / (n - 1)), np.linalg.norm(full)


@pytest.mark.points(1)
@pytest.mark.parametrize("batch_size", [1, 16, 256])
def test_gradient_noise_matches_the_closed_form(kata, batch_size):
    # 1000 trials: the estimate's relative spread is about 3.5% at m = 1 and less for larger
    # batches; the bound of 20% is more than five of those standard errors.
    seed, trials = 41, 1000
    X, y, w, b = noise_problem(seed)
    got = as_number(
        kata.gradient_noise(
            X.copy(), y.copy(), w.copy(), b, batch_size, trials=trials, rng=rng(seed)
        ),
        "gradient_noise",
    )
    expected, full_norm = exact_noise(X, y, w, b, batch_size)
    where = describe(seed, X=X, batch_size=batch_size, trials=trials)
    if abs(got - expected) <= 0.2 * expected:
        return
    message = f"gradient_noise: expected about {expected:.4g} (within 20%), got {got:.4g} [{where}]"
    matched = None
    if abs(got - expected**2) <= 0.2 * expected**2:
        matched = MISTAKES["noise-squared"]
    elif abs(got - np.hypot(expected, full_norm)) <= 0.2 * np.hypot(expected, full_norm):
        matched = MISTAKES["noise-of-gradient-size"]
    fail(message + naming(matched), matched)


@pytest.mark.points(1)
def test_a_full_batch_has_no_noise(kata):
    seed = 42
    X, y, w, b = noise_problem(seed)
    X, y = X[:64], y[:64]
    got = as_number(kata.gradient_noise(X, y, w, b, 64, trials=20, rng=rng(seed)), "gradient_noise")
    if abs(got) > 1e-9:
        fail(
            f"gradient_noise with batch_size = n = 64: expected 0, got {got:.4g} [seed {seed}]\n"
            "  A batch of all n distinct samples is the full batch."
            + naming(MISTAKES["noise-with-replacement"]),
            MISTAKES["noise-with-replacement"],
        )


@pytest.mark.points(1)
def test_gradient_noise_draws_from_the_given_rng(kata):
    X, y, w, b = noise_problem(43)
    first, again, other = (
        as_number(kata.gradient_noise(X, y, w, b, 8, trials=50, rng=rng(s)), "gradient_noise")
        for s in (1, 1, 2)
    )
    if first != again or first == other:
        fail(
            "gradient_noise must draw its batches from the rng it is given: the same seed must "
            f"give the same result and another seed another one (got {first}, {again}, {other})"
        )


@pytest.mark.points(2)
def test_noise_exponent_is_close_to_minus_one_half(kata):
    seed = 44
    X, y, w, b = noise_problem(seed)
    sizes = [1, 4, 16, 64, 256]
    got = as_number(
        kata.noise_exponent(X, y, w, b, sizes, trials=400, rng=rng(seed)), "noise_exponent"
    )
    exact = np.polyfit(np.log(sizes), np.log([exact_noise(X, y, w, b, m)[0] for m in sizes]), 1)[0]
    if abs(got - exact) > 0.1:
        matched = MISTAKES["exponent-of-variance"] if abs(got - 2 * exact) <= 0.15 else None
        fail(
            f"noise_exponent: expected a slope within 0.1 of {exact:.3f} (the closed form; about "
            f"-1/2), got {got:.4g} [seed {seed}, batch sizes {sizes}, trials 400]{naming(matched)}",
            matched,
        )
