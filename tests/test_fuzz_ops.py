"""Fuzz of the public ops: ops x shapes x dtypes x argument kinds, a few thousand seeded examples (hypothesis).

Whatever a user passes, an op either gives a result or raises an error that names it. Every example checks:
- an error is a TypeError or a ValueError (ShapeError is one) whose message starts with the op's name;
- no complex or object tensor is created, and only float tensors require grad;
- where the op recorded a graph on a float64 input and its values are finite, every gradient is finite
  and the gradient checker passes.

Derandomized: the same examples on every run, so CI is repeatable; a failure prints the example.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tinygrad_notes as tn
from tinygrad_notes import Tensor

FUZZ = settings(derandomize=True, deadline=None, database=None, max_examples=200,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

SHAPES = [(), (1,), (3,), (2, 3), (0,), (0, 3), (3, 0), (2, 1, 3)]
DTYPES = [np.float64, np.float32, np.int64, np.int32, np.uint8, np.bool_]
MOSTLY_FLOAT64 = [np.float64] * 5 + DTYPES  # the input whose gradient is checked: float64 half the time


def array(seed: int, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """Values of `dtype` from a seeded generator: continuous floats in [-2, 2] (no ties, no exact kinks)."""
    rng = np.random.default_rng(seed)
    dt = np.dtype(dtype)
    if dt.kind == "f":
        return rng.uniform(-2, 2, shape).astype(dt)
    if dt.kind == "b":
        return rng.random(shape) < 0.5
    lo = 0 if dt.kind == "u" else -3
    return rng.integers(lo, 4, shape).astype(dt)


@st.composite
def tensors(draw: st.DrawFn, shapes: list = SHAPES, dtypes: list = MOSTLY_FLOAT64) -> Tensor:
    """A tensor of any shape and dtype; a float one requires grad three times in four."""
    shape = draw(st.sampled_from(shapes))
    dtype = draw(st.sampled_from(dtypes))
    data = array(draw(st.integers(0, 2**16)), shape, dtype)
    return Tensor(data, requires_grad=data.dtype.kind == "f" and draw(st.sampled_from([True, True, True, False])))


@st.composite
def operands(draw: st.DrawFn) -> Any:
    """The other operand of a binary op: tensors of any dtype and shape, numbers, arrays, and what is no number."""
    kind = draw(st.sampled_from(["tensor", "tensor", "tensor", "float", "int", "bool", "ndarray", "np scalar",
                                 "list", "ragged list", "None", "str", "complex", "complex array",
                                 "object array", "object"]))
    seed = draw(st.integers(0, 2**16))
    if kind == "tensor":
        return draw(tensors(dtypes=DTYPES))
    return {
        "float": lambda: float(array(seed, (), np.float64)),
        "int": lambda: int(array(seed, (), np.int64)),
        "bool": lambda: bool(seed % 2),
        "ndarray": lambda: array(seed, draw(st.sampled_from(SHAPES)), draw(st.sampled_from(DTYPES))),
        "np scalar": lambda: np.float32(array(seed, (), np.float32)),
        "list": lambda: array(seed, (3,), np.float64).tolist(),
        "ragged list": lambda: [[1.0, 2.0], [3.0]],
        "None": lambda: None,
        "str": lambda: "a",
        "complex": lambda: 1j,
        "complex array": lambda: np.array([1 + 1j, 2.0]),
        "object array": lambda: np.array([1.0, None, 2.0], dtype=object),
        "object": lambda: object(),
    }[kind]()


AXES = st.one_of(st.none(), st.integers(-4, 3), st.tuples(st.integers(-3, 2), st.integers(-3, 2)),
                 st.sampled_from([1.0, "0", [0], True, (0, 0)]))


def run(op: str, call: Callable[[], Any], inputs: list[Any]) -> None:
    """Call the op; check its error, or its result and its gradients."""
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # numpy's own, e.g. the mean of an empty slice is NaN
            out = call()
    except (TypeError, ValueError) as err:
        assert str(err).startswith(f"{op}:"), f"{type(err).__name__} does not name {op!r}: {err}"
        return
    results = out if isinstance(out, list) else [out]
    for r in results:
        assert isinstance(r, Tensor), f"{op} returned a {type(r).__name__}"
        assert r.dtype.kind in "biuf", f"{op} made a tensor of dtype {r.dtype}"
        if r.requires_grad:
            assert r.dtype.kind == "f", f"{op} made a {r.dtype} tensor that requires grad"
    check_gradients(op, call, inputs, results)


def check_gradients(op: str, call: Callable[[], Any], inputs: list[Any], results: list[Tensor]) -> None:
    """Where the op recorded a graph on float64 inputs and gave finite values, its gradients are finite and the
    checker passes (kinks, such as ties, are the checker's to recognize)."""
    leaves = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not leaves or not all(r.requires_grad and r.size and np.isfinite(r.numpy()).all() for r in results):
        return
    if any(t.dtype != np.float64 for t in [*leaves, *results]):
        return  # float64 in and out: float32 values are too coarse for differences at eps = 1e-7
    weights = [np.random.default_rng(1).uniform(0.5, 1.5, r.shape) for r in results]
    loss = sum((r * w).sum() for r, w in zip(results, weights))
    grads = tn.grad(loss, leaves, allow_unused=True)
    for g in grads:
        if g is not None:
            assert g.dtype.kind == "f"
            assert np.isfinite(g.numpy()).all(), f"{op}: a gradient is not finite where the values are: {g}"

    originals = [t.numpy().copy() for t in leaves]

    def f(*xs: Tensor) -> Tensor:
        swapped = dict(zip(map(id, leaves), xs))
        outs = call_with(call, inputs, swapped)
        outs = outs if isinstance(outs, list) else [outs]
        return sum((o * w).sum() for o, w in zip(outs, weights))

    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = tn.gradcheck(f, originals)
    assert report.passed, f"{op}: the gradient checker disagrees\n{report}"


_current: dict[int, Tensor] = {}


def call_with(call: Callable[[], Any], inputs: list[Any], swapped: dict[int, Tensor]) -> Any:
    """Run `call` with the checker's copies in place of the leaves (the op functions read them through `arg`)."""
    _current.clear()
    _current.update(swapped)
    try:
        return call()
    finally:
        _current.clear()


def arg(t: Any) -> Any:
    """The input as the op sees it: the checker's copy of a leaf while the checker runs, else the input itself."""
    return _current.get(id(t), t) if isinstance(t, Tensor) else t


# ---- elementwise ------------------------------------------------------------------------------------------
UNARY = ["neg", "exp", "log", "sqrt", "square", "abs", "sin", "cos", "tanh", "sigmoid", "relu"]


@FUZZ
@given(op=st.sampled_from(UNARY), x=tensors())
def test_unary_ops(op, x):
    run(op, lambda: getattr(arg(x), op)(), [x])


SCALARS = st.one_of(st.none(), st.floats(-2, 2), st.integers(-2, 2), st.sampled_from(["a", 1j, True, [0.5]]))


@FUZZ
@given(x=tensors(), slope=SCALARS, lo=SCALARS, hi=SCALARS)
def test_leaky_relu_and_clip(x, slope, lo, hi):
    run("leaky_relu", lambda: arg(x).leaky_relu(slope), [x])
    run("clip", lambda: arg(x).clip(lo, hi), [x])


BINARY = {"add": "__add__", "sub": "__sub__", "mul": "__mul__", "div": "__truediv__", "pow": "__pow__",
          "matmul": "__matmul__", "maximum": "maximum", "minimum": "minimum"}


@settings(FUZZ, max_examples=600)
@given(op=st.sampled_from(sorted(BINARY)), x=tensors(), other=operands(), reflected=st.booleans())
def test_binary_ops(op, x, other, reflected):
    method = BINARY[op]
    if reflected and method.startswith("__"):
        method = "__r" + method[2:]  # what Python calls for `other <op> x`
    run(op, lambda: getattr(arg(x), method)(arg(other)), [x, other])


MATMUL_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((2, 3), (3, 2)), ((2, 2, 3), (3, 1)),
                 ((1, 3), (2, 3, 2)), ((0, 3), (3, 2)), ((2, 3), (2, 3)), ((), (3,)), ((2, 3), (2, 2, 2))]


