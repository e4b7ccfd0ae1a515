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
    if not isinstance(reduction, str):  # PyTorch's third positional argument is the class weight
        raise ValueError(f"{fn}: reduction must be 'mean', 'sum' or 'none', got a {type(reduction).__name__}; "
                         "class weights go in weight=... (a keyword, as are ignore_index and label_smoothing)")
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


def _classes_last(input: Tensor, fn: str) -> Tensor:
    """Logits or log-probabilities with the class axis last: (C,), (N, C), or (N, C, d1, ...) as (N, d1, ..., C)."""
    if input.ndim == 0:
        raise ShapeError(f"{fn}: expected input of shape (classes,), (batch, classes) or (batch, classes, d1, ...), "
                         "got a 0-d tensor")
    if input.ndim <= 2:
        return input
    return input.transpose((0, *range(2, input.ndim), 1))


def _layout(input: Tensor) -> str:
    return {1: "(classes,)", 2: "(batch, classes)"}.get(input.ndim, "(batch, classes, d1, ...)")


def _class_indices(target: Any, fn: str) -> np.ndarray | None:
    """The target as an int array when it holds class indices, None when it is a float (probability) target."""
    data = target.numpy() if isinstance(target, Tensor) else np.asarray(target)
    if data.dtype.kind == "f":
        return None
    if data.dtype.kind not in "iu":
        raise TypeError(f"{fn}: target must hold class indices (ints) or probabilities (floats), got {data.dtype}")
    return data


def _check_indices(data: np.ndarray, classes_last: Tensor, original: Tensor, fn: str, ignore_index: int) -> None:
    expected = classes_last.shape[:-1]
    if data.shape != expected:
        raise ShapeError(f"{fn}: for input of shape {original.shape} {_layout(original)} the class-index target "
                         f"must have shape {expected}, got {data.shape}")
    classes = classes_last.shape[-1]
    kept = data[data != ignore_index]
    if kept.size and (kept.min() < 0 or kept.max() >= classes):
        raise IndexError(f"{fn}: class indices must be in [0, {classes}) for {classes} classes (or equal "
                         f"ignore_index={ignore_index}), got values from {kept.min()} to {kept.max()}")


def _class_weights(weight: Any, classes: int, fn: str) -> np.ndarray | None:
    if weight is None:
        return None
    w = np.asarray(weight.numpy() if isinstance(weight, Tensor) else weight)
    if w.shape != (classes,):
        raise ShapeError(f"{fn}: weight must have one entry per class, shape ({classes},), got {w.shape}")
    return w


def nll_loss(input: Tensor, target: Any, reduction: str = "mean", *, weight: Any = None,
             ignore_index: int = -100) -> Tensor:
    """Negative log-likelihood: -w[y] * input[..., y] for log-probabilities, reduced (PyTorch's options).

    input (C,), (N, C) or (N, C, d1, ...) with target (), (N,) or (N, d1, ...); `weight` (C,) scales each
    class (a constant); targets equal to `ignore_index` add nothing. 'mean' divides by the summed weights
    of the targets that count (their number without `weight`).
    """
    _check_reduction(reduction, "nll_loss")
    input = _tensor(input)
    log_probs = _classes_last(input, "nll_loss")
    index = _class_indices(target, "nll_loss")
    if index is None:
        raise TypeError("nll_loss: target must hold class indices (ints); for probability targets use cross_entropy")
    _check_indices(index, log_probs, input, "nll_loss", ignore_index)
    weights = _class_weights(weight, log_probs.shape[-1], "nll_loss")
    losses, counts = _picked_losses(log_probs, index, weights, ignore_index)
    return _reduce_weighted(losses, counts, reduction)


def _picked_losses(log_probs: Tensor, index: np.ndarray, weights: np.ndarray | None,
                   ignore_index: int) -> tuple[Tensor, np.ndarray | None]:
    """(-w[y] log p[..., y] per element, the weight each element counts with), or None for all ones."""
    valid = index != ignore_index
    everything_counts = weights is None and bool(valid.all())
    # With nothing ignored, index with the target exactly as given (no array derived from it): a compiled
    # step (tinygrad_notes.compile) then reads each call's labels instead of freezing the first call's.
    safe = index if everything_counts else np.where(valid, index, 0)
    if log_probs.ndim == 1:
        picked = log_probs[safe]
    elif log_probs.ndim == 2:
        picked = log_probs[np.arange(log_probs.shape[0]), safe]
    else:
        rows = log_probs.reshape(-1, log_probs.shape[-1])
        picked = rows[np.arange(rows.shape[0]), safe.reshape(-1)].reshape(safe.shape)
    if everything_counts:
        return -picked, None
    counts = (weights[safe] if weights is not None else np.ones(safe.shape)) * valid
    return -picked * counts.astype(log_probs.dtype, copy=False), counts


def _reduce_weighted(losses: Tensor, counts: np.ndarray | None, reduction: str) -> Tensor:
    """'mean' divides by the summed counts (PyTorch's weighted mean), the others as _reduce."""
    if reduction == "mean" and counts is not None:
        return losses.sum() / float(counts.sum())
    return _reduce(losses, reduction)


