"""Mutant of ml/feature_scaling: treats a column as constant only when its std is exactly 0."""

from __future__ import annotations

import numpy as np


def _constant_as_one(spread: np.ndarray, constant: np.ndarray) -> np.ndarray:
    # A constant column has nothing to rescale: dividing by 1 leaves it finite.
    return np.where(constant, 1.0, spread)


class MinMaxScaler:
    def __init__(self, feature_range: tuple[float, float] = (0.0, 1.0)) -> None:
        self.feature_range = feature_range

    def fit(self, X: np.ndarray) -> MinMaxScaler:
        self.data_min_ = X.min(axis=0)
        self.data_max_ = X.max(axis=0)
        # max == min is exact; a computed spread can be a rounding error away from 0
        self._range = _constant_as_one(
            self.data_max_ - self.data_min_, self.data_max_ == self.data_min_
        )
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        # only the stored training statistics: the same raw value always maps to the same output
        lo, hi = self.feature_range
        return lo + (X - self.data_min_) * (hi - lo) / self._range

    def inverse_transform(self, X: np.ndarray) -> np.ndarray:
        lo, hi = self.feature_range
        return (X - lo) * self._range / (hi - lo) + self.data_min_

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        return self.fit(X).transform(X)


class StandardScaler:
    def fit(self, X: np.ndarray) -> StandardScaler:
        self.mean_ = X.mean(axis=0)
        # population std (ddof=0): the z-scores of the training data then have variance exactly 1
        std = X.std(axis=0)
        self.scale_ = _constant_as_one(std, std == 0)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        return (X - self.mean_) / self.scale_

    def inverse_transform(self, X: np.ndarray) -> np.ndarray:
        return X * self.scale_ + self.mean_

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        return self.fit(X).transform(X)
