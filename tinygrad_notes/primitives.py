"""The primitive ops: each one's forward (numpy) and backward (its VJP, in Tensor ops) side by side.

Every other differentiable op is composed from these. A backward returns one
gradient per input (None where `ctx.needs_input_grad` says none is wanted);
inputs passed as plain numbers or arrays are constants and get None.

A rule reads its inputs with `ctx.operands()` and its output with
`ctx.output()`: Tensors while the backward itself is being recorded
(create_graph=True), the plain numpy arrays otherwise. Rules therefore use only
what Tensor and ndarray share (arithmetic, `@`, `reshape`, `sum`, `swapaxes`,
`transpose`, `astype`, indexing, and the ops' own `apply`), and the same rule
serves first-order speed and second-order graphs (see autograd.py).

Each class is the one record of its op: besides forward and backward it names
its batched replay rule (`batched`, from batching.py: how its forward runs on
values with a leading batch axis, which the gradient checker's replay uses) and
what other parts read about it (`commutative`, `is_view`, `saves_output`).
Adding a primitive is its class here and its entry in the op registry
(gradcheck/opinfo.py); a test fails for a primitive without a batched rule.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_notes import mode
from tinygrad_notes.batching import (
    batch_along_axes,
    batch_broadcast_to,
    batch_concatenate,
    batch_elementwise,
    batch_getitem,
    batch_matmul,
    batch_pad,
    batch_reduction,
    batch_reshape,
    batch_scatter_add,
    batch_transpose,
)
from tinygrad_notes.broadcast import unbroadcast
from tinygrad_notes.errors import empty_reduction_error, normalize_axes, shape_of
from tinygrad_notes.function import Function
from tinygrad_notes.tensor import Tensor, where

_modes = mode.current.get  # this thread's modes (grad, scope, anomaly, default dtype)


def _data(v: Any) -> Any:
    """The array behind a Tensor input, or the constant itself."""
    return v._data if isinstance(v, Tensor) else v


class Primitive(Function):
    """An op whose backward runs on Tensors and on plain numpy gradients alike: the library's, or a user's fused op.

    Its backward may use only what Tensor and ndarray share (module docstring), reading its inputs
    through `ctx.operands()`; the walk then hands it numpy gradients when no graph of the backward is
    wanted, which is what makes small ops cheap. `batched` names its replay rule (batching.py); without
    one, the gradient checker's replay runs the op once per perturbed copy.
    """

    __slots__ = ()
    raw_grads = True

    def operands(ctx) -> tuple:
        """The inputs for the backward rule: Tensors when the backward is recorded, else their arrays."""
        inputs = ctx.inputs
        if _modes().grad_enabled:
            return inputs
        if len(inputs) == 1:
            return (inputs[0]._data,)
        if len(inputs) == 2:
            a, b = inputs
            return (a._data if isinstance(a, Tensor) else a, b._data if isinstance(b, Tensor) else b)
        return tuple(v._data if isinstance(v, Tensor) else v for v in inputs)


def _exp(v: Any) -> Any:
    """e ** v for a Tensor (recorded) or an array (plain numpy)."""
    return Exp.apply(v) if isinstance(v, Tensor) else np.exp(v)


def _broadcast(v: Any, shape: tuple[int, ...]) -> Any:
    """v repeated to `shape`: recorded for a Tensor, a numpy view for an array."""
    return BroadcastTo.apply(v, shape=shape) if isinstance(v, Tensor) else np.broadcast_to(v, shape)


def _sin(v: Any) -> Any:
    return Sin.apply(v) if isinstance(v, Tensor) else np.sin(v)


def _cos(v: Any) -> Any:
    return Cos.apply(v) if isinstance(v, Tensor) else np.cos(v)


def _pow_exponent_slope(x: Any, y: Any, out: Any) -> Any:
    """x^y log x, the slope of x ** y in the exponent, with the math's values where it has them (as PyTorch):

    0 at x = 0 with y >= 0 (the limit of x^y log x), -inf at x = 0 with y < 0 (inf times log 0 = -inf),
    NaN for x < 0 (x^y is not differentiable in y there: the log of a negative number) and at x = -inf.
    A 0 where the math has no answer would be a silent wrong gradient.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        # asanyarray: a compiled step's traced array stays itself
        log_x = Log.apply(x) if isinstance(x, Tensor) else np.log(np.asanyarray(x))
        slope = out * log_x
    zero_base = np.logical_and(np.equal(_data(x), 0), np.greater_equal(_data(y), 0))
    if not zero_base.any():
        return slope
    return where(zero_base, 0, slope) if isinstance(slope, Tensor) else np.where(zero_base, 0, slope)


