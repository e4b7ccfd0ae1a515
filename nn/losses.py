"""Loss functions, composed from engine ops so their gradients are right by construction; stable by design.

Each takes `reduction`: 'mean' (the notes' J = (1/m) sum L), 'sum', or 'none'
(the per-example losses). Targets may be Tensors or numpy arrays; they are
differentiated too where the loss is differentiable in them (mse, probability
targets), like PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn.fused import Softplus
from tinygrad_notes import Tensor
from tinygrad_notes.errors import ShapeError

__all__ = ["mse_loss", "cross_entropy", "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits"]

BCE_EPS = 1e-12  # binary_cross_entropy clamps probabilities to >= this inside its logs: log(1e-12) = -27.6


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _check_reduction(reduction: str, fn: str) -> None:
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{fn}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _same_shape(input: Tensor, target: Tensor, fn: str) -> None:
    if input.shape != target.shape:
        raise ShapeError(f"{fn}: input of shape {input.shape} and target of shape {target.shape} must have the same "
                         "shape (no broadcasting, it hides bugs); reshape one of them")


def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """(input - target)^2, reduced."""
    _check_reduction(reduction, "mse_loss")
    input, target = _tensor(input), _tensor(target)
    _same_shape(input, target, "mse_loss")
    diff = input - target
    return _reduce(diff * diff, reduction)


def _class_indices(target: Any, input: Tensor, fn: str) -> np.ndarray | None:
    """The target as an int array when it holds class indices, None when it is a float (probability) target."""
    data = target.numpy() if isinstance(target, Tensor) else np.asarray(target)
    if data.dtype.kind == "f":
        return None
    if data.dtype.kind not in "iu":
        raise TypeError(f"{fn}: target must hold class indices (ints) or probabilities (floats), got {data.dtype}")
    classes = input.shape[-1]
    if data.shape != input.shape[:-1]:
        raise ShapeError(f"{fn}: for input of shape {input.shape} (batch, classes) the class-index target must have "
                         f"shape {input.shape[:-1]}, got {data.shape}")
    if data.size and (data.min() < 0 or data.max() >= classes):
        raise IndexError(f"{fn}: class indices must be in [0, {classes}) for {classes} classes, "
                         f"got values from {data.min()} to {data.max()}")
    return data


def _check_logits(input: Tensor, fn: str) -> None:
    if input.ndim not in (1, 2):
        raise ShapeError(f"{fn}: expected input of shape (batch, classes) or (classes,), got {input.shape}; "
                         "flatten the extra axes into the batch axis first")


def nll_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood: -input[i, target[i]] for log-probabilities `input` (batch, classes), reduced."""
    _check_reduction(reduction, "nll_loss")
    input = _tensor(input)
    _check_logits(input, "nll_loss")
    index = _class_indices(target, input, "nll_loss")
    if index is None:
        raise TypeError("nll_loss: target must hold class indices (ints); for probability targets use cross_entropy")
    return _pick_negated(input, index, reduction)


def _pick_negated(log_probs: Tensor, index: np.ndarray, reduction: str) -> Tensor:
    """-log_probs[i, index[i]], reduced (arguments already checked)."""
    picked = log_probs[index] if log_probs.ndim == 1 else log_probs[np.arange(log_probs.shape[0]), index]
    return -_reduce(picked, reduction)


def cross_entropy(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy of logits (batch, classes): -sum_j y_j log softmax(z)_j, reduced over the batch.

    `target` is class indices (ints, shape (batch,)) or one-hot/probability rows
    (floats, the input's shape). Computed through log_softmax, so it is stable
    for any logits; its gradient with respect to the logits is softmax(z) - y
    (divided by the batch size for 'mean'), the notes' dz = y_hat - y.
    """
    _check_reduction(reduction, "cross_entropy")
    input = _tensor(input)
    _check_logits(input, "cross_entropy")
    log_probs = input.log_softmax(-1)
    index = _class_indices(target, input, "cross_entropy")
    if index is not None:
        return _pick_negated(log_probs, index, reduction)
    target = _tensor(target)
    _same_shape(input, target, "cross_entropy")
    return _reduce(-(target * log_probs).sum(-1), reduction)


def binary_cross_entropy(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """-(y log p + (1 - y) log(1 - p)) for probabilities p in [0, 1], reduced.

    Both logs see their argument clamped to at least 1e-12, so p = 0 or 1 gives a
    finite loss (at most 27.6 per example) and no NaN; where the clamp holds, the
    loss is flat and its gradient is 0 (the exact derivative of what is
    computed). With a sigmoid output prefer `binary_cross_entropy_with_logits`,
    which stays accurate where the sigmoid saturates.
    """
    _check_reduction(reduction, "binary_cross_entropy")
    input, target = _tensor(input), _tensor(target)
    _same_shape(input, target, "binary_cross_entropy")
    p = input.data
    if p.size and (p.min() < 0 or p.max() > 1):
        raise ValueError(f"binary_cross_entropy: input must be probabilities in [0, 1], got values from {p.min()} "
                         f"to {p.max()}; for logits use binary_cross_entropy_with_logits")
    log_p = input.clip(lo=BCE_EPS).log()
    log_not_p = (1 - input).clip(lo=BCE_EPS).log()
    return _reduce(-(target * log_p + (1 - target) * log_not_p), reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of sigmoid(z) computed from the logits z: softplus(z) - z y.

    Equal to -(y log s(z) + (1 - y) log(1 - s(z))) (since -log s(z) = softplus(-z)
    and softplus(-z) = softplus(z) - z), but never overflows and stays exact for
    large |z|, where s(z) rounds to 0 or 1; its gradient is s(z) - y, exact at
    z = 0 too (see nn/fused.py for why softplus is one op).
    """
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    input, target = _tensor(input), _tensor(target)
    _same_shape(input, target, "binary_cross_entropy_with_logits")
    return _reduce(Softplus.apply(input) - input * target, reduction)
