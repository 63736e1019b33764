"""Mutant of conv/output_size: conv rounds the last partial window up (ceil)."""

from __future__ import annotations

from collections.abc import Sequence


def _check(W: int, K: int, S: int, P: int, D: int) -> None:
    if W < 1 or K < 1 or S < 1 or D < 1:
        raise ValueError(f"W, K, S, D must be >= 1, got W={W}, K={K}, S={S}, D={D}")
    if P < 0:
        raise ValueError(f"padding must be >= 0, got {P}")


def _span(K: int, D: int) -> int:
    # D - 1 holes between each pair of the K taps: the dilated kernel covers D*(K-1)+1 positions.
    return D * (K - 1) + 1


def conv_output_size(W: int, K: int, S: int = 1, P: int = 0, D: int = 1) -> int:
    _check(W, K, S, P, D)
    room = W + 2 * P - _span(K, D)  # how far the window start can travel
    if room < 0:
        raise ValueError(f"a kernel spanning {_span(K, D)} does not fit in {W} + 2*{P}")
    return -(-room // S) + 1


def pool_output_size(
    W: int, K: int, S: int | None = None, P: int = 0, D: int = 1, ceil_mode: bool = False
) -> int:
    S = K if S is None else S
    _check(W, K, S, P, D)
    if P > K // 2:
        raise ValueError(f"pooling padding {P} is more than half the kernel size {K}")
    room = W + 2 * P - _span(K, D)
    out = (room + (S - 1 if ceil_mode else 0)) // S + 1
    # ceil_mode may add a window that starts in the right padding: torch drops it.
    if ceil_mode and (out - 1) * S >= W + P:
        out -= 1
    if out < 1:
        raise ValueError(f"pooling output length {out} for W={W}, K={K}, S={S}, P={P}, D={D}")
    return out


def conv_transpose_output_size(
    W: int, K: int, S: int = 1, P: int = 0, D: int = 1, output_padding: int = 0
) -> int:
    _check(W, K, S, P, D)
    if not 0 <= output_padding < max(S, D):
        raise ValueError(f"output_padding must be in [0, max(S, D)), got {output_padding}")
    # The conv's rule solved for its input: W_out = (W - 1) * S - 2P + span, plus the
    # output_padding rows that the floor of the forward conv could have dropped.
    out = (W - 1) * S - 2 * P + _span(K, D) + output_padding
    if out < 1:
        raise ValueError(f"transposed conv output length {out} is below 1")
    return out


def receptive_field(layers: Sequence[tuple[int, ...]]) -> int:
    field, jump = 1, 1  # jump: distance in input positions between neighbouring units
    for layer in layers:
        K, S, D = (*layer, 1) if len(layer) == 2 else layer
        if K < 1 or S < 1 or D < 1:
            raise ValueError(f"invalid layer {layer}")
        # Each extra tap reaches `jump` input positions further; the stride then widens the
        # jump for the layers above, so it is applied after.
        field += D * (K - 1) * jump
        jump *= S
    return field
