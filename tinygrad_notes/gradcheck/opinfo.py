"""Registry entries for the engine's own ops: every differentiable public op, with samples that exercise it.

Each entry gives the op a function of Tensors and sample inputs: 0-d scalars,
broadcasting between different shapes, every axis/keepdims form, batched and
1-D matmul, fancy indexing with repeated indices and bool masks. Samples stay
inside the op's domain (log and sqrt on positives, division away from 0) and
away from its kinks (ReLU and |x| away from 0, no ties in max or maximum), so a
correct op passes the checker at its default thresholds. An operator and its
method share an entry (`covers`), and the samples alternate between the forms.
`primitives.ScatterAdd`, which only getitem's backward creates, gets an entry of
its own; it is also reached by the second-order checks of indexing, as softmax's
and log_softmax's fused backward rules are by theirs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from tinygrad_notes import primitives as P
from tinygrad_notes.combine import concatenate, maximum, minimum, stack, where
from tinygrad_notes.gradcheck.registry import OpInfo, Sample, non_differentiable_names
from tinygrad_notes.tensor import Tensor

Gen = np.random.Generator


# ---- values inside each op's domain --------------------------------------------------------------
def _normal(rng: Gen, shape: tuple[int, ...], lo: float = -2.0, hi: float = 2.0) -> np.ndarray:
    return rng.uniform(lo, hi, shape)


def _positive(rng: Gen, shape: tuple[int, ...]) -> np.ndarray:
    return rng.uniform(0.5, 3.0, shape)


def _away_from(rng: Gen, shape: tuple[int, ...], points: tuple[float, ...] = (0.0,), gap: float = 0.1,
               lo: float = -2.0, hi: float = 2.0) -> np.ndarray:
    """Uniform in [lo, hi] but at least `gap` from each of `points` (the op's kinks)."""
    x = rng.uniform(lo, hi, shape)
    for _ in range(100):
        near = np.zeros(np.shape(x), dtype=bool)
        for p in points:
            near |= np.abs(x - p) < gap
        if not near.any():
            return x
        x = np.where(near, rng.uniform(lo, hi, np.shape(x)), x)
    raise RuntimeError("opinfo: could not draw values away from the kinks")


def _nonzero(rng: Gen, shape: tuple[int, ...]) -> np.ndarray:
    return np.asarray(rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 2.0, shape))


def _distinct(rng: Gen, shape: tuple[int, ...]) -> np.ndarray:
    """Values at least 0.2 apart, in random order: no ties for max/min to split."""
    n = int(np.prod(shape))
    values = rng.permutation(n) * 0.3 - 0.15 * n + rng.uniform(-0.05, 0.05, n)
    return values.reshape(shape)