# ---- elementwise binary -------------------------------------------------------------------
class Add(Primitive):
    __slots__ = ()
    op_name = "add"
    batched = classmethod(batch_elementwise)
    commutative = True

    def forward(ctx, x, y):
        return x + y

    def backward(ctx, g):  # d(x+y)/dx = 1, d(x+y)/dy = 1
        x, y = ctx.inputs  # only their shapes are needed
        nx, ny = ctx.needs_input_grad
        return (unbroadcast(g, x.shape) if nx else None, unbroadcast(g, y.shape) if ny else None)


class Sub(Primitive):
    __slots__ = ()
    op_name = "sub"
    batched = classmethod(batch_elementwise)

    def forward(ctx, x, y):
        return x - y

    def backward(ctx, g):  # d(x-y)/dx = 1, d(x-y)/dy = -1
        x, y = ctx.inputs  # only their shapes are needed
        nx, ny = ctx.needs_input_grad
        return (unbroadcast(g, x.shape) if nx else None, unbroadcast(-g, y.shape) if ny else None)


class Mul(Primitive):
    __slots__ = ()
    op_name = "mul"
    batched = classmethod(batch_elementwise)
    commutative = True

    def forward(ctx, x, y):
        return x * y

    def backward(ctx, g):  # d(xy)/dx = y, d(xy)/dy = x
        x, y = ctx.operands()
        nx, ny = ctx.needs_input_grad
        return (unbroadcast(g * y, x.shape) if nx else None, unbroadcast(g * x, y.shape) if ny else None)


class Div(Primitive):
    __slots__ = ()
    op_name = "div"
    batched = classmethod(batch_elementwise)

    def forward(ctx, x, y):
        return x / y

    def backward(ctx, g):  # d(x/y)/dx = 1/y, d(x/y)/dy = -x/y^2
        x, y = ctx.operands()
        nx, ny = ctx.needs_input_grad
        gx = unbroadcast(g / y, x.shape) if nx else None
        gy = unbroadcast(-(g * x) / (y * y), y.shape) if ny else None
        return gx, gy


class Pow(Primitive):
    __slots__ = ()
    op_name = "pow"
    batched = classmethod(batch_elementwise)
    saves_output = True

    def forward(ctx, x, y):
        return x ** y

    @staticmethod
    def explain(err: Exception, arrays: list, attrs: dict) -> Exception | None:
        if "negative integer powers" not in str(err):
            return None
        return ValueError(f"pow: an integer tensor to a negative integer power (shapes {shape_of(arrays[0])} and "
                          f"{shape_of(arrays[1])}) has no integer result, so numpy refuses it; make the base float "
                          "first, e.g. x.astype(np.float32) ** -1")

    def backward(ctx, g):  # d(x^y)/dx = y x^(y-1), d(x^y)/dy = x^y log x (NaN if x < 0; at 0: 0 if y >= 0, else -inf)
        x, y = ctx.operands()
        nx, ny = ctx.needs_input_grad
        gx = gy = None
        if nx:
            constant_zero = not isinstance(y, Tensor) and np.all(np.asarray(y) == 0)
            gx = unbroadcast(g * 0 if constant_zero else g * y * x ** (y - 1), x.shape)
        if ny:
            with np.errstate(invalid="ignore"):  # NaN * g where the slope is NaN (x < 0): kept, not warned
                gy = unbroadcast(g * _pow_exponent_slope(x, y, ctx.output()), y.shape)
        return gx, gy


class Maximum(Primitive):
    __slots__ = ()
    op_name = "maximum"
    batched = classmethod(batch_elementwise)
    commutative = True
    pick, wins = np.maximum, np.greater  # Minimum swaps these

    def forward(ctx, x, y):
        return type(ctx).pick(x, y)

    def backward(ctx, g):  # 1 to the input that won, 1/2 and 1/2 at ties
        x, y = ctx.operands()
        xd, yd = _data(x), _data(y)
        w = np.where(type(ctx).wins(xd, yd), 1.0, np.where(xd == yd, 0.5, 0.0)).astype(g.dtype, copy=False)
        nx, ny = ctx.needs_input_grad
        return (unbroadcast(g * w, x.shape) if nx else None, unbroadcast(g * (1 - w), y.shape) if ny else None)


