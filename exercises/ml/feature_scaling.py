"""Feature scaling: min-max and z-score scalers that learn on training data only.

Source questions: 规范化分为哪些？ (s003-06); 为什么要归一化？ (s003-04).

Features measured on different scales (metres and millimetres, age and income) give gradient
descent an elongated loss surface and let the largest feature dominate distances; rescaling every
feature to a common range fixes both. The statistics of the rescaling are part of the model:
they are *learned on the training set* and then *reused unchanged* on validation and test data
(recomputing them on test data leaks information and maps the same raw value to different
outputs). Implement two scalers in the style of scikit-learn, with NumPy, for ``X`` of shape
``(n, d)`` (float64; one column per feature):

``MinMaxScaler(feature_range=(0.0, 1.0))``
    ``fit(X)`` stores the per-column minimum and maximum in ``data_min_`` and ``data_max_``
    (shape ``(d,)``) and returns ``self``. With ``(lo, hi) = feature_range`` and
    ``range = data_max_ - data_min_``, ``transform(X)`` returns
    ``lo + (X - data_min_) * (hi - lo) / range``: the training data land in ``[lo, hi]``; other
    data may fall outside it, and that is correct.

``StandardScaler()``
    ``fit(X)`` stores the per-column mean in ``mean_`` and the *population* standard deviation
    (divide by ``n``, NumPy's default ``ddof=0``, as scikit-learn does) in ``scale_``, shape
    ``(d,)``, and returns ``self``. ``transform(X)`` returns ``(X - mean_) / scale_``: zero mean
    and unit variance on the training data (the z-score).

Both also have ``inverse_transform(X_scaled)``, which undoes ``transform`` exactly (back to the
original units), and ``fit_transform(X)``, which is ``fit(X)`` followed by ``transform(X)``.
``transform`` and ``inverse_transform`` use only the fitted statistics and never change them.

Constant columns: a column is *constant* when its maximum equals its minimum on the training
data. Its ``range`` (min-max) or ``scale_`` (z-score) is set to ``1.0`` instead of 0, so nothing is
divided by zero and no NaN appears: min-max maps the training value to ``lo`` and shifts test
values by the same amount, and the z-score only subtracts the mean. Decide constancy by comparing
the maximum with the minimum, *not* by testing ``std == 0``: for a column of seven 0.1 values,
rounding makes NumPy's std about 1.4e-17, not 0.

Columns may sit far from zero (Unix timestamps around 1.7e9 seconds that vary by hours): the
statistics must stay exact there too. Do not modify the inputs. Calling ``transform`` before
``fit`` is not tested.

Example::

    >>> train = np.array([[0.0, 10.0], [5.0, 10.0], [10.0, 10.0]])   # column 1 is constant
    >>> scaler = MinMaxScaler().fit(train)
    >>> scaler.transform(np.array([[2.0, 10.0], [20.0, 12.0]]))
    array([[0.2, 0. ],
           [2. , 2. ]])
    >>> StandardScaler().fit(train).scale_                            # std of 0, 5, 10; and 1
    array([4.0824829, 1.       ])
"""

from __future__ import annotations

import numpy as np


class MinMaxScaler:
    """Maps each training column onto ``feature_range`` with its training min and max."""

    def __init__(self, feature_range: tuple[float, float] = (0.0, 1.0)) -> None:
        """Remember ``feature_range``, the ``(lo, hi)`` interval the training data map onto."""
        raise NotImplementedError("MinMaxScaler.__init__")

    def fit(self, X: np.ndarray) -> MinMaxScaler:
        """Store ``data_min_`` and ``data_max_`` (per column) and return ``self``."""
        raise NotImplementedError("MinMaxScaler.fit")

    def transform(self, X: np.ndarray) -> np.ndarray:
        """``lo + (X - data_min_) * (hi - lo) / range``, with range 1 for constant columns."""
        raise NotImplementedError("MinMaxScaler.transform")

    def inverse_transform(self, X: np.ndarray) -> np.ndarray:
        """Undo ``transform``: back to the original units."""
        raise NotImplementedError("MinMaxScaler.inverse_transform")

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        """``fit(X)`` then ``transform(X)``."""
        raise NotImplementedError("MinMaxScaler.fit_transform")


class StandardScaler:
    """Z-score: subtracts the training mean and divides by the training (population) std."""

    def fit(self, X: np.ndarray) -> StandardScaler:
        """Store ``mean_`` and ``scale_`` (population std, 1 for constant columns); return self."""
        raise NotImplementedError("StandardScaler.fit")

    def transform(self, X: np.ndarray) -> np.ndarray:
        """``(X - mean_) / scale_``."""
        raise NotImplementedError("StandardScaler.transform")

    def inverse_transform(self, X: np.ndarray) -> np.ndarray:
        """Undo ``transform``: back to the original units."""
        raise NotImplementedError("StandardScaler.inverse_transform")

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        """``fit(X)`` then ``transform(X)``."""
        raise NotImplementedError("StandardScaler.fit_transform")
