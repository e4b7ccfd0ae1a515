"""Elementwise math primitives: trigonometric, hyperbolic, their inverses, logs and powers of 2 and 10, erf.

One class per op: its numpy forward, its backward (the derivative times the incoming gradient, written with
what Tensors and arrays share, so second derivatives work) with the formula in a comment, and its batched
replay rule. Each has a registry entry (gradcheck/opinfo_math.py) with samples inside its domain.
"""

from __future__ import annotations

import math

import numpy as np

from tinygrad_notes.batching import batch_elementwise
from tinygrad_notes.primitives import Exp, Primitive, Sqrt
from tinygrad_notes.rules import on

LN2, LN10 = math.log(2.0), math.log(10.0)
TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_erf = np.frompyfunc(math.erf, 1, 1)  # numpy has no erf; math.erf is exact to double precision


class Unary(Primitive):
    """Base of the elementwise one-input primitives here: all replay the same way (batch_elementwise)."""

    __slots__ = ()
    batched = classmethod(batch_elementwise)


class Tan(Unary):
    __slots__ = ()
    op_name = "tan"
    saves_output = True

    def forward(ctx, x):
        return np.tan(x)

    def backward(ctx, g):  # d tan x/dx = 1 + tan(x)^2
        y = ctx.output()
        return g * (1 + y * y)


class Arcsin(Unary):
    __slots__ = ()
    op_name = "arcsin"

    def forward(ctx, x):
        return np.arcsin(x)

    def backward(ctx, g):  # d arcsin x/dx = 1 / sqrt(1 - x^2)
        (x,) = ctx.operands()
        return g / on(Sqrt, 1 - x * x)


class Arccos(Unary):
    __slots__ = ()
    op_name = "arccos"

    def forward(ctx, x):
        return np.arccos(x)

    def backward(ctx, g):  # d arccos x/dx = -1 / sqrt(1 - x^2)
        (x,) = ctx.operands()
        return -g / on(Sqrt, 1 - x * x)


class Arctan(Unary):
    __slots__ = ()
    op_name = "arctan"

    def forward(ctx, x):
        return np.arctan(x)

    def backward(ctx, g):  # d arctan x/dx = 1 / (1 + x^2)
        (x,) = ctx.operands()
        return g / (1 + x * x)


class Sinh(Unary):
    __slots__ = ()
    op_name = "sinh"

    def forward(ctx, x):
        return np.sinh(x)

    def backward(ctx, g):  # d sinh x/dx = cosh x
        return g * on(Cosh, ctx.operands()[0])


class Cosh(Unary):
    __slots__ = ()
    op_name = "cosh"

    def forward(ctx, x):
        return np.cosh(x)

    def backward(ctx, g):  # d cosh x/dx = sinh x
        return g * on(Sinh, ctx.operands()[0])


class Arcsinh(Unary):
    __slots__ = ()
    op_name = "arcsinh"

    def forward(ctx, x):
        return np.arcsinh(x)

    def backward(ctx, g):  # d arcsinh x/dx = 1 / sqrt(x^2 + 1)
        (x,) = ctx.operands()
        return g / on(Sqrt, x * x + 1)


class Arccosh(Unary):
    __slots__ = ()
    op_name = "arccosh"

    def forward(ctx, x):
        return np.arccosh(x)

    def backward(ctx, g):  # d arccosh x/dx = 1 / sqrt(x^2 - 1), x > 1
        (x,) = ctx.operands()
        return g / on(Sqrt, x * x - 1)


class Arctanh(Unary):
    __slots__ = ()
    op_name = "arctanh"

    def forward(ctx, x):
        return np.arctanh(x)

    def backward(ctx, g):  # d arctanh x/dx = 1 / (1 - x^2), |x| < 1
        (x,) = ctx.operands()
        return g / (1 - x * x)


class Log2(Unary):
    __slots__ = ()
    op_name = "log2"

    def forward(ctx, x):
        return np.log2(x)

    def backward(ctx, g):  # d log2 x/dx = 1 / (x ln 2)
        return g / (ctx.operands()[0] * LN2)


class Log10(Unary):
    __slots__ = ()
    op_name = "log10"

    def forward(ctx, x):
        return np.log10(x)

    def backward(ctx, g):  # d log10 x/dx = 1 / (x ln 10)
        return g / (ctx.operands()[0] * LN10)


class Log1p(Unary):
    __slots__ = ()
    op_name = "log1p"

    def forward(ctx, x):
        return np.log1p(x)

    def backward(ctx, g):  # d log(1 + x)/dx = 1 / (1 + x)
        return g / (ctx.operands()[0] + 1)


class Exp2(Unary):
    __slots__ = ()
    op_name = "exp2"
    saves_output = True

    def forward(ctx, x):
        return np.exp2(x)

    def backward(ctx, g):  # d 2^x/dx = 2^x ln 2
        return g * (ctx.output() * LN2)


class Expm1(Unary):
    __slots__ = ()
    op_name = "expm1"

    def forward(ctx, x):
        return np.expm1(x)

    def backward(ctx, g):  # d (e^x - 1)/dx = e^x
        return g * on(Exp, ctx.operands()[0])


class Rsqrt(Unary):
    __slots__ = ()
    op_name = "rsqrt"
    saves_output = True

    def forward(ctx, x):
        return 1 / np.sqrt(x)

    def backward(ctx, g):  # d x^(-1/2)/dx = -x^(-3/2) / 2 = -rsqrt(x)^3 / 2
        y = ctx.output()
        return g * (y * y * y * -0.5)


class Erf(Unary):
    __slots__ = ()
    op_name = "erf"

    def forward(ctx, x):
        x = np.asarray(x)
        dtype = x.dtype if x.dtype.kind == "f" else np.result_type(float)
        return np.asarray(_erf(x.astype(np.float64)), dtype=np.float64).astype(dtype)

    def backward(ctx, g):  # d erf x/dx = 2 / sqrt(pi) exp(-x^2)
        (x,) = ctx.operands()
        return g * (on(Exp, -(x * x)) * TWO_OVER_SQRT_PI)
