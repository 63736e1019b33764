"""REINFORCE with a baseline: the policy gradient of a NAS controller.

Source question: NAS 前沿工作 (s001-43), the "NAS with RL" and ENAS part.

In NAS with RL the controller samples an architecture, the architecture is trained, and its
validation accuracy is the reward ``R``. The controller is updated with the policy gradient

    grad_theta E_{a ~ p_theta}[R(a)] = E_a[(R(a) - b) * grad_theta log p_theta(a)],

estimated by averaging over sampled architectures. Here the controller is factorised: an
architecture is ``L`` independent decisions (op of layer 1, op of layer 2, ...), decision ``l``
choosing one of ``K`` options with probabilities ``softmax(logits[l])``, so
``log p(a) = sum_l log softmax(logits[l])[a_l]``. The baseline ``b`` is any number that does not
depend on the sampled ``a``: subtracting it keeps the estimate unbiased and, when ``b`` is close
to the mean reward, makes it far less noisy. Implement, with torch tensors:

1. ``log_prob_grad(logits, actions) -> g``: ``logits`` is ``(L, K)`` float, ``actions`` is
   ``(N, L)`` int64 (one sampled architecture per row). Return ``g`` of shape ``(N, L, K)``:
   ``g[i] = grad_logits log p(actions[i])``, computed by hand (no autograd), finite for logits
   of ``+-1e4``.

2. ``reinforce_gradient(logits, actions, rewards, baseline) -> (L, K)``: ``rewards`` is ``(N,)``
   (``rewards[i]`` is the reward of ``actions[i]``) and ``baseline`` a float. Return the
   estimate ``(1/N) sum_i (rewards[i] - baseline) * g[i]`` of the gradient of the expected
   reward (the direction that **increases** it), in the dtype of ``logits``.

3. ``update_baseline(baseline, rewards, decay) -> float``: ENAS's moving-average baseline,
   ``decay * baseline + (1 - decay) * mean(rewards)``, a number (a Python float or a
   0-d tensor).

Do not modify the inputs. ``torch.distributions`` and autograd (``backward``,
``torch.autograd.grad``) are not allowed in this kata.

Example::

    >>> logits = torch.zeros(1, 2, dtype=torch.float64)       # one decision, two options, p = 1/2
    >>> actions = torch.tensor([[0], [1]])
    >>> log_prob_grad(logits, actions)
    tensor([[[ 0.5000, -0.5000]],
            [[-0.5000,  0.5000]]], dtype=torch.float64)
    >>> reinforce_gradient(logits, actions, torch.tensor([1.0, 0.0]), baseline=0.5)
    tensor([[ 0.2500, -0.2500]], dtype=torch.float64)       # push towards option 0
    >>> update_baseline(0.5, torch.tensor([1.0, 0.0]), decay=0.9)
    0.5
"""

from __future__ import annotations

import torch


def log_prob_grad(logits: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
    """Per-sample gradient of log p(actions[i]) with respect to logits: (N, L, K)."""
    raise NotImplementedError("log_prob_grad")


def reinforce_gradient(
    logits: torch.Tensor, actions: torch.Tensor, rewards: torch.Tensor, baseline: float
) -> torch.Tensor:
    """``mean_i (rewards[i] - baseline) * grad log p(actions[i])``: shape (L, K)."""
    raise NotImplementedError("reinforce_gradient")


def update_baseline(baseline: float, rewards: torch.Tensor, decay: float) -> float:
    """``decay * baseline + (1 - decay) * mean(rewards)``."""
    raise NotImplementedError("update_baseline")
