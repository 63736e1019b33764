"""Early stopping with patience and min_delta, restoring the best weights.

Source question: Q19: 如何避免过拟合 (s001-19).

Early stopping watches the validation loss once per epoch and stops training when it has not
improved for ``patience`` epochs; the model then gets back the weights of its *best* epoch (not
those of the last one, which has already started to overfit). Implement the class
``EarlyStopping``:

* ``EarlyStopping(patience, min_delta=0.0)``: ``patience`` is an int ``>= 1`` and
  ``min_delta >= 0``; raise ``ValueError`` otherwise.
* ``step(val_loss, weights) -> bool``, called once per epoch (epochs are numbered 0, 1, 2, ...
  in the order of the calls). ``weights`` maps parameter names to arrays: NumPy arrays or torch
  tensors (a ``state_dict``). The epoch is an **improvement** when

      val_loss < best_loss - min_delta        (strictly; best_loss starts at +inf)

  so the first epoch always improves, a tie with the best loss is not an improvement, and
  neither is a gain of exactly ``min_delta``. The comparison is with the best loss so far, not
  with the previous epoch's. On an improvement, remember ``val_loss``, the epoch number and a
  **copy** of the weights (training goes on changing the caller's arrays in place afterwards),
  and reset the count of epochs without improvement to 0; otherwise add 1 to that count.
  Return ``True`` (stop now) when the count reaches ``patience``, else ``False``.
* attributes, readable after any step: ``best_loss`` (float), ``best_epoch`` (int) and
  ``best_weights`` (the stored copy: a dict of the same names, values equal to the weights at
  ``best_epoch``).
* ``restore(weights)``: write the best weights back **into** the arrays of ``weights`` (in place,
  like ``model.load_state_dict``), so that whatever holds those arrays sees the best values.
  Returns ``None``.

Example (patience 2, min_delta 0.1)::

    epoch    0     1     2      3      4
    loss     1.0   0.8   0.75   0.72   0.69
    step ->  False False False  True          # 0.75 and 0.72 do not beat 0.8 - 0.1
    best_epoch = 1, best_loss = 0.8; restore() gives back the weights of epoch 1
"""

from __future__ import annotations

from typing import Any


class EarlyStopping:
    """Stop after ``patience`` epochs without an improvement larger than ``min_delta``."""

    best_loss: float
    best_epoch: int
    best_weights: dict[str, Any] | None

    def __init__(self, patience: int, min_delta: float = 0.0) -> None:
        raise NotImplementedError("EarlyStopping.__init__")

    def step(self, val_loss: float, weights: dict[str, Any]) -> bool:
        """Record one epoch's validation loss; True when training should stop."""
        raise NotImplementedError("EarlyStopping.step")

    def restore(self, weights: dict[str, Any]) -> None:
        """Copy the best weights into the arrays of ``weights``, in place."""
        raise NotImplementedError("EarlyStopping.restore")
