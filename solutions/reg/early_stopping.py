"""Reference solution for reg/early_stopping."""

from __future__ import annotations

import copy
import math
from typing import Any


class EarlyStopping:
    def __init__(self, patience: int, min_delta: float = 0.0) -> None:
        if int(patience) != patience or patience < 1:
            raise ValueError(f"patience must be an int >= 1, got {patience!r}")
        if not min_delta >= 0:
            raise ValueError(f"min_delta must be >= 0, got {min_delta!r}")
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self.best_loss = math.inf
        self.best_epoch = -1
        self.best_weights: dict[str, Any] | None = None
        self.epoch = -1
        self.wait = 0

    def step(self, val_loss: float, weights: dict[str, Any]) -> bool:
        self.epoch += 1
        # Strict, and against the best so far: a plateau of tiny gains must not reset patience.
        if val_loss < self.best_loss - self.min_delta:
            self.best_loss = float(val_loss)
            self.best_epoch = self.epoch
            # A deep copy: the caller keeps training the very same arrays in place.
            self.best_weights = copy.deepcopy(dict(weights))
            self.wait = 0
        else:
            self.wait += 1
        return self.wait >= self.patience

    def restore(self, weights: dict[str, Any]) -> None:
        if self.best_weights is None:
            raise RuntimeError("restore() before any step()")
        for name, value in self.best_weights.items():
            weights[name][...] = value  # in place, so the model holding the array sees it
