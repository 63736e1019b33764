"""Inverted dropout: forward and backward passes, evaluation mode, MC-dropout averaging.

Source question: 32. Dropout与Bagging集成方法的关系，以及 Dropout 带来的意义与其强大的原因 (s004-02;
also s001-19, 如何避免过拟合).

During training, dropout zeroes each element of its input independently with probability ``p``.
*Inverted* dropout scales the surviving elements by ``1 / (1 - p)`` at training time, so that the
expected output equals the input and nothing changes at test time. Implement, with torch tensors:

1. ``dropout_forward(x, p, training, generator) -> (out, mask)``.

   * ``training=True``: draw a boolean ``mask`` shaped like ``x``, each element ``True`` (kept)
     independently with probability ``1 - p``, using only ``generator`` for randomness (so the
     same seed gives the same mask); return ``out = x * mask / (1 - p)`` and the mask.
   * ``training=False``: dropout is the identity. Return ``x``'s values unchanged (no scaling
     by ``1 - p`` or anything else) and a mask of all ``True``.
   * ``p == 0``: nothing is dropped: ``out`` equals ``x`` and the mask is all ``True``.
   * ``p == 1``: everything is dropped during training: ``out`` is all zeros and the mask all
     ``False`` (no division by ``1 - p = 0``, no NaN).
   * ``p`` outside ``[0, 1]``: raise ``ValueError``.
   * ``out`` has the dtype and shape of ``x`` (float32 or float64); ``mask`` has dtype
     ``torch.bool``.

2. ``dropout_backward(dout, mask, p) -> dx``: the gradient of the loss with respect to ``x``,
   given the gradient ``dout`` with respect to ``out`` and the mask the forward pass returned
   (training mode). Each element of ``dx`` is ``dout * mask / (1 - p)``: the units dropped in
   the forward pass get exactly zero gradient. ``p == 1`` gives all zeros.

3. ``mc_dropout_predict(f, x, p, samples, generator) -> mean``: Monte-Carlo dropout. Keep
   dropout *on* at prediction time: for ``s = 1 .. samples`` draw
   ``x_s = dropout_forward(x, p, True, generator)[0]``, call ``f(x_s)`` once (``f`` maps a tensor
   to a tensor), and return the average of the ``samples`` outputs, ``mean_s f(x_s)``, shaped
   like one output of ``f``. (Averaging over masks is what makes dropout an implicit ensemble
   of the sub-networks, as in bagging.)

``torch.nn.functional.dropout``, ``torch.dropout``, ``torch.nn.Dropout`` and torch's dropout
kernels are not allowed in this kata. Do not modify ``x`` or ``dout`` in place.

Example::

    >>> g = torch.Generator().manual_seed(0)
    >>> out, mask = dropout_forward(torch.ones(2, 4), 0.5, True, g)
    >>> mask                                         # depends on the draw
    tensor([[False,  True,  True, False], [ True,  True, False,  True]])
    >>> out                                          # survivors scaled by 1 / (1 - 0.5)
    tensor([[0., 2., 2., 0.], [2., 2., 0., 2.]])
    >>> dropout_forward(torch.ones(2, 4), 0.5, False, g)[0]   # evaluation: the identity
    tensor([[1., 1., 1., 1.], [1., 1., 1., 1.]])
"""

from __future__ import annotations

from collections.abc import Callable

import torch


def dropout_forward(
    x: torch.Tensor, p: float, training: bool, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Inverted dropout: ``(x * mask / (1 - p), mask)`` in training, ``(x, all True)`` in eval."""
    raise NotImplementedError("dropout_forward")


def dropout_backward(dout: torch.Tensor, mask: torch.Tensor, p: float) -> torch.Tensor:
    """``dout * mask / (1 - p)`` (zeros when ``p == 1``)."""
    raise NotImplementedError("dropout_backward")


def mc_dropout_predict(
    f: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    p: float,
    samples: int,
    generator: torch.Generator,
) -> torch.Tensor:
    """The average of ``f`` over ``samples`` dropout draws of ``x`` (dropout kept on)."""
    raise NotImplementedError("mc_dropout_predict")
