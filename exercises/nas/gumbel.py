"""Gumbel-max sampling, the Gumbel-softmax relaxation, and the straight-through estimator.

Source question: NAS 前沿工作 (s001-43), the SNAS and GDAS part.

SNAS and GDAS sample one operation per edge from ``softmax(logits)`` but still want gradients
for the logits. The tools, with torch tensors (the last axis holds the ``K`` categories):

1. ``gumbel_max_sample(logits, generator) -> index``: one exact sample from
   ``Categorical(softmax(logits))`` per row by the Gumbel-max trick: draw ``u ~ Uniform(0, 1)``
   per entry **with** ``generator`` (``torch.rand(..., generator=generator)``; never the global
   random state), turn it into standard Gumbel noise ``g = -log(-log(u))``, and return
   ``argmax(logits + g)`` along the last axis. The result is an int64 (``torch.long``) tensor
   of shape ``logits.shape[:-1]``. The same seed gives the same samples. A logit of ``-inf`` (a
   forbidden category) is never chosen; logits of ``+-1e4`` work.

2. ``gumbel_softmax(logits, noise, tau) -> y``: the relaxed sample
   ``softmax((logits + noise) / tau)`` along the last axis, for given Gumbel ``noise`` (same
   shape as ``logits``) and temperature ``tau > 0``. Same shape and dtype as ``logits``; it
   must stay finite when ``(logits + noise) / tau`` is in the thousands (a small ``tau``).
   As ``tau -> 0`` it approaches the one-hot vector of ``argmax(logits + noise)``.

3. ``straight_through(logits, noise, tau) -> y``: the straight-through Gumbel sample (GDAS,
   ``hard=True``). Its **forward** value is the one-hot vector of ``argmax(logits + noise)``
   (equal to it up to rounding, 1e-6), and its **backward** pass is that of
   ``gumbel_softmax(logits, noise, tau)``: ``y`` must be connected to ``logits`` by autograd so
   that ``d(sum(y * w)) / d logits`` equals the gradient of ``sum(gumbel_softmax(...) * w)``.

``torch.nn.functional.gumbel_softmax``, ``torch.multinomial`` and ``torch.distributions`` are
not allowed. Do not modify the inputs.

Example::

    >>> g = torch.Generator().manual_seed(0)
    >>> gumbel_max_sample(torch.tensor([[0.0, 0.0], [0.0, -float("inf")]]), g)
    tensor([1, 0])                                    # the first row depends on the draw
    >>> gumbel_softmax(torch.tensor([1.0, 0.0]), torch.tensor([0.0, 0.0]), tau=1.0)
    tensor([0.7311, 0.2689])
    >>> z = torch.tensor([1.0, 0.0], requires_grad=True)
    >>> straight_through(z, torch.tensor([0.0, 0.0]), tau=1.0)   # forward one-hot
    tensor([1., 0.], grad_fn=...)                    # backward: the gradient of the soft sample
"""

from __future__ import annotations

import torch


def gumbel_max_sample(logits: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """One category index per row of ``logits`` (int64, shape ``logits.shape[:-1]``)."""
    raise NotImplementedError("gumbel_max_sample")


def gumbel_softmax(logits: torch.Tensor, noise: torch.Tensor, tau: float) -> torch.Tensor:
    """``softmax((logits + noise) / tau)`` along the last axis."""
    raise NotImplementedError("gumbel_softmax")


def straight_through(logits: torch.Tensor, noise: torch.Tensor, tau: float) -> torch.Tensor:
    """Forward: one-hot of ``argmax(logits + noise)``; backward: gradient of gumbel_softmax."""
    raise NotImplementedError("straight_through")