class Minimum(Maximum):
    __slots__ = ()
    op_name = "minimum"
    pick, wins = np.minimum, np.less


# ---- elementwise unary --------------------------------------------------------------------
class Neg(Primitive):
    __slots__ = ()
    op_name = "neg"
    batched = classmethod(batch_elementwise)

    def forward(ctx, x):
        return -x

    def backward(ctx, g):  # d(-x)/dx = -1
        return -g


class Exp(Primitive):
    __slots__ = ()
    op_name = "exp"
    batched = classmethod(batch_elementwise)
    saves_output = True

    def forward(ctx, x):
        return np.exp(x)

    def backward(ctx, g):  # d e^x/dx = e^x
        return g * ctx.output()


class Log(Primitive):
    __slots__ = ()
    op_name = "log"
    batched = classmethod(batch_elementwise)

    def forward(ctx, x):
        return np.log(x)

    def backward(ctx, g):  # d log x/dx = 1/x
        return g / ctx.operands()[0]


class Sqrt(Primitive):
    __slots__ = ()
    op_name = "sqrt"
    batched = classmethod(batch_elementwise)
    saves_output = True

    def forward(ctx, x):
        return np.sqrt(x)

    def backward(ctx, g):  # d sqrt(x)/dx = 1 / (2 sqrt(x))
        return g / (ctx.output() * 2)


class Sin(Primitive):
    __slots__ = ()
    op_name = "sin"
    batched = classmethod(batch_elementwise)

    def forward(ctx, x):
        return np.sin(x)

    def backward(ctx, g):  # d sin x/dx = cos x
        return g * _cos(ctx.operands()[0])


class Cos(Primitive):
    __slots__ = ()
    op_name = "cos"
    batched = classmethod(batch_elementwise)

    def forward(ctx, x):
        return np.cos(x)

    def backward(ctx, g):  # d cos x/dx = -sin x
        return -(g * _sin(ctx.operands()[0]))


class Tanh(Primitive):
    __slots__ = ()
    op_name = "tanh"
    batched = classmethod(batch_elementwise)
    saves_output = True

    def forward(ctx, x):
        return np.tanh(x)

    def backward(ctx, g):  # d tanh x/dx = 1 - tanh(x)^2
        y = ctx.output()
        return g * (1 - y * y)


class Sigmoid(Primitive):
    __slots__ = ()
    op_name = "sigmoid"
    batched = classmethod(batch_elementwise)
    saves_output = True

    def forward(ctx, x):
        e = np.exp(-np.abs(x))  # never overflows: e in (0, 1]
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(np.result_type(x), copy=False)

    def backward(ctx, g):  # d s(x)/dx = s(x) (1 - s(x))
        s = ctx.output()
        return g * (s * (1 - s))


class Softmax(Primitive):
    """exp(x - max) / sum(exp(x - max)) along `axis`, fused into one op (stable, and the MLP benchmark asked)."""

    __slots__ = ()
    op_name = "softmax"
    batched = classmethod(batch_along_axes)
    saves_output = True

    def forward(ctx, x, axis=-1):
        if np.size(x) == 0:  # nothing to normalize: an empty result of x's shape
            return np.exp(x)
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        return e / e.sum(axis=axis, keepdims=True)

    def backward(ctx, g):  # ds/dx^T g = s * (g - sum(g * s))
        s = ctx.output()
        return s * (g - (g * s).sum(axis=ctx.attrs["axis"], keepdims=True))


class LogSoftmax(Primitive):
    """x - logsumexp(x) along `axis`, fused into one op (stable, exact where softmax underflows)."""

    __slots__ = ()
    op_name = "log_softmax"
    batched = classmethod(batch_along_axes)
    saves_output = True

    def forward(ctx, x, axis=-1):
        if np.size(x) == 0:  # nothing to normalize: an empty result of x's shape
            return np.exp(x)
        shifted = x - x.max(axis=axis, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))

    def backward(ctx, g):  # d log_softmax/dx^T g = g - softmax(x) * sum(g)
        return g - _exp(ctx.output()) * g.sum(axis=ctx.attrs["axis"], keepdims=True)


