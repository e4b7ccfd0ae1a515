"""Tensor: a numpy array that remembers the op that made it, so gradients can flow back to it.

Every differentiable method here is one line: a primitive from `primitives.py`
(forward and VJP side by side) or a short composition of them, so its gradient
is right when the primitives are.

Tensor and the ops are one essential cycle: a Tensor method runs a primitive, and
running a primitive makes a Tensor. It is closed in one place, the imports at the
bottom of this file; the package's `__init__` imports this module first, so every
other engine module can import Tensor at its top.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tinygrad_notes import mode
from tinygrad_notes.errors import (
    ShapeError,
    broadcast_message,
    normalize_axes,
    numpy_keywords,
    operand_error,
    single_axis,
)
from tinygrad_notes.mode import get_default_dtype, set_default_dtype

if TYPE_CHECKING:
    from tinygrad_notes.function import Function

__all__ = ["Tensor", "where", "get_default_dtype", "set_default_dtype"]

_ndarray = np.ndarray
_new = object.__new__
_modes = mode.current.get  # this thread's modes (grad, scope, anomaly, default dtype)


def _make(data: Any, requires_grad: bool, ctx: Function | None) -> Tensor:
    """Wrap an op's result without validation: the hot path of every op."""
    t = _new(Tensor)
    t._data = data
    t.grad = None
    t.requires_grad = requires_grad
    t._ctx = ctx
    t._version = None
    t._extra = None
    return t


def version_box(t: Tensor) -> list[int]:
    """The tensor's version box: [stamp of its last in-place write], shared by its views and detached copies."""
    box = t._version
    if box is None:
        box = t._version = [0]
    return box


def _array_of(data: Any, dtype: Any) -> np.ndarray:
    """numpy array for Tensor(data): arrays keep their dtype, Python numbers become the default float."""
    if isinstance(data, Tensor):
        arr = data._data
    elif isinstance(data, (np.ndarray, np.generic)):
        arr = data
    else:
        if isinstance(data, (list, tuple)):
            _refuse_graph_elements(data)
        arr = np.asarray(data)
        if dtype is None and arr.dtype.kind in "iuf":
            arr = arr.astype(_modes().default_dtype)
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"Tensor: cannot make a tensor of dtype {arr.dtype} (from {type(data).__name__}); "
            "give numbers, nested lists of numbers, or a numeric numpy array"
        )
    tracer = _modes().tracer
    if tracer is not None:  # a compiled step is being traced: keep following the array (jit/tracer.py)
        return tracer.tensor_array(arr, dtype)
    if dtype is not None:
        arr = np.asarray(arr, dtype=dtype)
    return np.asarray(arr)


def _refuse_graph_elements(data: list | tuple) -> None:
    """Tensor([p, 2 * p]) would copy the values and silently cut p from the graph: refuse, and say to use stack."""
    if not _modes().grad_enabled:
        return
    lists = [data]
    while lists:
        for item in lists.pop():
            if type(item) is list or type(item) is tuple:
                lists.append(item)
            elif isinstance(item, Tensor) and item.requires_grad:
                raise TypeError(
                    f"Tensor: the list holds a tensor that requires grad (shape {item.shape}); a new tensor made "
                    "from it would copy its values and cut it from the graph, so no gradient would reach it. Use "
                    "tinygrad_notes.stack([...]) (or concatenate) to keep the graph, or .detach() the elements to "
                    "copy their values on purpose"
                )


class _HookHandle:
    """Returned by `register_hook`; `.remove()` takes the hook off again."""

    def __init__(self, hooks: list, fn: Callable) -> None:
        self._hooks, self._fn = hooks, fn

    def remove(self) -> None:
        if self._fn in self._hooks:
            self._hooks.remove(self._fn)


