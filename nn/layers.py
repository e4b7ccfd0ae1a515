"""The basic layers: Linear (the affine map of every MLP), Identity and Flatten."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from nn import functional as F
from nn.init import get_initializer
from nn.module import Module
from nn.parameter import Parameter
from tinygrad_notes import Tensor, get_default_dtype


class Linear(Module):
    """y = x @ W.T + b with W of shape (out_features, in_features), as in PyTorch.

    `init` picks the weight initializer, by name ("he", "xavier", "glorot",
    "he_uniform", ... see `nn.init`) or as a function `f(weight, generator=None)`
    that fills it in place. The default is "he": W ~ N(0, 2 / in_features), the
    notes' choice for ReLU networks (it keeps the scale of ReLU activations from
    layer to layer); use "xavier" (Var = 1/n_in) before tanh. The bias starts at
    0, as in the notes (PyTorch draws it uniformly instead). `generator` seeds the
    draw; `dtype` defaults to the library's default float dtype.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 init: str | Callable[..., Any] = "he", generator: np.random.Generator | None = None,
                 dtype: Any = None) -> None:
        super().__init__()
        for name, size in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(size, (int, np.integer)) or size <= 0:
                raise ValueError(f"Linear: {name} must be a positive int, got {size!r}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        dt = get_default_dtype() if dtype is None else np.dtype(dtype)
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dtype=dt))
        get_initializer(init)(self.weight, generator=generator)
        self.bias = Parameter(np.zeros(self.out_features, dtype=dt)) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Identity(Module):
    """Returns its input: a placeholder where a layer is optional."""

    def forward(self, x: Tensor) -> Tensor:
        return x


class Flatten(Module):
    """Merge axes start_axis..end_axis (default: all but the batch axis), e.g. images (N, 28, 28) -> (N, 784)."""

    def __init__(self, start_axis: int = 1, end_axis: int = -1) -> None:
        super().__init__()
        self.start_axis, self.end_axis = start_axis, end_axis

    def forward(self, x: Tensor) -> Tensor:
        return x.flatten(self.start_axis, self.end_axis)

    def extra_repr(self) -> str:
        return f"start_axis={self.start_axis}, end_axis={self.end_axis}"
