"""Activation layers: the functional activations as modules, to put in a Sequential."""

from __future__ import annotations

from typing import Any

from nn import functional as F
from nn.module import Module
from tinygrad_notes import Tensor


class ReLU(Module):
    """max(x, 0)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x)


class LeakyReLU(Module):
    """x where positive, negative_slope * x elsewhere."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Tanh(Module):
    """Hyperbolic tangent."""

    def forward(self, x: Tensor) -> Tensor:
        return F.tanh(x)


class Sigmoid(Module):
    """1 / (1 + exp(-x))."""

    def forward(self, x: Tensor) -> Tensor:
        return F.sigmoid(x)


class Softmax(Module):
    """Softmax along `axis` (the class axis, last by default)."""

    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        self.axis = axis

    def forward(self, x: Tensor) -> Tensor:
        return F.softmax(x, self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class LogSoftmax(Module):
    """log(softmax(x)) along `axis`, computed stably."""

    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        self.axis = axis

    def forward(self, x: Tensor) -> Tensor:
        return F.log_softmax(x, self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class _Activation(Module):
    """An elementwise activation with fixed parameters: forward is `fn(x, **params)` (nn.functional)."""

    fn: Any = None

    def __init__(self, **params: Any) -> None:
        super().__init__()
        self.params = params
        type(self).fn(Tensor(0.0), **params)  # bad parameters fail here, when the layer is built

    def forward(self, x: Tensor) -> Tensor:
        return type(self).fn(x, **self.params)

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.params.items())


class GELU(_Activation):
    """x * Phi(x) (exact, with erf), or its tanh approximation: GELU(approximate="tanh")."""

    fn = staticmethod(F.gelu)

    def __init__(self, approximate: str = "none") -> None:
        super().__init__(approximate=approximate)


class ELU(_Activation):
    """x for x > 0, alpha (e^x - 1) otherwise."""

    fn = staticmethod(F.elu)

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__(alpha=alpha)


class SELU(_Activation):
    """scale * elu(x, alpha) with the self-normalizing constants."""

    fn = staticmethod(F.selu)


class CELU(_Activation):
    """x for x > 0, alpha (e^(x / alpha) - 1) otherwise."""

    fn = staticmethod(F.celu)

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__(alpha=alpha)


class SiLU(_Activation):
    """x * sigmoid(x) (swish)."""

    fn = staticmethod(F.silu)


class Mish(_Activation):
    """x * tanh(softplus(x))."""

    fn = staticmethod(F.mish)


class ReLU6(_Activation):
    """min(max(x, 0), 6)."""

    fn = staticmethod(F.relu6)


class Hardtanh(_Activation):
    """x clamped to [min_val, max_val]."""

    fn = staticmethod(F.hardtanh)

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0) -> None:
        super().__init__(min_val=min_val, max_val=max_val)


class Hardsigmoid(_Activation):
    """relu6(x + 3) / 6."""

    fn = staticmethod(F.hardsigmoid)


class Hardswish(_Activation):
    """x * relu6(x + 3) / 6."""

    fn = staticmethod(F.hardswish)


class Softsign(_Activation):
    """x / (1 + |x|)."""

    fn = staticmethod(F.softsign)


class LogSigmoid(_Activation):
    """log(sigmoid(x)), stable."""

    fn = staticmethod(F.logsigmoid)


class Softplus(_Activation):
    """log(1 + exp(beta x)) / beta, linear where beta x > threshold."""

    fn = staticmethod(F.softplus)

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__(beta=beta, threshold=threshold)


class Softmin(Module):
    """softmax(-x) along `axis`."""

    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        self.axis = axis

    def forward(self, x: Tensor) -> Tensor:
        return F.softmin(x, self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"