class Relu(Primitive):
    __slots__ = ()
    op_name = "relu"
    batched = classmethod(batch_elementwise)

    def forward(ctx, x):
        return np.maximum(x, 0)

    def backward(ctx, g):  # d relu(x)/dx = 1 if x > 0 else 0 (0 at the kink, like PyTorch)
        return g * (ctx.inputs[0]._data > 0)


class Abs(Primitive):
    __slots__ = ()
    op_name = "abs"
    batched = classmethod(batch_elementwise)

    def forward(ctx, x):
        return np.abs(x)

    def backward(ctx, g):  # d|x|/dx = sign(x), 0 at 0
        return g * np.sign(ctx.inputs[0]._data)


class Clip(Primitive):
    __slots__ = ()
    op_name = "clip"
    batched = classmethod(batch_elementwise)

    def forward(ctx, x, lo=None, hi=None):
        if lo is None and hi is None:
            return x
        return np.clip(x, lo, hi)

    def backward(ctx, g):  # 1 inside [lo, hi] (bounds included), 0 where clipped
        x = ctx.inputs[0]._data
        lo, hi = ctx.attrs.get("lo"), ctx.attrs.get("hi")
        inside = np.ones(np.shape(x), dtype=bool)
        if lo is not None:
            inside &= x >= lo
        if hi is not None:
            inside &= x <= hi
        return g * inside


class Cast(Primitive):
    __slots__ = ()
    op_name = "astype"
    batched = classmethod(batch_elementwise)

    def forward(ctx, x, dtype):
        return x.astype(dtype)

    def backward(ctx, g):  # identity, cast back to the input's dtype
        return g.astype(ctx.inputs[0].dtype)


# ---- reductions ---------------------------------------------------------------------------
def _keepdims_shape(shape: tuple[int, ...], axes: tuple[int, ...] | None) -> tuple[int, ...]:
    return tuple(1 if axes is None or i in axes else s for i, s in enumerate(shape))


class Sum(Primitive):
    __slots__ = ("axes",)
    op_name = "sum"
    batched = classmethod(batch_reduction)

    def forward(ctx, x, axis=None, keepdims=False):
        ctx.axes = normalize_axes("sum", axis, np.ndim(x))
        return x.sum(axis=ctx.axes, keepdims=keepdims)

    def backward(ctx, g):  # d sum/dx_i = 1: spread g back over the summed axes
        x = ctx.operands()[0]
        return _broadcast(g.reshape(_keepdims_shape(x.shape, ctx.axes)), x.shape)


class Mean(Sum):
    """sum / n, fused into one op: every loss ends in a mean (the MLP benchmark asked)."""

    __slots__ = ()
    op_name = "mean"

    def forward(ctx, x, axis=None, keepdims=False):
        ctx.axes = normalize_axes("mean", axis, np.ndim(x))
        return x.mean(axis=ctx.axes, keepdims=keepdims)

    def backward(ctx, g):  # d mean/dx_i = 1/n, n = the number of elements averaged
        x = ctx.operands()[0]
        n = x.size if ctx.axes is None else int(np.prod([x.shape[a] for a in ctx.axes]))
        return _broadcast(g.reshape(_keepdims_shape(x.shape, ctx.axes)) / n, x.shape)


class Max(Primitive):
    __slots__ = ("axes", "top")
    op_name = "max"
    batched = classmethod(batch_reduction)
    extreme = staticmethod(np.max)  # Min (primitives_reduce.py) swaps in np.min

    def forward(ctx, x, axis=None, keepdims=False):
        op = type(ctx).op_name
        ctx.axes = normalize_axes(op, axis, np.ndim(x))
        if np.size(x) == 0 and (ctx.axes is None or 0 in [np.shape(x)[a] for a in ctx.axes]):
            raise empty_reduction_error(op, np.shape(x), axis)  # over an axis that has elements it is empty too
        ctx.top = type(ctx).extreme(x, axis=ctx.axes, keepdims=True)
        if keepdims:
            return ctx.top
        return ctx.top.reshape(()) if ctx.axes is None else np.squeeze(ctx.top, axis=ctx.axes)

    def backward(ctx, g):  # 1 to the maximum; k tied maxima get 1/k each
        x = ctx.inputs[0]._data
        hits = x == ctx.top
        weights = (hits / np.sum(hits, axis=ctx.axes, keepdims=True)).astype(x.dtype, copy=False)
        return g.reshape(_keepdims_shape(x.shape, ctx.axes)) * weights