@FUZZ
@given(shapes=st.sampled_from(MATMUL_SHAPES), seed=st.integers(0, 2**16), dtype=st.sampled_from(DTYPES),
       grads=st.sampled_from([(True, True), (True, False), (False, True)]), reflected=st.booleans())
def test_matmul(shapes, seed, dtype, grads, reflected):
    x = Tensor(array(seed, shapes[0], np.float64), requires_grad=grads[0])
    y = Tensor(array(seed + 1, shapes[1], dtype), requires_grad=grads[1] and np.dtype(dtype).kind == "f")
    if reflected:
        run("matmul", lambda: arg(y).__rmatmul__(arg(x)), [x, y])
    else:
        run("matmul", lambda: arg(x) @ arg(y), [x, y])


@FUZZ
@given(op=st.sampled_from(["maximum", "minimum"]), a=operands(), b=operands())
def test_module_functions_of_two_operands(op, a, b):
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        b = Tensor(np.ones(3))
    run(op, lambda: getattr(tn, op)(arg(a), arg(b)), [a, b])


# ---- reductions -------------------------------------------------------------------------------------------
REDUCTIONS = ["sum", "mean", "max", "min", "var", "std", "logsumexp", "argmax", "argmin"]


@FUZZ
@given(op=st.sampled_from(REDUCTIONS), x=tensors(), axis=AXES, keepdims=st.sampled_from([False, True, "yes"]))
def test_reductions(op, x, axis, keepdims):
    run(op, lambda: getattr(arg(x), op)(axis=axis, keepdims=keepdims), [x])