class Tensor:
    """An n-d array (numpy inside) that records the ops applied to it when it requires grad.

    `Tensor(data, requires_grad=False, dtype=None)`: a numpy array keeps its dtype
    and shares its memory (like `np.asarray`); Python numbers and nested lists
    become the default float dtype (`set_default_dtype`), bools stay bool. Only
    float tensors can require grad. The op families beyond the core ones are written
    in their own files (tensor_math.py, tensor_integer.py, tensor_reduce.py,
    tensor_movement.py, tensor_index.py, tensor_conv.py) and become methods of this
    class at the bottom of this file.
    """

    __slots__ = ("_data", "grad", "requires_grad", "_ctx", "_version", "_extra", "__weakref__")
    __array_ufunc__ = None  # numpy defers `ndarray op Tensor` to our reflected methods
    __hash__ = object.__hash__  # == is elementwise, so hashing is by identity

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        arr = _array_of(data, dtype)
        if requires_grad and arr.dtype.kind != "f":
            raise TypeError(
                f"Tensor: only floating-point tensors can require grad, this one is {arr.dtype}; "
                "pass dtype=np.float32 (or float64), or call .astype(np.float32) first"
            )
        self._data = arr
        self.grad: Tensor | None = None
        self.requires_grad = bool(requires_grad)
        self._ctx: Function | None = None
        self._version: list[int] | None = None
        self._extra: dict | None = None

    # ---- the array and its metadata -------------------------------------------------------
    @property
    def data(self) -> np.ndarray:
        """The numpy array; read-only while a graph that has not run backward yet holds this tensor."""
        tracer = _modes().tracer
        if tracer is not None:  # a compiled step is being traced: a read on the Python side (jit/tracer.py)
            return tracer.data(self, ".data")
        d = self._data
        if type(d) is not _ndarray:
            d = self._data = np.asarray(d)
        if self._held_by_graph():
            d = d.view()
            d.flags.writeable = False
        return d

    @data.setter
    def data(self, value: Any) -> None:
        arr = np.asarray(value._data if isinstance(value, Tensor) else value)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"Tensor.data: cannot hold an array of dtype {arr.dtype}; give a numeric (bool, int or "
                            "float) array")
        self._data = arr
        version_box(self)[0] = mode.count_write()

    def inplace_data(self) -> np.ndarray:
        """The array itself, for in-place numpy updates outside the graph (optimizers, initializers).

        Counts as a write: a live graph that saved this tensor refuses backward afterwards.
        """
        tracer = _modes().tracer
        if tracer is not None:  # a compiled step is being traced: the writes are recorded (jit/tracer.py)
            return tracer.inplace(self)
        d = self._data
        if type(d) is not _ndarray:
            d = self._data = np.asarray(d)
        version_box(self)[0] = mode.count_write()
        return d

    def _held_by_graph(self) -> bool:
        if self._ctx is not None:
            return self._ctx.inputs is not None
        savers = self._extra.get("savers") if self._extra else None
        if not savers:
            return False
        for ref in savers:
            node = ref()
            if node is not None and node.inputs is not None:
                return True
        return False

    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def size(self) -> int:
        return int(self._data.size)

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user rather than by an op."""
        return self._ctx is None

    @property
    def grad_fn(self) -> Function | None:
        """The graph node (a Function instance) that made this tensor, or None for a leaf."""
        return self._ctx

    @property
    def name(self) -> str | None:
        """An optional label shown in graph pictures and gradient-check reports."""
        return self._extra.get("name") if self._extra else None

    @name.setter
    def name(self, value: str | None) -> None:
        if self._extra is None:
            self._extra = {}
        self._extra["name"] = value

    def item(self) -> float | int | bool:
        """The single value as a Python number."""
        if self._data.size != 1:
            raise ValueError(f"item: only a one-element tensor can become a number, this one has shape {self.shape}")
        _python_read(self, ".item()")
        return self._data.item()

    def numpy(self) -> np.ndarray:
        """The data as a numpy array (shares memory, like `.data`)."""
        tracer = _modes().tracer
        if tracer is not None:
            return tracer.data(self, ".numpy()")
        return self.data

    def tolist(self) -> Any:
        _python_read(self, ".tolist()")
        return self._data.tolist()

    def detach(self) -> Tensor:
        """The same data, cut from the graph (shares memory and the in-place version counter)."""
        t = _make(self._data, False, None)
        t._version = version_box(self)
        return t

    def astype(self, dtype: Any) -> Tensor:
        """A copy converted to `dtype`; differentiable between float dtypes."""
        try:
            dt = np.dtype(dtype)
        except TypeError as err:
            raise TypeError(f"astype: {dtype!r} is not a dtype ({err}); give e.g. np.float32") from None
        if dt == self._data.dtype:
            return self
        if dt.kind not in "biuf":
            raise TypeError(f"astype: cannot convert to {dt}; tensors hold bool, int or float values (this library "
                            "is real-valued)")
        if dt.kind != "f" or self._data.dtype.kind != "f":
            return _make(self._data.astype(dt), False, None)
        return P.Cast.apply(self, dtype=dt)

    # ---- autograd -------------------------------------------------------------------------
    def backward(self, grad: Any = None, retain_graph: bool | None = None, create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's `.grad` (pass `grad` unless self has one element)."""
        _backward(self, grad, retain_graph=retain_graph, create_graph=create_graph)

    def retain_grad(self) -> None:
        """Keep `.grad` on this non-leaf tensor after backward (leaves always keep theirs)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad: this tensor does not require grad, so it will never get one")
        if self._ctx is not None:
            extra = self._ctx.extra
            if extra is None:
                extra = self._ctx.extra = {}
            extra["retained"] = weakref.ref(self)

    def register_hook(self, fn: Callable[[Tensor], Tensor | None]) -> _HookHandle:
        """Call `fn(grad)` when this tensor's gradient is computed; a returned Tensor replaces the gradient."""
        if not self.requires_grad:
            raise RuntimeError("register_hook: this tensor does not require grad, so no gradient will reach a hook")
        if self._ctx is None:
            if self._extra is None:
                self._extra = {}
            hooks = self._extra.setdefault("hooks", [])
        else:
            if self._ctx.extra is None:
                self._ctx.extra = {}
            hooks = self._ctx.extra.setdefault("hooks", [])
        hooks.append(fn)
        return _HookHandle(hooks, fn)

    # ---- Python protocol ------------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        """For copying and for shipping to worker processes: the data, not the graph or its bookkeeping."""
        return {"data": np.asarray(self._data), "requires_grad": self.requires_grad, "name": self.name,
                "grad": self.grad}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._data, self.requires_grad, self.grad = state["data"], state["requires_grad"], state["grad"]
        self._ctx, self._version, self._extra = None, None, None
        if state.get("name") is not None:
            self.name = state["name"]

    def __repr__(self) -> str:
        body = np.array2string(np.asarray(self._data), separator=", ", prefix="Tensor(", threshold=64)
        extra = f", dtype={self._data.dtype}"
        if self._ctx is not None:
            extra += f", grad_fn=<{op_name(self._ctx)}>"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"Tensor({body}{extra})"

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        for i in range(len(self)):
            yield self[i]

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise ValueError(
                f"the truth value of a tensor of shape {self.shape} is ambiguous; use (t == x).all() style "
                "reductions on .data, or .item() for one element"
            )
        _python_read(self, "bool()")
        return bool(self._data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        _python_read(self, "np.asarray()")
        arr = np.asarray(self._data)
        return arr if dtype is None else arr.astype(dtype)

    # ---- arithmetic (broadcasting like numpy) ---------------------------------------------
    def __add__(self, other: Any) -> Tensor:
        return run_op(P.Add, (self, other))

    def __radd__(self, other: Any) -> Tensor:
        return run_op(P.Add, (other, self))

    def __sub__(self, other: Any) -> Tensor:
        return run_op(P.Sub, (self, other))

    def __rsub__(self, other: Any) -> Tensor:
        return run_op(P.Sub, (other, self))

    def __mul__(self, other: Any) -> Tensor:
        return run_op(P.Mul, (self, other))

    def __rmul__(self, other: Any) -> Tensor:
        return run_op(P.Mul, (other, self))

    def __truediv__(self, other: Any) -> Tensor:
        return run_op(P.Div, (self, other))

    def __rtruediv__(self, other: Any) -> Tensor:
        return run_op(P.Div, (other, self))

    def __pow__(self, other: Any) -> Tensor:
        return run_op(P.Pow, (self, other))

    def __rpow__(self, other: Any) -> Tensor:
        return run_op(P.Pow, (other, self))

    def __matmul__(self, other: Any) -> Tensor:
        return run_op(P.MatMul, (self, other))

    def __rmatmul__(self, other: Any) -> Tensor:
        return run_op(P.MatMul, (other, self))

    def __neg__(self) -> Tensor:
        return run_op(P.Neg, (self,))

    def __pos__(self) -> Tensor:
        return self

    def add(self, other: Any) -> Tensor:
        """self + other."""
        return run_op(P.Add, (self, other))

    def sub(self, other: Any) -> Tensor:
        """self - other."""
        return run_op(P.Sub, (self, other))

    def mul(self, other: Any) -> Tensor:
        """self * other."""
        return run_op(P.Mul, (self, other))

    def div(self, other: Any) -> Tensor:
        """self / other."""
        return run_op(P.Div, (self, other))

    def pow(self, exponent: Any) -> Tensor:
        """self ** exponent (a number or a Tensor; both base and exponent get gradients).

        The exponent's gradient x^y log x follows the math where the base is not positive, as PyTorch's:
        NaN for x < 0 (no derivative in y there), -inf at x = 0 with y < 0, and 0 at x = 0 with y >= 0.
        """
        return run_op(P.Pow, (self, exponent))

    def matmul(self, other: Any) -> Tensor:
        """self @ other with numpy's rules (1-D vectors, batched N-D with broadcast batch dims)."""
        return run_op(P.MatMul, (self, other))

    def neg(self) -> Tensor:
        """-self."""
        return run_op(P.Neg, (self,))

    def maximum(self, other: Any) -> Tensor:
        """Elementwise max; at ties the gradient is split evenly."""
        return run_op(P.Maximum, (self, other))

    def minimum(self, other: Any) -> Tensor:
        """Elementwise min; at ties the gradient is split evenly."""
        return run_op(P.Minimum, (self, other))

    # ---- comparisons: not differentiable, return bool tensors ------------------------------
    def _compare(self, ufunc: np.ufunc, other: Any) -> Tensor:
        o = other._data if isinstance(other, Tensor) else other
        try:
            return _make(ufunc(self._data, o), False, None)
        except ValueError as err:
            raise ShapeError(broadcast_message(ufunc.__name__, [self.shape, np.shape(o)])) from err

    def __lt__(self, other: Any) -> Tensor:
        return self._compare(np.less, other)

    def __le__(self, other: Any) -> Tensor:
        return self._compare(np.less_equal, other)

    def __gt__(self, other: Any) -> Tensor:
        return self._compare(np.greater, other)

    def __ge__(self, other: Any) -> Tensor:
        return self._compare(np.greater_equal, other)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(np.equal, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(np.not_equal, other)

    # ---- in-place: plain numpy writes, or recorded ops when autograd needs them (inplace.py) --
    def _inplace(self, ufunc: np.ufunc, other: Any, symbol: str) -> Tensor:
        other_requires = isinstance(other, Tensor) and other.requires_grad
        if (self.requires_grad or other_requires) and _modes().grad_enabled:
            return _record_inplace(self, other, symbol)  # recorded like PyTorch (inplace.py)
        o = other._data if isinstance(other, Tensor) else other
        d = self.inplace_data()
        try:
            ufunc(d, o, out=d, casting="same_kind")
        except (ValueError, TypeError) as err:
            if not d.flags.writeable:
                raise _read_only_error(f"'{symbol}='", self.shape) from None
            raise ShapeError(
                f"'{symbol}=': cannot write the result of shapes {self.shape} and {np.shape(o)} "
                f"(dtypes {self.dtype} and {np.asarray(o).dtype}) into this tensor of shape {self.shape}: {err}"
            ) from None
        return self

    def __iadd__(self, other: Any) -> Tensor:
        return self._inplace(np.add, other, "+")

    def __isub__(self, other: Any) -> Tensor:
        return self._inplace(np.subtract, other, "-")

    def __imul__(self, other: Any) -> Tensor:
        return self._inplace(np.multiply, other, "*")

    def __itruediv__(self, other: Any) -> Tensor:
        return self._inplace(np.true_divide, other, "/")

    def __setitem__(self, index: Any, value: Any) -> None:
        if _modes().grad_enabled and (self.requires_grad or (isinstance(value, Tensor) and value.requires_grad)):
            raise RuntimeError(
                f"setitem: assigning into a tensor that requires grad (shape {self.shape}) cannot be recorded "
                "for backward; build the new tensor with where()/concatenate(), or assign inside `with no_grad():`"
            )
        v = value._data if isinstance(value, Tensor) else value
        d = self.inplace_data()
        try:
            d[_index(index)] = v
        except (ValueError, IndexError) as err:
            if not d.flags.writeable:
                raise _read_only_error("setitem", self.shape) from None
            raise ShapeError(f"setitem: cannot assign a value of shape {np.shape(v)} at index {index!r} "
                             f"of a tensor of shape {self.shape}: {err}") from None

    # ---- elementwise unary ----------------------------------------------------------------
    def exp(self) -> Tensor:
        """e ** self."""
        return run_op(P.Exp, (self,))

    def log(self) -> Tensor:
        """Natural log (positive inputs)."""
        return run_op(P.Log, (self,))

    def sqrt(self) -> Tensor:
        """Square root (non-negative inputs)."""
        return run_op(P.Sqrt, (self,))

    def square(self) -> Tensor:
        """self * self."""
        return run_op(P.Mul, (self, self))

    def abs(self) -> Tensor:
        """|self|; the gradient at 0 is 0."""
        return run_op(P.Abs, (self,))

    def sign(self) -> Tensor:
        """-1, 0 or 1 elementwise; not differentiable (a constant)."""
        return _make(np.sign(self._data), False, None)

    def sin(self) -> Tensor:
        """Sine."""
        return run_op(P.Sin, (self,))

    def cos(self) -> Tensor:
        """Cosine."""
        return run_op(P.Cos, (self,))

    def tanh(self) -> Tensor:
        """Hyperbolic tangent."""
        return run_op(P.Tanh, (self,))

    def sigmoid(self) -> Tensor:
        """1 / (1 + e ** -self), computed without overflow."""
        return run_op(P.Sigmoid, (self,))

    def relu(self) -> Tensor:
        """max(self, 0); the gradient at 0 is 0."""
        return run_op(P.Relu, (self,))

    @numpy_keywords
    def leaky_relu(self, slope: float = 0.01) -> Tensor:
        """self where positive, slope * self elsewhere."""
        _check_number("leaky_relu", "slope", slope)
        return where(self > 0, self, self * slope)

    def clip(self, lo: Any = None, hi: Any = None) -> Tensor:
        """Clamp into [lo, hi] (either may be None); the gradient is 1 inside, 0 outside."""
        for name, bound in (("lo", lo), ("hi", hi)):
            if bound is not None:
                _check_number("clip", name, bound, arrays=True)
        return P.Clip.apply(self, lo=lo, hi=hi)

    # ---- reductions -----------------------------------------------------------------------
    @numpy_keywords
    def sum(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Sum over `axis` (None, int, negative int or tuple)."""
        return P.Sum.apply(self, axis=axis, keepdims=keepdims)

    @numpy_keywords
    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Mean over `axis`."""
        return P.Mean.apply(self, axis=axis, keepdims=keepdims)

    @numpy_keywords
    def max(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Max over `axis`; at ties the gradient is split evenly among the maxima."""
        return P.Max.apply(self, axis=axis, keepdims=keepdims)

    @numpy_keywords
    def min(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Min over `axis`; at ties the gradient is split evenly among the minima."""
        return PR.Min.apply(self, axis=axis, keepdims=keepdims)

    @numpy_keywords
    def var(self, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
        """Variance over `axis`: sum((x - mean)^2) / (n - ddof)."""
        return self._variance(axis, keepdims, ddof, "var")

    @numpy_keywords
    def std(self, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
        """Standard deviation over `axis`: sqrt(var).

        Where the spread is zero (every value along `axis` equal) sqrt's slope is infinite, and the
        gradient is the subgradient 0 there, as in PyTorch: a constant input leaves the loss unchanged
        whichever way it moves first, so no step is the right step.
        """
        v = self._variance(axis, keepdims, ddof, "std")
        zero = v._data == 0  # no branch on it: a compiled step replays the same ops whatever the data
        return where(zero, 0, where(zero, 1, v).sqrt())  # d std/dx = 0 where the spread is 0

    def _variance(self, axis: Any, keepdims: bool, ddof: int, op: str) -> Tensor:
        n = _count(self, axis, op)
        if not isinstance(ddof, (int, np.integer)) or isinstance(ddof, (bool, np.bool_)):
            raise TypeError(f"{op}: ddof must be an int (the degrees of freedom taken off n), got {ddof!r}")
        if n - ddof <= 0:
            raise ValueError(f"{op}: ddof={ddof} leaves no degrees of freedom for {n} element(s) along axis={axis!r}")
        d = self - self.mean(axis, keepdims=True)
        return (d * d).sum(axis, keepdims) / (n - ddof)

    @numpy_keywords
    def logsumexp(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """log(sum(exp(self))) over `axis`, shifted by the max so it never overflows."""
        _count(self, axis, "logsumexp")
        m = self._data.max(axis=axis, keepdims=True) if self.size else np.zeros(())
        m = np.where(np.isfinite(m), m, 0)
        out = (self - m).exp().sum(axis, keepdims=True).log() + m
        if keepdims:
            return out
        return out.reshape(()) if axis is None else out.squeeze(axis)

    @numpy_keywords
    def argmax(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        """Index of the max along `axis` (not differentiable)."""
        axis = None if axis is None else single_axis("argmax", axis, self.ndim)
        return _make(np.argmax(self._data, axis=axis, keepdims=keepdims), False, None)

    @numpy_keywords
    def argmin(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        """Index of the min along `axis` (not differentiable)."""
        axis = None if axis is None else single_axis("argmin", axis, self.ndim)
        return _make(np.argmin(self._data, axis=axis, keepdims=keepdims), False, None)

    @numpy_keywords
    def softmax(self, axis: int = -1) -> Tensor:
        """exp(x - max) / sum(exp(x - max)) along `axis`: stable for any magnitude."""
        _count(self, axis, "softmax")
        return P.Softmax.apply(self, axis=axis)

    @numpy_keywords
    def log_softmax(self, axis: int = -1) -> Tensor:
        """x - logsumexp(x) along `axis`: stable, and exact where softmax underflows."""
        _count(self, axis, "log_softmax")
        return P.LogSoftmax.apply(self, axis=axis)

    # ---- movement -------------------------------------------------------------------------
    def reshape(self, *shape: Any) -> Tensor:
        """Same data in a new shape; one size may be -1."""
        shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        if shape == self._data.shape:
            return self
        return P.Reshape.apply(self, shape=shape)

    def transpose(self, *axes: Any) -> Tensor:
        """Permute *all* the axes like numpy: transpose() reverses them, transpose(1, 0, 2) reorders them.

        To swap two axes (PyTorch's x.transpose(0, 1)) use x.swapaxes(0, 1): on a matrix x.transpose(0, 1)
        is the identity permutation and returns x unchanged (docs/coming_from_pytorch.md).
        """
        axes = tuple(axes[0]) if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
        return P.Transpose.apply(self, axes=axes or None)

    def permute(self, *axes: Any) -> Tensor:
        """Permute the axes into the given order."""
        return self.transpose(*axes)

    @property
    def T(self) -> Tensor:  # noqa: N802 - numpy's name
        """The axes reversed."""
        return P.Transpose.apply(self, axes=None)

    @numpy_keywords
    def swapaxes(self, a: int, b: int) -> Tensor:
        """Exchange two axes."""
        order = list(range(self.ndim))
        a, b = single_axis("swapaxes", a, self.ndim), single_axis("swapaxes", b, self.ndim)
        order[a], order[b] = order[b], order[a]
        return P.Transpose.apply(self, axes=tuple(order))

    def broadcast_to(self, shape: Sequence[int]) -> Tensor:
        """Repeat along size-1 (or new leading) axes to `shape`, like numpy; the gradient sums back."""
        shape = tuple(shape)
        return self if shape == self.shape else P.BroadcastTo.apply(self, shape=shape)

    @numpy_keywords
    def expand(self, *shape: Any) -> Tensor:
        """`broadcast_to` with PyTorch's spelling: -1 keeps a size."""
        shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        lead = len(shape) - self.ndim
        shape = tuple(self.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(shape))
        return self.broadcast_to(shape)

    @numpy_keywords
    def squeeze(self, axis: Any = None) -> Tensor:
        """Drop size-1 axes (all, or the ones named)."""
        axes = normalize_axes("squeeze", axis, self.ndim)
        if axes is None:
            axes = tuple(i for i, s in enumerate(self.shape) if s == 1)
        for a in axes:
            if self.shape[a] != 1:
                raise ShapeError(f"squeeze: axis {a} has size {self.shape[a]}, not 1 (tensor shape {self.shape})")
        return self.reshape(tuple(s for i, s in enumerate(self.shape) if i not in axes))

    @numpy_keywords
    def unsqueeze(self, axis: int) -> Tensor:
        """Insert a size-1 axis at `axis` (numpy's expand_dims)."""
        axis = single_axis("unsqueeze", axis, self.ndim + 1)  # an axis of the result
        return self.reshape(self.shape[:axis] + (1,) + self.shape[axis:])

    expand_dims = unsqueeze

    @numpy_keywords
    def flatten(self, start_axis: int = 0, end_axis: int = -1) -> Tensor:
        """Merge axes start_axis..end_axis into one (all of them by default)."""
        if self.ndim == 0:
            return self.reshape(1)
        start, end = single_axis("flatten", start_axis, self.ndim), single_axis("flatten", end_axis, self.ndim)
        if start > end:
            raise ShapeError(f"flatten: start_axis={start_axis} comes after end_axis={end_axis} "
                             f"(tensor shape {self.shape})")
        return self.reshape(self.shape[:start] + (-1,) + self.shape[end + 1:])

    def __getitem__(self, index: Any) -> Tensor:
        """numpy indexing: ints, slices with steps, None, Ellipsis, bool masks, integer arrays."""
        return P.GetItem.apply(self, index=_index(index))

    @numpy_keywords
    def split(self, indices_or_sections: Any, axis: int = 0) -> list[Tensor]:
        """numpy's split: into N equal parts, or at the given indices along `axis`."""
        ax = single_axis("split", axis, self.ndim)
        size = self.shape[ax]
        if isinstance(indices_or_sections, (int, np.integer)):
            n = int(indices_or_sections)
            if n <= 0 or size % n:
                raise ShapeError(
                    f"split: axis {ax} of size {size} cannot be split into {n} equal parts; "
                    "pass a list of split indices instead"
                )
            bounds = [i * (size // n) for i in range(n + 1)]
        else:
            bounds = [0, *[int(i) for i in indices_or_sections], size]
        lead = (slice(None),) * ax
        return [self[lead + (slice(a, b),)] for a, b in zip(bounds[:-1], bounds[1:])]

    def pad(self, pad_width: Any, constant_values: float = 0, mode: str = "constant") -> Tensor:
        """numpy's pad: pad_width as N, (before, after) or per-axis pairs; mode "constant" (constant_values),
        "reflect", "symmetric", "edge" (PyTorch's "replicate") or "wrap" ("circular")."""
        _check_number("pad", "constant_values", constant_values, arrays=True)
        mode = PAD_ALIASES.get(mode, mode)
        if mode == "constant":
            return P.Pad.apply(self, pad_width=pad_width, constant_values=constant_values)
        if mode not in PAD_MODES:
            raise ValueError(f"pad: mode must be one of {', '.join(PAD_MODES)} (or {', '.join(PAD_ALIASES)}), "
                             f"got {mode!r}")
        return self._pad_by_index(pad_width, mode)


def _python_read(t: Tensor, how: str) -> None:
    """A tensor's value is read into Python: a compiled step being traced cannot replay what follows."""
    tracer = _modes().tracer
    if tracer is not None:
        tracer.python_read(t, how)


def _read_only_error(what: str, shape: tuple[int, ...]) -> ValueError:
    """An in-place write into a tensor whose array is read-only (an incoming gradient in backward, a broadcast view)."""
    return ValueError(f"{what}: this tensor's array (shape {shape}) is read-only, so it cannot be changed in place. "
                      "The gradient a backward receives is read-only (the same array may reach other nodes, or be "
                      "the caller's): compute a new tensor instead, g = g * 2 rather than g *= 2")


def _check_number(op: str, name: str, value: Any, arrays: bool = False) -> None:
    """Refuse an argument that is not a real number (or, with `arrays`, a numeric array or Tensor)."""
    if isinstance(value, Tensor) and arrays:
        value = value._data
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)) \
            and not (arrays and isinstance(value, np.ndarray) and value.dtype.kind in "iuf"):
        raise TypeError(f"{op}: {name} must be a real number{', an array or a Tensor of them' if arrays else ''}, "
                        f"got {value!r:.60} ({type(value).__name__})")


def _count(t: Tensor, axis: Any, op: str) -> int:
    """How many elements a reduction over `axis` combines."""
    axes = normalize_axes(op, axis, t.ndim)
    if axes is None:
        return t.size
    n = 1
    for a in axes:
        n *= t.shape[a]
    return n


def _index(index: Any) -> Any:
    """An index with Tensors and lists turned into numpy arrays."""
    if isinstance(index, tuple):
        return tuple(_index_item(i) for i in index)
    return _index_item(index)


def _index_item(i: Any) -> Any:
    if isinstance(i, Tensor):
        return i._data
    if isinstance(i, list):
        return np.asarray(i)
    return i


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """a where condition is true, b elsewhere (broadcasting); gradients flow to the chosen side."""
    if isinstance(condition, Tensor):
        cond = condition._data
    else:
        error = operand_error("where", condition, 0)
        if error is not None:
            raise error
        cond = np.asarray(condition)
    return P.Where.apply(cond.astype(bool, copy=False), a, b)


# The cycle's one closing point (see the module docstring): the ops need Tensor defined first.
from tinygrad_notes import primitives as P  # noqa: E402
from tinygrad_notes import primitives_reduce as PR  # noqa: E402
from tinygrad_notes.autograd import backward as _backward  # noqa: E402
from tinygrad_notes.function import op_name, run_op  # noqa: E402
from tinygrad_notes.inplace import record_inplace as _record_inplace  # noqa: E402

# The op families, one file each: their methods become Tensor's own, as if written in this class. Copied rather
# than inherited: a base class, even an empty one, cost every op about 200 instructions (1.5%, callgrind), the
# price CPython charges for a class with a base when it makes and frees an instance.
from tinygrad_notes.tensor_conv import ConvOps  # noqa: E402
from tinygrad_notes.tensor_index import IndexOps  # noqa: E402
from tinygrad_notes.tensor_integer import IntegerOps  # noqa: E402
from tinygrad_notes.tensor_math import MathOps  # noqa: E402
from tinygrad_notes.tensor_movement import PAD_ALIASES, PAD_MODES, MovementOps  # noqa: E402
from tinygrad_notes.tensor_reduce import ReduceOps  # noqa: E402

OP_FAMILIES = (MathOps, IntegerOps, ReduceOps, MovementOps, IndexOps, ConvOps)
for _family in OP_FAMILIES:
    for _name, _method in vars(_family).items():
        if _name not in ("__module__", "__qualname__", "__doc__", "__dict__", "__weakref__"):
            if _name in vars(Tensor):
                raise TypeError(f"{_family.__name__}.{_name} would replace Tensor.{_name}")
            setattr(Tensor, _name, _method)
