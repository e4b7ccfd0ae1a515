"""Tensor's integer and bitwise operators: //, %, &, |, ^, ~, <<, >>, a family of methods Tensor takes (tensor.py).

All give constants (no gradient) except `%` on floats: x % y = x - floor(x / y) * y has slope 1 in x and
-floor(x / y) in y (away from its jumps), so for tensors that require grad it is recorded as that
composition. `//` is piecewise constant (slope 0 wherever it exists, like `floor`). The bitwise operators
need integer or bool tensors (on bools they are logical and/or/xor/not, for combining masks).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_notes.errors import ShapeError, broadcast_message
from tinygrad_notes.tensor import Tensor, _make


def _value(v: Any) -> Any:
    return v._data if isinstance(v, Tensor) else v


def _constant_op(ufunc: np.ufunc, symbol: str, a: Any, b: Any) -> Tensor:
    """ufunc(a, b) as a constant tensor, with errors that name the operator, the shapes and the dtypes."""
    x, y = _value(a), _value(b)
    try:
        return _make(np.asarray(ufunc(x, y)), False, None)
    except TypeError:
        raise TypeError(f"'{symbol}': not defined for dtypes {np.asarray(x).dtype} and {np.asarray(y).dtype}; "
                        "bitwise operators need integer or bool tensors (astype(np.int64) first)") from None
    except ValueError as err:
        if "broadcast" in str(err):
            raise ShapeError(broadcast_message(f"'{symbol}'", [np.shape(x), np.shape(y)])) from None
        raise


def _requires_grad(v: Any) -> bool:
    return isinstance(v, Tensor) and v.requires_grad


def _mod(a: Any, b: Any) -> Tensor:
    """a % b with Python's sign rule (the divisor's); recorded as a - floor(a / b) * b when a gradient is needed."""
    if not (_requires_grad(a) or _requires_grad(b)):
        return _constant_op(np.remainder, "%", a, b)
    quotient = _constant_op(np.floor_divide, "//", a, b)
    return a - quotient * b


class IntegerOps:
    """//, %, bitwise and shifts (tensor.py makes them methods of Tensor)."""

    def __floordiv__(self: Tensor, other: Any) -> Tensor:
        return _constant_op(np.floor_divide, "//", self, other)

    def __rfloordiv__(self: Tensor, other: Any) -> Tensor:
        return _constant_op(np.floor_divide, "//", other, self)

    def __mod__(self: Tensor, other: Any) -> Tensor:
        return _mod(self, other)

    def __rmod__(self: Tensor, other: Any) -> Tensor:
        return _mod(other, self)

    def __and__(self: Tensor, other: Any) -> Tensor:
        return _constant_op(np.bitwise_and, "&", self, other)

    def __rand__(self: Tensor, other: Any) -> Tensor:
        return _constant_op(np.bitwise_and, "&", other, self)

    def __or__(self: Tensor, other: Any) -> Tensor:
        return _constant_op(np.bitwise_or, "|", self, other)

    def __ror__(self: Tensor, other: Any) -> Tensor:
        return _constant_op(np.bitwise_or, "|", other, self)

    def __xor__(self: Tensor, other: Any) -> Tensor:
        return _constant_op(np.bitwise_xor, "^", self, other)

    def __rxor__(self: Tensor, other: Any) -> Tensor:
        return _constant_op(np.bitwise_xor, "^", other, self)

    def __lshift__(self: Tensor, other: Any) -> Tensor:
        return _constant_op(np.left_shift, "<<", self, other)

    def __rlshift__(self: Tensor, other: Any) -> Tensor:
        return _constant_op(np.left_shift, "<<", other, self)

    def __rshift__(self: Tensor, other: Any) -> Tensor:
        return _constant_op(np.right_shift, ">>", self, other)

    def __rrshift__(self: Tensor, other: Any) -> Tensor:
        return _constant_op(np.right_shift, ">>", other, self)

    def __invert__(self: Tensor) -> Tensor:
        """~x: bitwise not of integers, logical not of bools."""
        try:
            return _make(np.invert(self._data), False, None)
        except TypeError:
            raise TypeError(f"'~': not defined for dtype {self.dtype}; it needs an integer or bool tensor "
                            "(for floats, use -x - 1 or 1 - x)") from None
