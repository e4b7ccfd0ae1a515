"""Registry entries for the elementwise math ops, `%`, abs(t), and the in-place operators.

Samples stay inside each op's domain (arcsin in (-1, 1), arccosh above 1, logs on positives) and away
from the points where the slope is infinite (arcsin at +-1, arccosh at 1). `%` is checked away from its
jumps (where x / y is a whole number). The in-place operators are checked on an intermediate tensor, the
case autograd records (inplace.py), including `h += h` and an operand recorded before the write.
The piecewise-constant ops and the integer and bitwise operators are declared without gradient.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from tinygrad_notes.gradcheck.opinfo import UNARY_SHAPES, _away_from, _normal, _positive
from tinygrad_notes.gradcheck.registry import OpInfo, Sample, non_differentiable_names
from tinygrad_notes.tensor import Tensor

Gen = np.random.Generator


def _unary_samples(draw: Callable[[Gen, tuple], np.ndarray]) -> Callable[[Gen], Iterator[Sample]]:
    def samples(rng: Gen) -> Iterator[Sample]:
        for shape in UNARY_SHAPES:
            yield Sample((draw(rng, shape),), note=f"shape {shape}")
    return samples


def _within(lo: float, hi: float) -> Callable[[Gen, tuple], np.ndarray]:
    return lambda rng, shape: rng.uniform(lo, hi, shape)


UNARY = [  # (method, draw, note)
    ("tan", _within(-1.2, 1.2), "away from the poles at +-pi/2"),
    ("arcsin", _within(-0.9, 0.9), "domain (-1, 1): the slope is infinite at +-1"),
    ("arccos", _within(-0.9, 0.9), "domain (-1, 1): the slope is infinite at +-1"),
    ("arctan", _normal, ""),
    ("sinh", _normal, ""),
    ("cosh", _normal, ""),
    ("arcsinh", _within(-3, 3), ""),
    ("arccosh", _within(1.2, 4), "domain x > 1: the slope is infinite at 1"),
    ("arctanh", _within(-0.9, 0.9), "domain (-1, 1)"),
    ("log2", _positive, "domain x > 0"),
    ("log10", _positive, "domain x > 0"),
    ("log1p", _within(-0.6, 3), "domain x > -1"),
    ("exp2", _normal, ""),
    ("expm1", _normal, ""),
    ("rsqrt", _positive, "domain x > 0"),
    ("erf", _within(-2.5, 2.5), ""),
    ("reciprocal", lambda rng, s: np.asarray(rng.choice([-1.0, 1.0], s) * rng.uniform(0.5, 2.0, s)), "away from 0"),
]


def _method(name: str) -> Callable[[Tensor], Tensor]:
    return lambda x: getattr(x, name)()


def _mod_pair(rng: Gen, shape_x: tuple, shape_y: tuple) -> tuple[np.ndarray, np.ndarray]:
    """x and y > 0 with x / y at least 0.1 from a whole number (away from the jumps of x % y); y broadcasts to x."""
    y = rng.uniform(0.5, 2.0, shape_y)
    quotient = rng.integers(-3, 3, shape_x) + rng.uniform(0.1, 0.9, shape_x)
    return quotient * y, y


def _divisors_for(rng: Gen, x: float, shape: tuple) -> np.ndarray:
    """y of `shape` with x / y at least 0.1 from a whole number: y = x / (n + f)."""
    return x / (rng.integers(1, 4, shape) + rng.uniform(0.1, 0.9, shape))


def _mod_samples(rng: Gen) -> Iterator[Sample]:
    yield Sample(_mod_pair(rng, (3, 4), (3, 4)), note="same shape")
    yield Sample(_mod_pair(rng, (3, 4), ()), note="a 0-d divisor")
    x, _ = _mod_pair(rng, (5,), ())
    yield Sample((x,), {"constant": 1.0}, note="a number on the right: slope 1 in x")


def _mod(a: Tensor, b: Tensor | None = None, constant: float | None = None) -> Tensor:
    return a % (b if b is not None else constant)


def _rmod_samples(rng: Gen) -> Iterator[Sample]:
    yield Sample((_divisors_for(rng, 2.7, (4,)),), {"left": 2.7}, note="a number on the left: slope -floor(x / y) in y")
    x = rng.uniform(1.0, 3.0, (3, 4))
    yield Sample((_divisors_for(rng, 1.0, (3, 4)) * x,), {"left": x}, note="an ndarray on the left")


INPLACE = {"add": lambda h, v: h.__iadd__(v), "sub": lambda h, v: h.__isub__(v), "mul": lambda h, v: h.__imul__(v),
           "truediv": lambda h, v: h.__itruediv__(v)}


def _inplace_entry(op: str) -> OpInfo:
    def fn(a: Tensor, b: Tensor | None = None, case: str = "tensor") -> Tensor:
        h = a * 1.5  # an intermediate: in-place ops on it are recorded
        before = h * a  # recorded before the write: must see the old h
        if case == "self":
            h = INPLACE[op](h, h)
        elif case == "number":
            h = INPLACE[op](h, 0.75)
        else:
            h = INPLACE[op](h, b)
        return h * 2 + before

    def samples(rng: Gen) -> Iterator[Sample]:
        nonzero = lambda shape: rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 2.0, shape)  # noqa: E731
        yield Sample((_normal(rng, (3, 4)), nonzero((3, 4))), note="h op= y, both require grad")
        yield Sample((_normal(rng, (3, 4)), nonzero((4,))), note="y broadcast along rows")
        yield Sample((nonzero((2, 3)),), {"case": "self"}, note="h op= h")
        yield Sample((_normal(rng, (5,)),), {"case": "number"}, note="h op= a number")

    return OpInfo(f"Tensor.__i{op}__", fn, samples, notes="on an intermediate, with an op recorded before the write",
                  formula=f"that of {op}: recorded as an op on the tensor (inplace.py)")


ENTRIES: list[OpInfo] = [  # read by the registry: this module is one of its PROVIDERS
    *(OpInfo(f"Tensor.{name}", _method(name), _unary_samples(draw), notes=note) for name, draw, note in UNARY),
    OpInfo("Tensor.__abs__", lambda x: abs(x), _unary_samples(_away_from), notes="abs(t); kink at 0",
           formula="sign(x), 0 at 0"),
    OpInfo("Tensor.__mod__", _mod, _mod_samples, notes="away from the jumps, where x / y is a whole number",
           formula="d(x % y)/dx = 1, d(x % y)/dy = -floor(x / y)"),
    OpInfo("Tensor.__rmod__", lambda b, left: left % b, _rmod_samples, formula="d(x % y)/dy = -floor(x / y)"),
    *(_inplace_entry(op) for op in INPLACE),
]

NON_DIFFERENTIABLE: dict[str, str] = {
    **non_differentiable_names("piecewise constant: its derivative is 0 wherever it exists",
                               "Tensor.floor", "Tensor.ceil", "Tensor.round", "Tensor.trunc",
                               "Tensor.__floordiv__", "Tensor.__rfloordiv__"),
    **non_differentiable_names("returns a bool tensor", "Tensor.isnan", "Tensor.isinf", "Tensor.isfinite",
                               "Tensor.isclose"),
    **non_differentiable_names("integer and bool tensors only: no gradient",
                               *(f"Tensor.__{op}__" for op in ("and", "rand", "or", "ror", "xor", "rxor", "invert",
                                                                "lshift", "rlshift", "rshift", "rrshift"))),
}
