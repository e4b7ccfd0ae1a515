"""Gradient clipping with PyTorch's names and semantics: a cap on exploding gradients, between backward and step.

    loss.backward()
    total = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)   # the norm before clipping
    opt.step()

Clipping bounds the step an exploding gradient can take; it does not make a deep network's
activations or gradients any better scaled (initialization does: `examples/vanishing_exploding.py`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from tinygrad_notes import Tensor


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> Tensor:
    """Scale all gradients together so that their joint norm is at most `max_norm`; return the norm before.

    The norm is taken over every gradient as if concatenated into one vector (‖g‖ over all
    parameters, not per parameter), so clipping keeps the gradient's direction. As in PyTorch: the
    gradients are multiplied in place by min(1, max_norm / (total_norm + 1e-6)); parameters without
    a gradient are skipped; `norm_type` may be any p > 0 or `inf` (the largest |g|); the total norm
    comes back as a 0-d float Tensor (0 when no parameter has a gradient); with
    `error_if_nonfinite=True` a NaN or infinite total norm raises instead of spreading into the
    weights.
    """
    max_norm, norm_type = float(max_norm), float(norm_type)
    if not max_norm >= 0:
        raise ValueError(f"clip_grad_norm_: max_norm must be a number >= 0, got {max_norm}")
    if not norm_type > 0:
        raise ValueError(f"clip_grad_norm_: norm_type must be > 0 (2 for the Euclidean norm) or inf, got {norm_type}")
    grads = _grads(parameters, "clip_grad_norm_")
    if not grads:
        return Tensor(np.array(0.0))
    if norm_type == math.inf:
        total = max((float(np.max(np.abs(g.data))) for g in grads if g.size), default=0.0)
    else:  # the p-norm of the per-parameter p-norms is the p-norm of all entries together
        per_param = [np.linalg.norm(g.data.reshape(-1).astype(np.float64), ord=norm_type) for g in grads]
        total = float(np.linalg.norm(np.array(per_param), ord=norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {total}; "
                           "a gradient holds NaN or inf, so clipping cannot fix it (look at the loss and the "
                           "learning rate), or pass error_if_nonfinite=False to scale anyway")
    coef = max_norm / (total + 1e-6)
    if not coef >= 1.0:  # a NaN total gives a NaN coefficient, as in PyTorch: every gradient becomes NaN
        for g in grads:
            data = g.inplace_data()
            data *= np.asarray(coef, dtype=data.dtype)
    return Tensor(np.array(total))


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient entry into [-clip_value, clip_value], in place (each entry on its own)."""
    clip_value = float(clip_value)
    if not clip_value >= 0:
        raise ValueError(f"clip_grad_value_: clip_value must be a number >= 0, got {clip_value}")
    for g in _grads(parameters, "clip_grad_value_"):
        data = g.inplace_data()
        np.clip(data, -clip_value, clip_value, out=data)


def _grads(parameters: Any, where: str) -> list[Tensor]:
    """The gradients of the parameters that have one (read through .data, written through inplace_data())."""
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    out = []
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"{where}: parameter {i} is a {type(p).__name__}, not a Tensor; pass a Tensor, "
                            "model.parameters() or a list of Tensors")
        if p.grad is not None:
            out.append(p.grad)
    return out