@FUZZ
@given(op=st.sampled_from(["var", "std"]), x=tensors(), ddof=st.sampled_from([0, 1, 2, 5, 1.5, "1", None]))
def test_degrees_of_freedom(op, x, ddof):
    run(op, lambda: getattr(arg(x), op)(ddof=ddof), [x])


@FUZZ
@given(op=st.sampled_from(["softmax", "log_softmax"]), x=tensors(), axis=AXES)
def test_softmax(op, x, axis):
    run(op, lambda: getattr(arg(x), op)(axis=axis), [x])


# ---- movement ---------------------------------------------------------------------------------------------
SHAPE_ARGS = st.one_of(st.sampled_from(SHAPES), st.sampled_from([(-1,), (6, -1), (-1, -1), (2.0, 3), ("a",), 6, -1]))
INDICES = st.one_of(st.integers(-4, 3), st.sampled_from([slice(None), slice(1, None, 2), None, Ellipsis, 1.5, "a",
                                                          (0, 0), [0, 1], [True, False], (slice(None), None)]))


@FUZZ
@given(x=tensors(), shape=SHAPE_ARGS)
def test_reshape_and_broadcast_to(x, shape):
    run("reshape", lambda: arg(x).reshape(shape), [x])
    run("broadcast_to", lambda: arg(x).broadcast_to(shape if isinstance(shape, tuple) else (shape,)), [x])


@FUZZ
@given(x=tensors(), axes=st.one_of(st.sampled_from([(), (1, 0), (0, 1, 2), (0, 0), (2.0, 1)]), AXES))
def test_transpose_and_squeeze(x, axes):
    run("transpose", lambda: arg(x).transpose(*(axes if isinstance(axes, tuple) else (axes,))), [x])
    run("squeeze", lambda: arg(x).squeeze(axes if axes != () else None), [x])


@FUZZ
@given(x=tensors(), axis=AXES)
def test_unsqueeze_and_flatten(x, axis):
    run("unsqueeze", lambda: arg(x).unsqueeze(axis), [x])
    run("flatten", lambda: arg(x).flatten(axis if axis is not None else 0), [x])


@FUZZ
@given(x=tensors(), index=INDICES)
def test_getitem(x, index):
    run("getitem", lambda: arg(x)[index], [x])


@FUZZ
@given(x=tensors(), width=st.sampled_from([0, 1, (1, 2), ((1, 0),), -1, 1.5, "a", None, ((1, 1), (1, 1))]),
       value=SCALARS)
def test_pad(x, width, value):
    run("pad", lambda: arg(x).pad(width, value if value is not None else 0), [x])


@FUZZ
@given(x=tensors(), sections=st.sampled_from([1, 2, 3, 0, -1, [1], [1, 2], 1.5, "a"]), axis=AXES)
def test_split(x, sections, axis):
    run("split", lambda: arg(x).split(sections, axis if axis is not None else 0), [x])


@FUZZ
@given(x=tensors(), dtype=st.sampled_from([np.float32, np.float64, np.int64, bool, "float32", np.complex64, object,
                                           "no such dtype", None]))
def test_astype(x, dtype):
    run("astype", lambda: arg(x).astype(dtype), [x])


# ---- joining ----------------------------------------------------------------------------------------------
@st.composite
def joinable(draw: st.DrawFn) -> list[Any]:
    """Up to three things to join: mostly tensors of one shape (any dtype), sometimes any operand at all."""
    shape = draw(st.sampled_from(SHAPES))
    item = st.one_of(st.builds(lambda seed, dt, g: Tensor(array(seed, shape, dt), requires_grad=g and dt == np.float64),
                               st.integers(0, 2**16), st.sampled_from(MOSTLY_FLOAT64), st.booleans()),
                     operands())
    return draw(st.lists(item, min_size=0, max_size=3))


@FUZZ
@given(op=st.sampled_from(["concatenate", "stack"]), items=joinable(), axis=AXES)
def test_concatenate_and_stack(op, items, axis):
    run(op, lambda: getattr(tn, op)([arg(t) for t in items], axis=axis), items)


@FUZZ
@given(cond=operands(), a=operands(), b=operands())
def test_where(cond, a, b):
    run("where", lambda: tn.where(arg(cond), arg(a), arg(b)), [cond, a, b])


def test_tensor_creation_refuses_what_is_no_number():
    for value in (np.array([1j]), np.array([1.0, None], dtype=object), [1, "a"], None, "a"):
        with pytest.raises(TypeError, match="^Tensor: cannot make a tensor of dtype"):
            Tensor(value)