def _apart(rng: Gen, a_shape: tuple[int, ...], b_shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Two arrays that differ by at least 0.1 wherever they meet after broadcasting: no ties for maximum."""
    a = _normal(rng, a_shape)
    for _ in range(100):
        b = _normal(rng, b_shape)
        if np.all(np.abs(np.subtract(a, b)) >= 0.1):
            return a, b
    raise RuntimeError("opinfo: could not draw inputs without ties")


BROADCAST = [  # (shape a, shape b, note)
    ((3, 4), (3, 4), "same shape"),
    ((3, 1), (4,), "broadcast (3, 1) with (4,)"),
    ((2, 3, 4), (3, 1), "broadcast (2, 3, 4) with (3, 1)"),
    ((4, 1, 3), (1, 2, 1), "both broadcast"),
    ((), (3,), "0-d with (3,)"),
    ((2, 3), (), "(2, 3) with 0-d"),
    ((), (), "0-d with 0-d"),
]
UNARY_SHAPES = [(3, 4), (), (5,), (2, 1, 3)]
FORMS = ("operator", "method")
ENTRIES: list[OpInfo] = []  # filled below, read by the registry (this module is one of its PROVIDERS)


def _entry(name: str, fn: Callable[..., Tensor], samples: Callable[[Gen], Iterator[Sample]],
           covers: tuple[str, ...] = (), notes: str = "") -> None:
    ENTRIES.append(OpInfo(name, fn, samples, covers=covers, notes=notes))


# ---- elementwise binary ops and their operators ------------------------------------------------------
def _binary(method: str, operator: Callable[[Any, Any], Any], dunder: str, draw: Callable[..., tuple],
            shapes: list[tuple[tuple, tuple, str]] = BROADCAST,
            extra: Callable[[Gen], Iterator[Sample]] | None = None) -> None:
    """`Tensor.<method>` (covering `__<op>__`) on every pair of `shapes`, and the reflected form on its own."""

    def fn(a: Tensor, b: Tensor | None = None, form: str = "operator", constant: Any = None) -> Tensor:
        other = b if b is not None else constant
        return operator(a, other) if form == "operator" else getattr(a, method)(other)

    def samples(rng: Gen) -> Iterator[Sample]:
        for i, (sa, sb, note) in enumerate(shapes):
            yield Sample(draw(rng, sa, sb), {"form": FORMS[i % 2]}, note)
        if extra is not None:
            yield from extra(rng)

    _entry(f"Tensor.{method}", fn, samples, covers=(f"Tensor.__{dunder}__",))

    def reflected(b: Tensor, left: Any) -> Tensor:
        return operator(left, b)  # `left` is a number or an ndarray, so Python calls b.__r<op>__(left)

    def reflected_samples(rng: Gen) -> Iterator[Sample]:
        if dunder != "matmul":  # a number has no matrix product
            a, b = draw(rng, (), (3, 4))
            yield Sample((b,), {"left": float(a)}, "a Python number on the left")
        for sa, sb, note in shapes[:3]:
            a, b = draw(rng, sa, sb)
            yield Sample((b,), {"left": a}, f"an ndarray on the left; {note}")

    _entry(f"Tensor.__r{dunder}__", reflected, reflected_samples)


def _plain_pair(rng: Gen, sa: tuple, sb: tuple) -> tuple[np.ndarray, np.ndarray]:
    return _normal(rng, sa), _normal(rng, sb)


def _divisor_pair(rng: Gen, sa: tuple, sb: tuple) -> tuple[np.ndarray, np.ndarray]:
    return _normal(rng, sa), _nonzero(rng, sb)


def _power_pair(rng: Gen, sa: tuple, sb: tuple) -> tuple[np.ndarray, np.ndarray]:
    return rng.uniform(0.5, 2.0, sa), rng.uniform(-2.0, 2.0, sb)  # positive base: x^y is defined for any y


def _constant_exponents(rng: Gen) -> Iterator[Sample]:
    """x ** c with a Python number c: only the base is differentiated."""
    yield Sample((_nonzero(rng, (3, 4)),), {"constant": 2}, "x ** 2, negative bases too")
    yield Sample((_nonzero(rng, (5,)),), {"constant": 3, "form": "method"}, "x.pow(3)")
    yield Sample((_nonzero(rng, ()),), {"constant": -1}, "reciprocal of a 0-d")
    yield Sample((_positive(rng, (2, 3)),), {"constant": 0.5}, "square root as a power")
    yield Sample((_positive(rng, (3,)),), {"constant": 0}, "x ** 0 = 1: gradient 0")


def _constant_operands(rng: Gen) -> Iterator[Sample]:
    yield Sample((_normal(rng, (3, 4)),), {"constant": 1.5}, "a Python number on the right")
    yield Sample((_normal(rng, (3, 4)),), {"constant": _normal(rng, (4,)), "form": "method"}, "an ndarray on the right")


MATMUL_SHAPES = [
    ((3, 4), (4, 2), "matrix @ matrix"),
    ((4,), (4, 3), "1-D @ matrix"),
    ((3, 4), (4,), "matrix @ 1-D"),
    ((5,), (5,), "1-D @ 1-D: a 0-d result"),
    ((2, 3, 4), (4, 2), "batched @ matrix"),
    ((2, 1, 2, 3), (3, 3, 2), "broadcast batch dims (2, 1) with (3,)"),
    ((4,), (2, 4, 3), "1-D @ batched"),
    ((2, 3, 4), (4,), "batched @ 1-D"),
]

_binary("add", lambda a, b: a + b, "add", _plain_pair, extra=_constant_operands)
_binary("sub", lambda a, b: a - b, "sub", _plain_pair, extra=_constant_operands)
_binary("mul", lambda a, b: a * b, "mul", _plain_pair, extra=_constant_operands)
_binary("div", lambda a, b: a / b, "truediv", _divisor_pair)
_binary("pow", lambda a, b: a**b, "pow", _power_pair, extra=_constant_exponents)
_binary("matmul", lambda a, b: a @ b, "matmul", _plain_pair, shapes=MATMUL_SHAPES)


def _binary_maximum(name: str, method: str, module_fn: Callable) -> None:
    def fn(a: Tensor, b: Tensor) -> Tensor:
        return getattr(a, method)(b)

    def samples(rng: Gen) -> Iterator[Sample]:
        for sa, sb, note in BROADCAST:
            yield Sample(_apart(rng, sa, sb), {}, note + ", no ties")

    _entry(f"Tensor.{method}", fn, samples, notes="at ties the gradient is split evenly (a kink)")
    _entry(name, lambda a, b: module_fn(a, b), samples, notes="the module function")


_binary_maximum("maximum", "maximum", maximum)
_binary_maximum("minimum", "minimum", minimum)


# ---- elementwise unary ops ---------------------------------------------------------------------------
def _unary(name: str, fn: Callable[..., Tensor], draw: Callable[[Gen, tuple], np.ndarray],
           kwargs_list: tuple[dict, ...] = ({},), covers: tuple[str, ...] = (), notes: str = "") -> None:
    def samples(rng: Gen) -> Iterator[Sample]:
        for i, shape in enumerate(UNARY_SHAPES):
            kwargs = kwargs_list[i % len(kwargs_list)]
            yield Sample((draw(rng, shape),), dict(kwargs), f"shape {shape}" + (f", {kwargs}" if kwargs else ""))

    _entry(name, fn, samples, covers=covers, notes=notes)


_unary("Tensor.neg", lambda x, form="operator": -x if form == "operator" else x.neg(), _normal,
       ({"form": "operator"}, {"form": "method"}), covers=("Tensor.__neg__",))
_unary("Tensor.__pos__", lambda x: +x, _normal, notes="+x is x itself")
_unary("Tensor.exp", lambda x: x.exp(), _normal)
_unary("Tensor.log", lambda x: x.log(), _positive, notes="domain x > 0")
_unary("Tensor.sqrt", lambda x: x.sqrt(), _positive, notes="domain x > 0 (the slope is infinite at 0)")
_unary("Tensor.square", lambda x: x.square(), _normal)
_unary("Tensor.abs", lambda x: x.abs(), _away_from, notes="kink at 0")
_unary("Tensor.sin", lambda x: x.sin(), lambda rng, s: _normal(rng, s, -3, 3))
_unary("Tensor.cos", lambda x: x.cos(), lambda rng, s: _normal(rng, s, -3, 3))
_unary("Tensor.tanh", lambda x: x.tanh(), _normal)
_unary("Tensor.sigmoid", lambda x: x.sigmoid(), lambda rng, s: _normal(rng, s, -4, 4))
_unary("Tensor.relu", lambda x: x.relu(), _away_from, notes="kink at 0")
_unary("Tensor.leaky_relu", lambda x, slope: x.leaky_relu(slope), _away_from,
       ({"slope": 0.01}, {"slope": 0.2}), notes="kink at 0")
_unary("Tensor.clip", lambda x, lo, hi: x.clip(lo, hi),
       lambda rng, s: _away_from(rng, s, (-0.5, 0.5), lo=-1.5, hi=1.5),
       ({"lo": -0.5, "hi": 0.5}, {"lo": -0.5, "hi": None}, {"lo": None, "hi": 0.5},
        {"lo": np.array(-0.5), "hi": np.array(0.5)}), notes="kinks at the bounds")
_unary("Tensor.astype", lambda x: x.astype(np.longdouble).astype(np.float64), _normal,
       notes="through extended precision and back, so the check keeps float64 accuracy")


# ---- reductions --------------------------------------------------------------------------------------
AXES = [  # (shape, axis, keepdims)
    ((2, 3, 4), None, False), ((2, 3, 4), None, True), ((2, 3, 4), 0, False), ((2, 3, 4), -1, True),
    ((2, 3, 4), 1, False), ((2, 3, 4), (0, 2), False), ((2, 3, 4), (-1, 0), True), ((), None, False),
    ((5,), 0, False), ((5,), -1, True),
]


def _reduction(method: str, draw: Callable[[Gen, tuple], np.ndarray] = _normal, ddofs: tuple[int, ...] = (),
               notes: str = "") -> None:
    def fn(x: Tensor, **kwargs: Any) -> Tensor:
        return getattr(x, method)(**kwargs)

    def samples(rng: Gen) -> Iterator[Sample]:
        for i, (shape, axis, keepdims) in enumerate(AXES):
            kwargs: dict[str, Any] = {"axis": axis, "keepdims": keepdims}
            if ddofs:
                if shape == ():
                    continue  # a 0-d tensor has no spread to measure
                kwargs["ddof"] = ddofs[i % len(ddofs)]
            yield Sample((draw(rng, shape),), kwargs, f"shape {shape}, axis={axis}, keepdims={keepdims}")

    _entry(f"Tensor.{method}", fn, samples, notes=notes)


_reduction("sum")
_reduction("mean")
_reduction("max", _distinct, notes="distinct values: ties split the gradient (a kink)")
_reduction("min", _distinct, notes="distinct values: ties split the gradient (a kink)")
_reduction("var", ddofs=(0, 1))
_reduction("std", ddofs=(0, 1), notes="away from zero spread (the slope of sqrt is infinite at 0)")
_reduction("logsumexp")


def _softmax_like(method: str) -> None:
    def samples(rng: Gen) -> Iterator[Sample]:
        yield Sample((_normal(rng, (3, 4)),), {}, "default axis -1")
        yield Sample((_normal(rng, (3, 4)),), {"axis": 0}, "axis 0")
        yield Sample((_normal(rng, (2, 3, 4)),), {"axis": 1}, "middle axis of a 3-D")
        yield Sample((_normal(rng, (5,)),), {"axis": -1}, "1-D")
        yield Sample((_normal(rng, (2, 3), 20, 30),), {}, "large logits (the max shift keeps exp finite)")

    _entry(f"Tensor.{method}", lambda x, **kw: getattr(x, method)(**kw), samples)


_softmax_like("softmax")
_softmax_like("log_softmax")


# ---- movement ----------------------------------------------------------------------------------------
def _movement(name: str, fn: Callable[..., Tensor], cases: list[tuple[tuple, dict, str]],
              covers: tuple[str, ...] = ()) -> None:
    def samples(rng: Gen) -> Iterator[Sample]:
        for shape, kwargs, note in cases:
            yield Sample((_normal(rng, shape),), dict(kwargs), note)

    _entry(name, fn, samples, covers=covers)


_movement("Tensor.reshape", lambda x, shape, form="tuple": x.reshape(shape) if form == "tuple" else x.reshape(*shape), [
    ((2, 3, 4), {"shape": (6, 4)}, "merge axes"),
    ((2, 3, 4), {"shape": (-1,), "form": "varargs"}, "flatten with -1"),
    ((2, 3, 4), {"shape": (4, -1, 2)}, "-1 in the middle"),
    ((1,), {"shape": ()}, "(1,) to 0-d"),
    ((), {"shape": (1, 1), "form": "varargs"}, "0-d to (1, 1)"),
])
_movement("Tensor.transpose", lambda x, axes=(), form="tuple": x.transpose(axes) if form == "tuple"
          else x.transpose(*axes), [
    ((3, 4), {}, "reverse (no axes)"),
    ((2, 3, 4), {"axes": (1, 0, 2)}, "explicit axes"),
    ((2, 3, 4), {"axes": (-1, 0, 1), "form": "varargs"}, "negative axes, varargs"),
])
_movement("Tensor.permute", lambda x, axes: x.permute(*axes), [((2, 3, 4), {"axes": (2, 0, 1)}, "rotate axes")])
_movement("Tensor.T", lambda x: x.T, [((3, 4), {}, "matrix"), ((2, 3, 4), {}, "3-D: all axes reversed")])
_movement("Tensor.swapaxes", lambda x, a, b: x.swapaxes(a, b), [
    ((2, 3, 4), {"a": 0, "b": 2}, "first and last"), ((2, 3, 4), {"a": -1, "b": 1}, "negative axis")])
_movement("Tensor.broadcast_to", lambda x, shape: x.broadcast_to(shape), [
    ((3, 1), {"shape": (2, 3, 4)}, "size-1 axis and a new leading axis"),
    ((), {"shape": (2, 3)}, "0-d to a matrix"),
    ((4,), {"shape": (3, 4)}, "new leading axis")])
_movement("Tensor.expand", lambda x, shape: x.expand(*shape), [
    ((3, 1), {"shape": (2, -1, 4)}, "-1 keeps a size"), ((1, 4), {"shape": (3, 4)}, "repeat rows")])
_movement("Tensor.squeeze", lambda x, axis=None: x.squeeze(axis), [
    ((1, 3, 1, 4), {}, "all size-1 axes"), ((1, 3, 1, 4), {"axis": 0}, "one axis"),
    ((1, 3, 1, 4), {"axis": -2}, "negative axis"), ((1, 3, 1, 4), {"axis": (0, 2)}, "tuple of axes")])
_movement("Tensor.unsqueeze", lambda x, axis, form="unsqueeze": getattr(x, form)(axis), [
    ((3, 4), {"axis": 0}, "front"), ((3, 4), {"axis": -1, "form": "expand_dims"}, "back, as expand_dims"),
    ((3, 4), {"axis": 1}, "middle"), ((), {"axis": 0, "form": "expand_dims"}, "0-d")],
    covers=("Tensor.expand_dims",))
_movement("Tensor.flatten", lambda x, **kw: x.flatten(**kw), [
    ((2, 3, 4), {}, "everything"), ((2, 3, 4), {"start_axis": 1}, "keep the batch axis"),
    ((2, 3, 4), {"end_axis": 1}, "first two axes"), ((), {}, "0-d becomes (1,)")])
_movement("Tensor.pad", lambda x, pad_width, value=0.0, mode="constant": x.pad(pad_width, value, mode), [
    ((3, 4), {"pad_width": 1}, "1 on every side"),
    ((3, 4), {"pad_width": ((1, 0), (0, 2)), "value": 0.5}, "per-axis pairs, constant 0.5"),
    ((5,), {"pad_width": (2, 1)}, "(before, after)"),
    ((3, 4), {"pad_width": ((1, 2), (2, 1)), "mode": "reflect"}, "reflect: mirrored entries add their gradients"),
    ((3, 4), {"pad_width": 2, "mode": "symmetric"}, "symmetric"),
    ((3, 4), {"pad_width": ((0, 2), (1, 1)), "mode": "edge"}, "edge (PyTorch's replicate)"),
    ((2, 3), {"pad_width": ((1, 0), (2, 3)), "mode": "replicate"}, "the name replicate"),
    ((4,), {"pad_width": (3, 5), "mode": "wrap"}, "wrap (circular), wider than the axis")])


def _getitem_samples(rng: Gen) -> Iterator[Sample]:
    x = (4, 5)
    mask = rng.random(x) < 0.5
    mask[0, 0] = True
    cases: list[tuple[tuple, Any, str]] = [
        (x, 2, "an int"), (x, -1, "a negative int"), (x, slice(1, 3), "a slice"), (x, slice(None, None, 2), "a step"),
        (x, slice(None, None, -1), "a negative step"), (x, (slice(1, 3), 2), "slice and int"),
        (x, (None, slice(None), 1), "None adds an axis"), (x, (Ellipsis, 1), "Ellipsis"), (x, (1, 2), "one element"),
        (x, mask, "a bool mask of the full shape"), (x, np.array([True, False, True, True]), "a bool mask of rows"),
        (x, np.array([0, 2, 0, 3, 3]), "integer array with repeated indices"),
        (x, (np.array([0, 1, 1, 1]), np.array([2, 2, 4, 2])), "pairs of arrays, a repeated pair"),
        (x, (slice(1, 3), np.array([0, 0, 2])), "slice then repeated array"),
        (x, np.array([[0, 1], [1, 0]]), "2-D integer array"),
        ((2, 3, 4), (np.array([0, 1]), slice(None), np.array([1, 1])), "advanced indices split by a slice"),
    ]
    for shape, index, note in cases:
        yield Sample((_normal(rng, shape),), {"index": index}, note)


_entry("Tensor.__getitem__", lambda x, index: x[index], _getitem_samples,
       notes="second order reaches primitives.ScatterAdd")


def _split(x: Tensor, sections: Any, axis: int) -> Tensor:
    parts = x.split(sections, axis)
    return concatenate([p.reshape(-1) * (k + 1) for k, p in enumerate(parts)])  # weight k+1: pieces stay apart


_entry("Tensor.split", _split, lambda rng: iter([
    Sample((_normal(rng, (4, 3)),), {"sections": 2, "axis": 0}, "2 equal parts"),
    Sample((_normal(rng, (2, 5)),), {"sections": [1, 3], "axis": -1}, "at indices, last axis"),
]), notes="the pieces are weighted 1, 2, ... and joined, so a piece routed to the wrong place shows")


# ---- joining: module functions -----------------------------------------------------------------------
def _concatenate_samples(rng: Gen) -> Iterator[Sample]:
    yield Sample((_normal(rng, (2, 3)), _normal(rng, (1, 3)), _normal(rng, (3, 3))), {"axis": 0}, "3 tensors, axis 0")
    yield Sample((_normal(rng, (2, 1)), _normal(rng, (2, 3))), {"axis": -1}, "axis -1")
    yield Sample((_normal(rng, (4,)),), {"axis": 0}, "a single tensor")
    yield Sample((_normal(rng, (2,)), _normal(rng, (3,))), {"axis": 0}, "1-D")


def _stack_samples(rng: Gen) -> Iterator[Sample]:
    yield Sample(tuple(_normal(rng, (2, 3)) for _ in range(3)), {"axis": 0}, "new front axis")
    yield Sample(tuple(_normal(rng, (2, 3)) for _ in range(2)), {"axis": -1}, "new last axis")
    yield Sample(tuple(_normal(rng, (2, 3)) for _ in range(2)), {"axis": 1}, "new middle axis")
    yield Sample(tuple(_normal(rng, ()) for _ in range(3)), {"axis": 0}, "0-d tensors into a vector")


_entry("concatenate", lambda *xs, axis: concatenate(xs, axis=axis), _concatenate_samples)
_entry("stack", lambda *xs, axis: stack(xs, axis=axis), _stack_samples)


def _where(a: Tensor, b: Tensor | None = None, *, cond: np.ndarray, other: float = 0.0) -> Tensor:
    return where(cond, a, b if b is not None else other)


def _where_samples(rng: Gen) -> Iterator[Sample]:
    cond = rng.random((3, 4)) < 0.5
    yield Sample((_normal(rng, (3, 4)), _normal(rng, (4,))), {"cond": cond}, "b broadcast along rows")
    yield Sample((_normal(rng, (3, 1)), _normal(rng, ())), {"cond": cond}, "a (3, 1), b 0-d")
    yield Sample((_normal(rng, (3, 4)),), {"cond": cond, "other": 2.0}, "b a constant number")
    yield Sample((_normal(rng, (4,)), _normal(rng, (4,))), {"cond": np.array(True)}, "0-d condition")


_entry("where", _where, _where_samples, notes="the condition is a constant: gradients flow to the chosen side")


# ---- a primitive reached only through backward rules -------------------------------------------------
def _scatter_samples(rng: Gen) -> Iterator[Sample]:
    index = np.array([0, 2, 0, 3, 3])
    yield Sample((_normal(rng, (5, 3)),), {"index": index, "shape": (4, 3)}, "repeated rows add up")
    yield Sample((_normal(rng, (2,)),), {"index": (slice(1, 3), 1), "shape": (4, 3)}, "basic index")
    pairs = (np.array([0, 1, 1]), np.array([2, 2, 0]))
    yield Sample((_normal(rng, (3,)),), {"index": pairs, "shape": (2, 3)}, "repeated pair")


_entry("primitives.ScatterAdd", lambda g, index, shape: P.ScatterAdd.apply(g, index=index, shape=shape),
       _scatter_samples, notes="zeros(shape) with g added at index: getitem's VJP, reached through indexing")


# ---- declared without gradient -------------------------------------------------------------------------
NON_DIFFERENTIABLE: dict[str, str] = {
    **non_differentiable_names("piecewise constant: its derivative is 0 wherever it exists", "Tensor.sign"),
    **non_differentiable_names("returns integer indices", "Tensor.argmax", "Tensor.argmin"),
    **non_differentiable_names("comparisons return bool tensors",
                               *(f"Tensor.__{op}__" for op in ("lt", "le", "gt", "ge", "eq", "ne"))),
    **non_differentiable_names("cuts the graph on purpose: the result is a constant", "Tensor.detach"),
    **non_differentiable_names("creates a new leaf tensor: there is no input to differentiate", "zeros", "ones",
                               "full", "zeros_like", "ones_like", "full_like", "arange", "linspace", "eye",
                               "randn", "rand"),
}
