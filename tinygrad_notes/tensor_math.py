"""Tensor's elementwise math beyond the core ops: a family of methods Tensor takes (tensor.py).

Differentiable: trigonometric, hyperbolic and their inverses, log2/log10/log1p, exp2/expm1, rsqrt, erf,
reciprocal (primitives in primitives_math.py, each with its derivative beside it). Not differentiable
(constants, like `sign`): floor, ceil, round, trunc (piecewise constant: the derivative is 0 wherever it
exists) and the tests isnan, isinf, isfinite, isclose (bool tensors). Names follow numpy (arcsin, not asin).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_notes import primitives_math as M
from tinygrad_notes.tensor import Tensor, _make


def _constant(value: Any) -> Tensor:
    return _make(np.asarray(value), False, None)


class MathOps:
    """The elementwise math methods (tensor.py makes them methods of Tensor)."""

    def __abs__(self: Tensor) -> Tensor:
        """abs(t): |t|, the same op as t.abs()."""
        return self.abs()

    def tan(self: Tensor) -> Tensor:
        """Tangent."""
        return M.Tan.apply(self)

    def arcsin(self: Tensor) -> Tensor:
        """Inverse sine (PyTorch's asin), for |x| <= 1; the slope is infinite at +-1."""
        return M.Arcsin.apply(self)

    def arccos(self: Tensor) -> Tensor:
        """Inverse cosine (PyTorch's acos), for |x| <= 1; the slope is infinite at +-1."""
        return M.Arccos.apply(self)

    def arctan(self: Tensor) -> Tensor:
        """Inverse tangent (PyTorch's atan)."""
        return M.Arctan.apply(self)

    def sinh(self: Tensor) -> Tensor:
        """Hyperbolic sine."""
        return M.Sinh.apply(self)

    def cosh(self: Tensor) -> Tensor:
        """Hyperbolic cosine."""
        return M.Cosh.apply(self)

    def arcsinh(self: Tensor) -> Tensor:
        """Inverse hyperbolic sine (PyTorch's asinh)."""
        return M.Arcsinh.apply(self)

    def arccosh(self: Tensor) -> Tensor:
        """Inverse hyperbolic cosine (PyTorch's acosh), for x >= 1; the slope is infinite at 1."""
        return M.Arccosh.apply(self)

    def arctanh(self: Tensor) -> Tensor:
        """Inverse hyperbolic tangent (PyTorch's atanh), for |x| < 1."""
        return M.Arctanh.apply(self)

    def log2(self: Tensor) -> Tensor:
        """Base-2 log (exact at powers of 2, unlike log(x) / log(2))."""
        return M.Log2.apply(self)

    def log10(self: Tensor) -> Tensor:
        """Base-10 log."""
        return M.Log10.apply(self)

    def log1p(self: Tensor) -> Tensor:
        """log(1 + x), accurate for tiny x."""
        return M.Log1p.apply(self)

    def exp2(self: Tensor) -> Tensor:
        """2 ** x."""
        return M.Exp2.apply(self)

    def expm1(self: Tensor) -> Tensor:
        """e ** x - 1, accurate for tiny x."""
        return M.Expm1.apply(self)

    def rsqrt(self: Tensor) -> Tensor:
        """1 / sqrt(x), for x > 0."""
        return M.Rsqrt.apply(self)

    def erf(self: Tensor) -> Tensor:
        """The error function (2 / sqrt(pi)) * integral of exp(-t^2) from 0 to x: exact GELU is built on it."""
        return M.Erf.apply(self)

    def reciprocal(self: Tensor) -> Tensor:
        """1 / x."""
        return 1 / self

    # ---- not differentiable: constants --------------------------------------------------------
    def floor(self: Tensor) -> Tensor:
        """Largest integer <= x, as a float (piecewise constant: a constant, not differentiable)."""
        return _constant(np.floor(self._data))

    def ceil(self: Tensor) -> Tensor:
        """Smallest integer >= x (a constant, not differentiable)."""
        return _constant(np.ceil(self._data))

    def round(self: Tensor, decimals: int = 0) -> Tensor:
        """Round half to even to `decimals` places, like numpy (a constant, not differentiable)."""
        return _constant(np.round(self._data, decimals))

    def trunc(self: Tensor) -> Tensor:
        """Round toward 0 (a constant, not differentiable)."""
        return _constant(np.trunc(self._data))

    def isnan(self: Tensor) -> Tensor:
        """True where x is NaN."""
        return _constant(np.isnan(self._data))

    def isinf(self: Tensor) -> Tensor:
        """True where x is +inf or -inf."""
        return _constant(np.isinf(self._data))

    def isfinite(self: Tensor) -> Tensor:
        """True where x is neither NaN nor infinite."""
        return _constant(np.isfinite(self._data))

    def isclose(self: Tensor, other: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> Tensor:
        """|x - other| <= atol + rtol |other|, elementwise, like numpy (a bool tensor)."""
        o = other._data if isinstance(other, Tensor) else other
        return _constant(np.isclose(self._data, o, rtol=rtol, atol=atol, equal_nan=equal_nan))
