"""L2 and L1 penalties over a model's weight matrices: the notes' regularization terms, added to the cost.

Which parameters are weights: those with 2 or more dimensions (W of a Linear
layer). Biases and batch norm's gamma and beta are 1-D and left out, as in the
notes ("biases usually left out"). The same rule applies whether a Module, an
iterable of tensors (`model.parameters()`) or one tensor is given; reshape a 1-D
weight vector to (1, n) if you want it penalized.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable

from nn.module import Module
from tinygrad_notes import Tensor, zeros

__all__ = ["l2_penalty", "l1_penalty", "weight_matrices"]


def weight_matrices(model_or_params: Module | Iterable[Tensor] | Tensor) -> list[Tensor]:
    """The tensors a penalty applies to: every parameter with ndim >= 2, each once."""
    if isinstance(model_or_params, Module):
        params: list = list(model_or_params.parameters())
    elif isinstance(model_or_params, Tensor):
        params = [model_or_params]
    else:
        params = list(model_or_params)
    seen: set[int] = set()
    weights = []
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"penalty: item {i} is a {type(p).__name__}, expected a Tensor (or pass the Module)")
        if p.ndim >= 2 and id(p) not in seen:
            seen.add(id(p))
            weights.append(p)
    return weights


def _scale(lambd: float, m: int, fn: str) -> float:
    if m <= 0:
        raise ValueError(f"{fn}: m is the number of training examples and must be positive, got {m}")
    if lambd < 0:
        raise ValueError(f"{fn}: lambd must be non-negative, got {lambd}")
    return lambd / (2 * m)


def _total(terms: list[Tensor]) -> Tensor:
    return functools.reduce(operator.add, terms) if terms else zeros(())


def l2_penalty(model_or_params: Module | Iterable[Tensor] | Tensor, lambd: float, m: int) -> Tensor:
    """(lambd / 2m) * sum_l ||W[l]||_F^2: the notes' L2 term. Its gradient adds (lambd / m) W to dW."""
    scale = _scale(lambd, m, "l2_penalty")
    return _total([(w * w).sum() for w in weight_matrices(model_or_params)]) * scale


def l1_penalty(model_or_params: Module | Iterable[Tensor] | Tensor, lambd: float, m: int) -> Tensor:
    """(lambd / 2m) * sum_l ||W[l]||_1 (the notes' L1 term): pushes weights to exactly 0 (sparse)."""
    scale = _scale(lambd, m, "l1_penalty")
    return _total([w.abs().sum() for w in weight_matrices(model_or_params)]) * scale
