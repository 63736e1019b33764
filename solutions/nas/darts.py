"""Reference solution: DARTS mixed operation, its alpha gradient, and the discrete derivation."""

from __future__ import annotations

import torch


def _softmax(alpha: torch.Tensor) -> torch.Tensor:
    # Shift by the max so that logits of +-1e4 neither overflow nor underflow to 0/0.
    shifted = alpha - alpha.max(dim=-1, keepdim=True).values
    e = torch.exp(shifted)
    return e / e.sum(dim=-1, keepdim=True)


def mixed_op(alpha: torch.Tensor, op_outputs: torch.Tensor) -> torch.Tensor:
    weights = _softmax(alpha)
    # One weight per candidate, broadcast over the rest of the op output's shape.
    return torch.tensordot(weights, op_outputs, dims=([0], [0]))


def mixed_op_alpha_grad(
    alpha: torch.Tensor, op_outputs: torch.Tensor, grad_out: torch.Tensor
) -> torch.Tensor:
    p = _softmax(alpha)
    # dL/dp_k = <o_k, g>; the softmax Jacobian turns it into p_k (s_k - sum_j p_j s_j).
    s = (op_outputs * grad_out.unsqueeze(0)).reshape(op_outputs.shape[0], -1).sum(dim=1)
    return p * (s - (p * s).sum())


def derive_cell(
    alpha: torch.Tensor, op_names: list[str], steps: int
) -> list[list[tuple[str, int]]]:
    expected_edges = sum(node + 2 for node in range(steps))
    if alpha.shape[0] != expected_edges:
        raise ValueError(f"{steps} nodes need {expected_edges} edges, alpha has {alpha.shape[0]}")
    weights = _softmax(alpha)
    non_zero = [k for k, name in enumerate(op_names) if name != "none"]
    cell = []
    start = 0
    for node in range(steps):
        n_inputs = node + 2
        block = weights[start : start + n_inputs]
        start += n_inputs
        # An edge is as strong as its best non-zero op; the zero op never counts.
        strength = [max(float(block[j, k]) for k in non_zero) for j in range(n_inputs)]
        # sorted() is stable: equal strengths keep the lower input index first.
        chosen = sorted(range(n_inputs), key=lambda j: -strength[j])[:2]
        genes = []
        for j in chosen:
            best = max(non_zero, key=lambda k: (float(block[j, k]), -k))
            genes.append((op_names[best], j))
        cell.append(genes)
    return cell
