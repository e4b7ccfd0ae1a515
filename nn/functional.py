"""The functional API: every layer's computation as a function of tensors, composed from engine ops.

Layers (`nn.Linear`, `nn.Dropout`, ...) hold parameters and call these. Each is
a short composition of primitives, so its gradient is right when theirs are, and
each has an entry in the op registry (`nn/opinfo.py`) that gradient-checks it.
Axes follow numpy's names (`axis`), like the engine.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn import fused
from nn.activation_functions import (
    celu,
    elu,
    gelu,
    hardsigmoid,
    hardswish,
    hardtanh,
    logsigmoid,
    mish,
    relu6,
    selu,
    silu,
    softmin,
    softplus,
    softsign,
    swish,
)
from nn.conv_functions import avg_pool2d, conv2d, conv_transpose2d, max_pool2d, one_hot
from nn.losses import binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, mse_loss, nll_loss
from tinygrad_notes import Tensor
from tinygrad_notes.errors import ShapeError
from tinygrad_notes.random import draw

__all__ = [
    "relu", "leaky_relu", "tanh", "sigmoid", "softplus", "softmax", "log_softmax", "linear", "dropout", "batch_norm",
    "mse_loss", "cross_entropy", "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "gelu", "elu", "selu", "celu", "silu", "swish", "mish", "relu6", "hardtanh", "hardsigmoid", "hardswish",
    "softsign", "logsigmoid", "softmin", "conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d", "one_hot",
]


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


# ---- activations ---------------------------------------------------------------------------
def relu(x: Tensor) -> Tensor:
    """max(x, 0); the gradient at 0 is 0, like PyTorch."""
    return _tensor(x).relu()


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x where positive, negative_slope * x elsewhere."""
    return _tensor(x).leaky_relu(negative_slope)


def tanh(x: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return _tensor(x).tanh()


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + exp(-x)), without overflow."""
    return _tensor(x).sigmoid()


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along `axis`, shifted by the max (stable)."""
    return _tensor(x).softmax(axis)


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """x - logsumexp(x) along `axis` (stable; exact where softmax underflows)."""
    return _tensor(x).log_softmax(axis)


# ---- layers ------------------------------------------------------------------------------
def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weight.T + bias, with weight laid out (out_features, in_features) as in PyTorch.

    x may be one example (in,), a batch (N, in) or have more leading axes. One
    fused op (nn/fused.py) rather than transpose, matmul and add: the benchmark
    asked for it.
    """
    x = _tensor(x)
    w_shape = np.shape(weight) if not isinstance(weight, Tensor) else weight.shape
    if x.ndim == 0 or len(w_shape) != 2 or x.shape[-1] != w_shape[1]:
        raise ShapeError(
            f"linear: input of shape {x.shape} does not fit a weight of shape {w_shape} "
            f"(out_features, in_features): the input's last axis must have as many features as the weight's columns"
        )
    if bias is None:
        return fused.Linear.apply(x, weight)
    b_shape = np.shape(bias) if not isinstance(bias, Tensor) else bias.shape
    if b_shape != (w_shape[0],):
        raise ShapeError(f"linear: bias of shape {b_shape} does not fit a weight of shape {w_shape}; "
                         f"it must have shape ({w_shape[0]},)")
    return fused.Linear.apply(x, weight, bias)


def _check_p(p: float, fn: str) -> None:
    if not 0 <= p < 1:
        raise ValueError(f"{fn}: p is the probability of dropping a unit and must be in [0, 1), got {p} "
                         f"(keep_prob = 1 - p; p = 1 would drop everything)")


def dropout(x: Tensor, p: float = 0.5, training: bool = True, generator: np.random.Generator | None = None) -> Tensor:
    """Inverted dropout: keep each unit with probability 1 - p and scale the kept ones by 1/(1 - p).

    The expected value of every unit is unchanged, so nothing changes at test
    time (`training=False` returns x). The mask is drawn through
    `tinygrad_notes.random.draw`, so `frozen_randomness()` replays it and a
    gradient check sees one fixed function.
    """
    _check_p(p, "dropout")
    x = _tensor(x)
    if not training or p == 0:
        return x
    keep = 1.0 - p
    mask = draw(lambda rng: rng.random(x.shape) < keep, generator)
    if mask.shape != x.shape:  # only possible when frozen_randomness replays a draw made for another call
        raise ShapeError(f"dropout: the replayed mask has shape {mask.shape} but the input has shape {x.shape}; "
                         "inside frozen_randomness() every evaluation must make the same draws in the same order")
    return x * (mask * (1.0 / keep)).astype(x.dtype, copy=False)  # d/dx = mask / keep


def batch_norm(x: Tensor, running_mean: Tensor | None = None, running_var: Tensor | None = None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalization over the batch axis (and the length axis of an (N, C, L) input).

    Training: z_norm = (z - mu) / sqrt(sigma^2 + eps) with the mini-batch mean and
    *biased* variance (the notes' formulas), then gamma * z_norm + beta; given
    running statistics are updated in place (PyTorch's convention):
    running = (1 - momentum) * running + momentum * batch, where the running
    variance takes the *unbiased* batch variance (times n / (n - 1)), as PyTorch
    does. Evaluation (`training=False`): normalize with the running statistics,
    which works for any batch size, 1 included.
    """
    x = _tensor(x)
    if x.ndim not in (2, 3):
        raise ShapeError(f"batch_norm: expected an input of shape (N, C) or (N, C, L), got {x.shape}")
    axes = (0,) if x.ndim == 2 else (0, 2)
    channels = x.shape[1]
    stat_shape = (channels,) if x.ndim == 2 else (channels, 1)
    if training:
        count = x.size // channels if channels else 0
        if count < 2:
            raise ValueError(
                f"batch_norm: training needs more than one value per feature to estimate a variance, got an "
                f"input of shape {x.shape}; use a batch of at least 2, or call .eval() to use the running statistics"
            )
        centered = x - x.mean(axes, keepdims=True)
        var = (centered * centered).mean(axes, keepdims=True)  # biased: (1/m) sum (z - mu)^2
        normalized = centered / (var + eps).sqrt()
        if running_mean is not None:
            _update_running(running_mean, x.data.mean(axis=axes), momentum)
        if running_var is not None:
            _update_running(running_var, var.data.reshape(channels) * (count / (count - 1)), momentum)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: evaluation (training=False) needs running_mean and running_var")
        mean = running_mean.data.reshape(stat_shape).astype(x.dtype)
        inv_std = (1.0 / np.sqrt(running_var.data.reshape(stat_shape) + eps)).astype(x.dtype)
        normalized = (x - mean) * inv_std  # constants: the running statistics are not learned
    if weight is not None:
        normalized = normalized * (weight.reshape(stat_shape) if x.ndim == 3 else weight)
    if bias is not None:
        normalized = normalized + (bias.reshape(stat_shape) if x.ndim == 3 else bias)
    return normalized


def _update_running(running: Tensor, batch_value: np.ndarray, momentum: float) -> None:
    """running <- (1 - momentum) * running + momentum * batch_value, in place (outside the graph)."""
    data = running.inplace_data()
    data *= 1.0 - momentum
    data += momentum * batch_value.astype(data.dtype, copy=False)
