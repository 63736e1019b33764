"""Why batches must be shuffled: label skew and biased batch-norm statistics of sorted batches.

Source questions: 深度学习的输入特征是否需要独立 (s001-08; also s000-08), BN 的缺点及其衍生的
特性 (s001-10, whose answer says to shuffle well before training) and 选择batch的好处 (s002-25:
a mini-batch stands for a sample of the whole set).

SGD and batch norm assume every mini-batch is a small random sample of the data set. Feed the
data sorted by label instead and each batch holds one class: its gradient and its BN statistics
describe that class, not the data. This kata builds both orderings and measures the damage.

A *batch* is an integer NumPy array of sample indices; a list of batches covers ``0 .. n-1``
once. Batches are consecutive cuts of ``batch_size`` indices of an ordering; the last batch holds
the remainder when ``batch_size`` does not divide ``n`` (it is kept, not dropped).

``sorted_batches(y, batch_size)``
    The indices ordered by label, *stably* (equal labels keep their original order, as
    ``numpy.argsort(y, kind="stable")``), cut into batches.

``shuffled_batches(n, batch_size, rng)``
    One epoch: a fresh random permutation of ``0 .. n-1`` drawn from the ``numpy.random.Generator``
    ``rng`` (never numpy's global state), cut into batches.

``epoch_schedule(n, batch_size, n_epochs, rng)``
    A list of ``n_epochs`` epochs (each a list of batches), *reshuffled every epoch*: every epoch
    draws a new permutation from the same ``rng``, so two epochs (almost surely) differ.

``label_skew(batches, y, n_classes)``
    How far the batches' label distributions are from the data set's: the mean over batches
    (each batch counts once) of the total-variation distance
    ``TV(p_b, p) = 1/2 * sum_c |p_b[c] - p[c]|``, where ``p_b[c]`` is the fraction of batch ``b``
    with label ``c`` and ``p[c]`` the fraction of the *whole data set* ``y`` with label ``c``.
    0 means every batch looks like the data; a batch of one class ``c`` scores ``1 - p[c]``.

``batch_norm_stats(x, batches)``
    What batch norm would compute on each batch of features ``x`` (shape ``(n, d)``): the
    per-feature mean and the *biased* variance (divide by the batch size) of every batch,
    returned as ``(means, variances)``, two arrays of shape ``(n_batches, d)``.

``mean_shift(x, batches)``
    How biased the batch means are, per feature, in units of the data's spread:
    ``mean over batches of |mu_b - mu| / sigma``, with ``mu`` and ``sigma`` the mean and the
    (biased) standard deviation of the whole column. Shape ``(d,)``.

What the grader observes with your functions (3 classes of 50 %, 30 %, 20 %, a feature
``2 * y + noise``, batches of 32): sorted batches have a label skew above 0.5, a mean shift of
that feature above 0.5 and batch variances below half the data's; shuffled batches have a skew
below 0.2, a mean shift below 0.3 and batch variances close to the data's. A feature that does
not depend on the label stays unbiased either way, and with shuffling the mean shift shrinks
as the batch grows (about as ``1 / sqrt(batch_size)``).

Use NumPy; ``torch.utils.data``'s ``DataLoader`` and samplers are not allowed. Do not modify the
inputs.

Example::

    >>> y = np.array([1, 0, 1, 0])
    >>> sorted_batches(y, 2)
    [array([1, 3]), array([0, 2])]
    >>> label_skew(sorted_batches(y, 2), y, 2)     # each batch is one class: TV = 1 - 0.5
    0.5
    >>> x = np.array([[1.0], [2.0], [3.0], [6.0]])
    >>> batch_norm_stats(x, [np.array([0, 1]), np.array([2, 3])])
    (array([[1.5],
           [4.5]]), array([[0.25],
           [2.25]]))
"""

from __future__ import annotations

import numpy as np


def sorted_batches(y: np.ndarray, batch_size: int) -> list[np.ndarray]:
    """Stable label order, cut into consecutive batches (last one may be smaller)."""
    raise NotImplementedError("sorted_batches")


def shuffled_batches(n: int, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """A fresh permutation from rng, cut into consecutive batches."""
    raise NotImplementedError("shuffled_batches")


def epoch_schedule(
    n: int, batch_size: int, n_epochs: int, rng: np.random.Generator
) -> list[list[np.ndarray]]:
    """n_epochs epochs of batches, reshuffled every epoch."""
    raise NotImplementedError("epoch_schedule")


def label_skew(batches: list[np.ndarray], y: np.ndarray, n_classes: int) -> float:
    """Mean over batches of TV(batch label distribution, data set label distribution)."""
    raise NotImplementedError("label_skew")


def batch_norm_stats(x: np.ndarray, batches: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per-batch, per-feature mean and biased variance, each (n_batches, d)."""
    raise NotImplementedError("batch_norm_stats")


def mean_shift(x: np.ndarray, batches: list[np.ndarray]) -> np.ndarray:
    """Per feature: mean over batches of |batch mean - data mean| / data std."""
    raise NotImplementedError("mean_shift")