# ---- matmul -------------------------------------------------------------------------------
class MatMul(Primitive):
    __slots__ = ()
    op_name = "matmul"
    batched = classmethod(batch_matmul)

    def forward(ctx, x, y):
        return np.matmul(x, y)

    @staticmethod
    def explain(err: Exception, arrays: list, attrs: dict) -> str | None:
        a, b = (shape_of(v) for v in arrays)
        if not a or not b:
            return (f"matmul: shapes {a} and {b}: both operands need at least one dimension; "
                    "use * to scale by a scalar")
        ka, kb = a[-1], (b[-2] if len(b) > 1 else b[0])
        if ka != kb:
            return (f"matmul: shapes {a} and {b} are not aligned: {ka} (dim {len(a) - 1}) != "
                    f"{kb} (dim {max(len(b) - 2, 0)})")
        return (f"matmul: batch dimensions {a[:-2]} and {b[:-2]} of shapes {a} and {b} cannot be "
                "broadcast together")

    def backward(ctx, g):  # d(AB)/dA = G B^T, d(AB)/dB = A^T G; 1-D operands as a row / a column
        x, y = ctx.operands()
        nx, ny = ctx.needs_input_grad
        if x.ndim == 2 and y.ndim == 2:  # the common case: no batch axes to sum, no vector to reshape
            return (g @ y.T if nx else None, x.T @ g if ny else None)
        xs, ys = shape_of(_data(x)), shape_of(_data(y))
        a = x if len(xs) > 1 else x.reshape(1, xs[0])
        b = y if len(ys) > 1 else y.reshape(ys[0], 1)
        if len(ys) == 1:  # the column's axis was dropped from the output: put it back
            g = g.reshape(g.shape + (1,))
        if len(xs) == 1:  # likewise the row's
            g = g.reshape(g.shape[:-1] + (1,) + g.shape[-1:])
        gx = unbroadcast(g @ b.swapaxes(-1, -2), shape_of(_data(a))).reshape(xs) if nx else None
        gy = unbroadcast(a.swapaxes(-1, -2) @ g, shape_of(_data(b))).reshape(ys) if ny else None
        return gx, gy


# ---- movement -----------------------------------------------------------------------------
class Reshape(Primitive):
    __slots__ = ()
    op_name = "reshape"
    batched = classmethod(batch_reshape)
    is_view = True

    def forward(ctx, x, shape):
        return np.reshape(x, shape)

    @staticmethod
    def explain(err: Exception, arrays: list, attrs: dict) -> str:
        s = shape_of(arrays[0])
        return (f"reshape: cannot reshape a tensor of shape {s} ({int(np.prod(s))} elements) into shape "
                f"{tuple(attrs['shape'])}; the sizes must multiply to the same count (one size may be -1)")

    def backward(ctx, g):  # reshape the gradient back
        return g.reshape(ctx.operands()[0].shape)


class Transpose(Primitive):
    __slots__ = ()
    op_name = "transpose"
    batched = classmethod(batch_transpose)
    is_view = True

    def forward(ctx, x, axes=None):
        return np.transpose(x, axes)

    @staticmethod
    def explain(err: Exception, arrays: list, attrs: dict) -> str:
        s = shape_of(arrays[0])
        return (f"transpose: axes {attrs['axes']} do not fit a tensor of shape {s}; "
                f"give a permutation of 0..{len(s) - 1} (to swap two axes, as PyTorch's transpose does, "
                "use swapaxes(a, b))")

    def backward(ctx, g):  # undo the permutation
        axes = ctx.attrs["axes"]
        return g.transpose() if axes is None else g.transpose(tuple(np.argsort([a % g.ndim for a in axes])))


