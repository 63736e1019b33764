"""The batch-norm family: layer, instance and group normalisation (forward pass).

Source question: Q10: BN 的缺点及其衍生的特性 (s001-10; also s000-12).

In batch norm a sample's output depends on the other samples it was batched with. The three
layers below compute every mean and variance from one sample alone: a sample is normalised the
same way whatever batch it arrives in, training and inference run the same code, and there is
nothing to remember between calls. They differ only in which values share one mean and variance:

* ``layer_norm(x, gamma, beta, eps)``: one mean/variance per sample, over every axis except the
  batch axis 0. ``x`` is ``(N, D)`` or ``(N, C, H, W)``. ``gamma`` and ``beta`` have the shape
  ``x.shape[1:]`` (one value per element of a sample, as torch's ``layer_norm`` with
  ``normalized_shape = x.shape[1:]``).
* ``instance_norm(x, gamma, beta, eps)``: one mean/variance per (sample, channel), over the
  spatial axes ``H, W``. ``x`` is ``(N, C, H, W)``; ``gamma`` and ``beta`` have shape ``(C,)``.
* ``group_norm(x, num_groups, gamma, beta, eps)``: the ``C`` channels are split into
  ``G = num_groups`` groups of ``C // G`` *consecutive* channels -- channels ``0 .. C/G - 1`` form
  group 0, the next ``C/G`` form group 1, and so on (torch's convention). One mean/variance per
  (sample, group), over the group's channels and ``H, W``. ``x`` is ``(N, C, H, W)``; ``gamma``
  and ``beta`` have shape ``(C,)``: the scale and shift stay per *channel*, not per group. Raise
  ``ValueError`` when ``C`` is not divisible by ``num_groups``.

In all three, ``out = gamma * (x - mean) / sqrt(var + eps) + beta`` where:

* ``var`` is the *biased* variance (divide by the number of values that share the statistic);
* ``eps`` goes *inside* the square root;
* ``gamma=None`` / ``beta=None`` mean no scale / no shift (the same as ones / zeros).

Conventions:

* The output has the shape and the dtype of ``x`` (float32 or float64).
* Do not modify any input array in place; return new arrays.
* Write it with NumPy (or basic torch tensor operations). torch's ``layer_norm``,
  ``instance_norm`` and ``group_norm`` functions (including ``torch.native_layer_norm`` and
  ``torch.native_group_norm``) and the ``LayerNorm``, ``InstanceNorm2d`` and ``GroupNorm``
  modules are not allowed in this kata.

Example (no affine, ``eps=0``)::

    >>> x = np.array([[1.0, 3.0], [10.0, 30.0]])         # N=2 samples, D=2 features
    >>> layer_norm(x, eps=0.0)                           # each row: mean and deviation of its own
    array([[-1.,  1.],
           [-1.,  1.]])
    >>> x = np.arange(4.0).reshape(1, 4, 1, 1)           # channels 0, 1, 2, 3; one pixel each
    >>> group_norm(x, 2, eps=0.0).ravel()                # groups {0, 1} and {2, 3}
    array([-1.,  1., -1.,  1.])
"""

from __future__ import annotations

import numpy as np


def layer_norm(
    x: np.ndarray,
    gamma: np.ndarray | None = None,
    beta: np.ndarray | None = None,
    eps: float = 1e-5,
) -> np.ndarray:
    """Normalise each sample of ``x`` ((N, D) or (N, C, H, W)) over all of its values.

    ``gamma`` and ``beta``: shape ``x.shape[1:]`` or None. Returns an array shaped like ``x``.
    """
    # TODO: one mean and one variance per sample, then scale and shift.
    raise NotImplementedError("layer_norm")


def instance_norm(
    x: np.ndarray,
    gamma: np.ndarray | None = None,
    beta: np.ndarray | None = None,
    eps: float = 1e-5,
) -> np.ndarray:
    """Normalise each channel of each sample of ``x`` ((N, C, H, W)) over its pixels.

    ``gamma`` and ``beta``: shape ``(C,)`` or None. Returns an array shaped like ``x``.
    """
    # TODO: one mean and one variance per (sample, channel), then a per-channel scale and shift.
    raise NotImplementedError("instance_norm")


def group_norm(
    x: np.ndarray,
    num_groups: int,
    gamma: np.ndarray | None = None,
    beta: np.ndarray | None = None,
    eps: float = 1e-5,
) -> np.ndarray:
    """Normalise each group of consecutive channels of each sample of ``x`` ((N, C, H, W)).

    ``gamma`` and ``beta``: shape ``(C,)`` or None. Returns an array shaped like ``x``.
    Raises ``ValueError`` when ``C`` is not divisible by ``num_groups``.
    """
    # TODO: check the grouping, one mean and one variance per (sample, group), then a
    # per-channel scale and shift.
    raise NotImplementedError("group_norm")
