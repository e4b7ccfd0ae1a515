"""Batch normalization (BatchNorm1d): the notes' recipe with PyTorch's conventions for the running statistics."""

from __future__ import annotations

from typing import Any

import numpy as np

from nn import functional as F
from nn.module import Module
from nn.parameter import Parameter
from tinygrad_notes import Tensor, get_default_dtype
from tinygrad_notes.errors import ShapeError


class BatchNorm1d(Module):
    """Normalize each feature over the mini-batch, then scale by gamma (`weight`) and shift by beta (`bias`).

    Input (N, C), or (N, C, L) normalized over N and L. In training mode it uses
    the mini-batch mean and biased variance (the notes' formulas) and updates the
    running statistics that eval mode uses instead (the notes' test-time recipe),
    so eval works for any batch size, 1 included; training on one value per
    feature raises, since no variance can be estimated from it.

    The momentum convention is PyTorch's:
    `running = (1 - momentum) * running + momentum * batch_statistic`. The notes'
    exponentially weighted average `v = beta * v + (1 - beta) * theta` is the same
    thing with beta = 1 - momentum: momentum=0.1 is beta = 0.9, an average over
    about the last 10 mini-batches. `momentum=None` takes the plain cumulative
    average instead (momentum = 1 / number of batches seen).

    Which variance is averaged: training normalizes with the *biased* batch
    variance, the notes' σ² = (1/m) Σ (z − μ)², but the running variance (PyTorch's
    convention) averages the *unbiased* one, (1/(m − 1)) Σ (z − μ)² = σ² · m/(m − 1)
    with m the values per feature in the batch. So the test-time σ² is the notes'
    EWMA of the mini-batch σ² times m/(m − 1): about 1.6% larger for batches of
    64, an unbiased estimate of the population variance, and the same as the notes'
    for large batches. The running mean starts at 0 and the variance at 1, without
    the EWMA's bias correction (after 50 batches at momentum 0.1 the start weighs
    0.9^50 ≈ 0.5%).

    Buffers `running_mean`, `running_var` and `num_batches_tracked` are in the
    state_dict. `affine=False` drops gamma and beta; `track_running_stats=False`
    keeps no running statistics and uses batch statistics in eval mode too.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, dtype: Any = None) -> None:
        super().__init__()
        if not isinstance(num_features, (int, np.integer)) or num_features <= 0:
            raise ValueError(f"BatchNorm1d: num_features must be a positive int, got {num_features!r}")
        if momentum is not None and not 0 <= momentum <= 1:
            raise ValueError(f"BatchNorm1d: momentum must be in [0, 1] (or None), got {momentum}")
        dt = get_default_dtype() if dtype is None else np.dtype(dtype)
        self.num_features, self.eps, self.momentum = int(num_features), eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight = Parameter(np.ones(self.num_features, dtype=dt)) if affine else None
        self.bias = Parameter(np.zeros(self.num_features, dtype=dt)) if affine else None
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(self.num_features, dtype=dt)))
            self.register_buffer("running_var", Tensor(np.ones(self.num_features, dtype=dt)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim not in (2, 3) or x.shape[1] != self.num_features:
            raise ShapeError(f"BatchNorm1d: expected input of shape (N, {self.num_features}) or "
                             f"(N, {self.num_features}, L), got {x.shape}")
        tracking = self.training and self.track_running_stats
        momentum = self.momentum
        if tracking and momentum is None:  # cumulative average over every batch seen, this one included
            momentum = 1.0 / (int(self.num_batches_tracked.item()) + 1)
        out = F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                           training=self.training or not self.track_running_stats,
                           momentum=momentum or 0.0, eps=self.eps)
        if tracking:
            self.num_batches_tracked.inplace_data()[...] += 1
        return out

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")