def cross_entropy(input: Tensor, target: Any, reduction: str = "mean", *, weight: Any = None,
                  ignore_index: int = -100, label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of logits: -sum_j y_j log softmax(z)_j, reduced over the batch (PyTorch's options).

    input (C,), (N, C) or (N, C, d1, ...) (the class axis second, as in PyTorch). `target` is class indices
    (ints, the input's shape without the class axis) or probability rows (floats, the input's shape).
    Computed through log_softmax, so stable for any logits; the gradient in the logits is softmax(z) - y
    (divided by the batch size for 'mean'), the notes' dz = y_hat - y.

    `weight` (C,) scales each class's loss; class-index targets equal to `ignore_index` add nothing, and
    'mean' then divides by the summed weights of the targets that count. `label_smoothing` eps mixes the
    target with the uniform distribution: (1 - eps) y + eps / C.
    """
    _check_reduction(reduction, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    input = _tensor(input)
    logits = _classes_last(input, "cross_entropy")
    log_probs = logits.log_softmax(-1)
    classes = logits.shape[-1]
    weights = _class_weights(weight, classes, "cross_entropy")
    index = _class_indices(target, "cross_entropy")
    if index is not None:
        _check_indices(index, logits, input, "cross_entropy", ignore_index)
        losses, counts = _picked_losses(log_probs, index, weights, ignore_index)
        if label_smoothing:
            weighted = log_probs * weights.astype(log_probs.dtype) if weights is not None else log_probs
            smooth = -weighted.sum(-1) * (index != ignore_index)  # -sum_c w_c log p_c, 0 where ignored
            losses = losses * (1 - label_smoothing) + smooth * (label_smoothing / classes)
            if counts is None:
                counts = np.ones(index.shape)
        return _reduce_weighted(losses, counts, reduction)
    target = _classes_last(_tensor(target), "cross_entropy") if _tensor(target).ndim > 2 else _tensor(target)
    _same_shape(logits, target, "cross_entropy")
    if label_smoothing:
        target = target * (1 - label_smoothing) + label_smoothing / classes
    weighted = log_probs * weights.astype(log_probs.dtype) if weights is not None else log_probs
    return _reduce(-(target * weighted).sum(-1), reduction)


def _elementwise_weight(weight: Any, input: Tensor, fn: str, name: str = "weight") -> Tensor | None:
    """A constant that scales the per-element losses; it must broadcast to the input's shape."""
    if weight is None:
        return None
    w = weight if isinstance(weight, Tensor) else Tensor(np.asarray(weight, dtype=input.dtype))
    try:
        np.broadcast_shapes(w.shape, input.shape)
    except ValueError:
        raise ShapeError(f"{fn}: {name} of shape {w.shape} does not broadcast to the input's shape {input.shape}") \
            from None
    return w


def binary_cross_entropy(input: Tensor, target: Any, reduction: str = "mean", *, weight: Any = None) -> Tensor:
    """-w (y log p + (1 - y) log(1 - p)) for probabilities p in [0, 1], reduced.

    Both logs see their argument clamped to at least 1e-12, so p = 0 or 1 gives a
    finite loss (at most 27.6 per example) and no NaN; where the clamp holds, the
    loss is flat and its gradient is 0 (the exact derivative of what is
    computed). `weight` scales each element's loss (it broadcasts to the input).
    With a sigmoid output prefer `binary_cross_entropy_with_logits`,
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
    losses = -(target * log_p + (1 - target) * log_not_p)
    w = _elementwise_weight(weight, input, "binary_cross_entropy")
    return _reduce(losses * w if w is not None else losses, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Any, reduction: str = "mean", *, weight: Any = None,
                                     pos_weight: Any = None) -> Tensor:
    """Binary cross-entropy of sigmoid(z) computed from the logits z: softplus(z) - z y.

    Equal to -(y log s(z) + (1 - y) log(1 - s(z))) (since -log s(z) = softplus(-z)
    and softplus(-z) = softplus(z) - z), but never overflows and stays exact for
    large |z|, where s(z) rounds to 0 or 1; its gradient is s(z) - y, exact at
    z = 0 too (see nn/fused.py for why softplus is one op).

    `pos_weight` p (one per class, broadcast along the last axis) weighs the positive term:
    -(p y log s(z) + (1 - y) log(1 - s(z))) = (1 - y + p y) softplus(z) - p y z; p > 1 favours recall.
    `weight` scales each element's loss.
    """
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    input, target = _tensor(input), _tensor(target)
    _same_shape(input, target, "binary_cross_entropy_with_logits")
    softplus = Softplus.apply(input)
    pw = _elementwise_weight(pos_weight, input, "binary_cross_entropy_with_logits", "pos_weight")
    if pw is None:
        losses = softplus - input * target
    else:
        positive = target * pw
        losses = (1 - target + positive) * softplus - positive * input
    w = _elementwise_weight(weight, input, "binary_cross_entropy_with_logits")
    return _reduce(losses * w if w is not None else losses, reduction)