class BroadcastTo(Primitive):
    __slots__ = ()
    op_name = "broadcast_to"
    batched = classmethod(batch_broadcast_to)
    is_view = True

    def forward(ctx, x, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def explain(err: Exception, arrays: list, attrs: dict) -> str:
        return (f"broadcast_to: cannot broadcast a tensor of shape {shape_of(arrays[0])} to {tuple(attrs['shape'])}; "
                "only size-1 axes (and new leading axes) can be repeated")

    def backward(ctx, g):  # sum over the repeated axes
        return unbroadcast(g, ctx.operands()[0].shape)


def is_basic_index(index: Any) -> bool:
    """True for ints, slices, None and Ellipsis only: no element can be picked twice."""
    items = index if isinstance(index, tuple) else (index,)
    for i in items:
        if isinstance(i, (bool, np.bool_)) or not isinstance(i, (int, np.integer, slice, type(None), type(Ellipsis))):
            return False
    return True


class GetItem(Primitive):
    __slots__ = ()
    op_name = "getitem"
    batched = classmethod(batch_getitem)
    is_view = True

    def forward(ctx, x, index):
        return x[index]

    @staticmethod
    def explain(err: Exception, arrays: list, attrs: dict) -> str:
        return f"getitem: {err} (tensor shape {shape_of(arrays[0])}, index {attrs['index']!r})"

    def backward(ctx, g):  # scatter g back to where it was picked; repeated picks add up
        shape, index = ctx.inputs[0].shape, ctx.attrs["index"]
        if isinstance(g, Tensor):
            return ScatterAdd.apply(g, index=index, shape=shape)
        return ScatterAdd.forward(None, g, index, shape)  # the same numpy, without a graph node


class ScatterAdd(Primitive):
    """zeros(shape) with `g` added at `index`: the VJP of getitem (and getitem is its VJP).

    With a leading slice in `index` and a batch axis in `shape`, the same forward scatters B copies
    at once (its batched rule).
    """

    __slots__ = ()
    op_name = "scatter_add"
    batched = classmethod(batch_scatter_add)

    def forward(ctx, g, index, shape):
        out = np.zeros(shape, dtype=np.result_type(g))
        if is_basic_index(index):
            out[index] = g
        else:
            np.add.at(out, index, g)
        return out

    def backward(ctx, gg):  # pick the same entries back out
        return GetItem.apply(gg, index=ctx.attrs["index"])


class Concatenate(Primitive):
    __slots__ = ("axis",)
    op_name = "concatenate"
    batched = classmethod(batch_concatenate)

    def forward(ctx, *xs, axis=0):
        ctx.axis = axis
        return np.concatenate(xs, axis=axis)

    @staticmethod
    def explain(err: Exception, arrays: list, attrs: dict) -> str:
        shapes = ", ".join(str(shape_of(a)) for a in arrays)
        return (f"concatenate: inputs must have the same number of dimensions and the same sizes except "
                f"along axis {attrs.get('axis', 0)}; got shapes {shapes}")

    def backward(ctx, g):  # each input gets its own slice of g
        axis = ctx.axis % g.ndim
        grads, start = [], 0
        for x, need in zip(ctx.operands(), ctx.needs_input_grad):
            stop = start + shape_of(_data(x))[axis]
            grads.append(g[(slice(None),) * axis + (slice(start, stop),)] if need else None)
            start = stop
        return tuple(grads)


class Pad(Primitive):
    __slots__ = ("widths",)
    op_name = "pad"
    batched = classmethod(batch_pad)

    def forward(ctx, x, pad_width, constant_values=0):
        widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (np.ndim(x), 2))
        if (widths < 0).any():
            raise ValueError("pad: pad widths must be non-negative")
        ctx.widths = widths
        return np.pad(x, widths, mode="constant", constant_values=constant_values)

    @staticmethod
    def explain(err: Exception, arrays: list, attrs: dict) -> str:
        return (f"pad: pad_width {attrs['pad_width']!r} does not fit a tensor of shape {shape_of(arrays[0])}: "
                "give non-negative ints as N, (before, after) or one (before, after) pair per axis")

    def backward(ctx, g):  # crop the padding off
        x = ctx.operands()[0]
        return g[tuple(slice(int(b), int(b) + s) for (b, _), s in zip(ctx.widths, x.shape))]


class Where(Primitive):
    __slots__ = ()
    op_name = "where"
    batched = classmethod(batch_elementwise)

    def forward(ctx, cond, a, b):
        return np.where(cond, a, b)

    def backward(ctx, g):  # g flows to a where cond holds, to b elsewhere
        cond, a, b = ctx.operands()
        _, na, nb = ctx.needs_input_grad
        ga = unbroadcast(Where.apply(cond, g, 0), a.shape) if na else None
        gb = unbroadcast(Where.apply(cond, 0, g), b.shape) if nb else None
        return None, ga, gb
