"""The activation functions beyond relu/tanh/sigmoid, composed from engine ops (nn.functional re-exports them).

Definitions follow PyTorch's, including the value of the gradient at each kink (where the derivative
jumps): hardtanh, relu6, hardsigmoid pass no gradient at their bounds (the clamped side's slope, 0); elu,
celu and selu use the x <= 0 branch's slope at 0. Branches are picked with `where`, and the branch not
taken never sees an input that would overflow it (exp of a large x), so no NaN leaks into a gradient.
"""

from __future__ import annotations

import math
from typing import Any

from nn.fused import Softplus
from tinygrad_notes import Tensor, where

__all__ = [
    "gelu", "elu", "selu", "celu", "silu", "swish", "mish", "relu6", "hardtanh", "hardsigmoid", "hardswish",
    "softsign", "logsigmoid", "softplus", "softmin",
]

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x), Phi the standard normal CDF: 0.5 x (1 + erf(x / sqrt 2)); approximate="tanh" uses
    0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))), as in PyTorch."""
    x = _tensor(x)
    if approximate == "none":
        return x * 0.5 * (1 + (x * (1 / math.sqrt(2.0))).erf())
    if approximate == "tanh":
        return x * 0.5 * (1 + ((x + x * x * x * 0.044715) * SQRT_2_OVER_PI).tanh())
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    """x for x > 0, alpha (e^x - 1) otherwise."""
    x = _tensor(x)
    negative = where(x > 0, 0.0, x)  # exp sees no large positive x
    return where(x > 0, x, negative.expm1() * alpha)


def selu(x: Tensor) -> Tensor:
    """scale * elu(x, alpha) with the self-normalizing constants (scale 1.0507, alpha 1.6733)."""
    return elu(x, SELU_ALPHA) * SELU_SCALE


def celu(x: Tensor, alpha: float = 1.0) -> Tensor:
    """x for x > 0, alpha (e^(x / alpha) - 1) otherwise (continuously differentiable for any alpha)."""
    if alpha == 0:
        raise ValueError("celu: alpha must not be 0")
    x = _tensor(x)
    negative = where(x > 0, 0.0, x)
    return where(x > 0, x, (negative * (1.0 / alpha)).expm1() * alpha)


def silu(x: Tensor) -> Tensor:
    """x * sigmoid(x) (also called swish)."""
    x = _tensor(x)
    return x * x.sigmoid()


swish = silu


def mish(x: Tensor) -> Tensor:
    """x * tanh(softplus(x))."""
    x = _tensor(x)
    return x * Softplus.apply(x).tanh()


def hardtanh(x: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """x clamped to [min_val, max_val]; the gradient is 1 strictly inside and 0 at and beyond the bounds."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) must not exceed max_val ({max_val})")
    x = _tensor(x)
    return where(x <= min_val, min_val, where(x >= max_val, max_val, x))


def relu6(x: Tensor) -> Tensor:
    """min(max(x, 0), 6): hardtanh(x, 0, 6)."""
    return hardtanh(x, 0.0, 6.0)


def hardsigmoid(x: Tensor) -> Tensor:
    """0 below -3, 1 above 3, x / 6 + 1/2 between: relu6(x + 3) / 6."""
    return relu6(_tensor(x) + 3.0) * (1.0 / 6.0)


def hardswish(x: Tensor) -> Tensor:
    """x * hardsigmoid(x)."""
    x = _tensor(x)
    return x * hardsigmoid(x)


def softsign(x: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    x = _tensor(x)
    return x / (x.abs() + 1)


def logsigmoid(x: Tensor) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x), stable for any x."""
    return -Softplus.apply(-_tensor(x))


def softplus(x: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (PyTorch's defaults: 1 and 20).

    The log(1 + exp) is one fused op (nn/fused.py), exact at 0 and for large |x|.
    """
    x = _tensor(x)
    scaled = x * beta if beta != 1 else x
    smooth = Softplus.apply(scaled)
    if beta != 1:
        smooth = smooth * (1.0 / beta)
    return where(scaled > threshold, x, smooth)


def softmin(x: Tensor, axis: int = -1) -> Tensor:
    """softmax(-x) along `axis`: weights that favour the smallest entries."""
    return (-_tensor(x)).softmax(axis)
