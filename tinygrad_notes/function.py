"""`Function`: the one mechanism behind every differentiable op, the library's and the user's.

A subclass defines `forward(ctx, *arrays, **attrs)` on numpy arrays and
`backward(ctx, grad)` (the vector-Jacobian product) written with Tensor ops, so
that `backward(create_graph=True)` records the gradient computation too.
`MyOp.apply(*tensors, **attrs)` runs forward and, when grad mode is on and an
input requires grad, records the call as a node of the graph: the instance
itself is the node (`ctx`), as in `torch.autograd.Function`.
"""

from __future__ import annotations

import itertools
import linecache
import os
import sys
import traceback
import weakref
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from tinygrad_notes import mode
from tinygrad_notes.errors import explain_numpy_error, operand_error
from tinygrad_notes.tensor import Tensor, _make, version_box

_numpy_value = (np.ndarray, np.generic)  # what a forward may return as it is
_new = object.__new__
_order = itertools.count(0, -1)  # newer nodes get smaller numbers: the backward walk runs them first
_NO_ATTRS: Mapping[str, Any] = MappingProxyType({})
_modes = mode.current.get  # this thread's modes (grad, scope, anomaly, default dtype)


class Function:
    """Base class of differentiable ops: subclass it, define `forward` and `backward`, call `.apply`.

    In `forward(ctx, *arrays, **attrs)` the inputs arrive as numpy arrays (or the
    Python scalars passed in); save on `ctx` what backward needs. In
    `backward(ctx, grad)` return one gradient per input (a Tensor, or None for an
    input that needs none), built from Tensor ops so second derivatives work.
    `ctx.inputs` holds the inputs as passed (Tensors for tensors), `ctx.attrs` the
    keyword attributes, `ctx.needs_input_grad[i]` says whether input i wants a
    gradient, and `ctx.output()` gives the op's output as a Tensor of this node
    when the class sets `saves_output = True`.
    """

    __slots__ = (
        "inputs", "needs_input_grad", "stamp", "attrs", "scope", "extra",
        "out_data", "out_box", "pending", "order", "edges", "out_meta", "__weakref__",
    )
    saves_output: bool = False  # keep the output array for backward (exp, tanh, sigmoid...)
    is_view: bool = False  # output may share memory with input 0: share its version counter
    raw_grads: bool = False  # backward also runs on plain numpy gradients (the library's primitives)
    commutative: bool = False  # the order of the inputs does not matter (add, mul): pictures need not number them
    batched: Any = None  # replay rule on a leading batch axis (batching.py); None: the replay runs it once per copy
    replayable: bool = True  # False: compile refuses a step that uses it, by name (a forward with side effects)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # What a backward that frees the graph clears: the slots a subclass added for what it saved
        # (Sum.axes, Max.top), and its __dict__ (a user's ctx.mask).
        cls.saved_slots = tuple(s for k in cls.__mro__ if k not in (Function, object)
                                for s in k.__dict__.get("__slots__", ()) if s not in ("__dict__", "__weakref__"))
        cls.saved_state = bool(cls.saved_slots) or cls.__dictoffset__ != 0

    def forward(ctx, *arrays: Any, **attrs: Any) -> Any:  # noqa: N805 - ctx is the instance
        raise NotImplementedError(f"{type(ctx).__name__} must define forward(ctx, *arrays)")

    def backward(ctx, grad: Tensor) -> Any:  # noqa: N805
        raise NotImplementedError(f"{type(ctx).__name__} must define backward(ctx, grad)")

    @classmethod
    def apply(cls, *args: Any, **attrs: Any) -> Tensor:
        """Run forward on the inputs' arrays; record a graph node when a gradient will be needed."""
        return run_op(cls, args, attrs)

    def output(ctx) -> Tensor:  # noqa: N805
        """The op's output as a Tensor of this node (needs `saves_output = True`), for second-order rules."""
        box = ctx.out_box
        if box[0] > ctx.stamp:
            raise RuntimeError(
                f"backward of {op_name(ctx)}: its output (shape {np.shape(ctx.out_data)}) was modified in place "
                "after the op computed it, so the gradient would be wrong. Modify a copy instead "
                "(y = y * 1), or do it after backward."
            )
        if not _modes().grad_enabled and type(ctx).raw_grads:
            return ctx.out_data  # no graph of the backward is wanted: the array itself will do
        t = _make(ctx.out_data, True, ctx)
        t._version = box
        return t

    def __repr__(ctx) -> str:  # noqa: N805
        return f"<{op_name(ctx)}>"


def run_op(cls: type, args: tuple, attrs: Mapping[str, Any] = _NO_ATTRS) -> Tensor:
    """`cls.apply(*args, **attrs)` without packing arguments: the hot path of every op.

    Runs forward on the inputs' arrays. When grad mode is on and an input requires
    grad, the Function instance becomes a graph node: its inputs, which of them need
    gradients, and `stamp`, the global write count at this moment (backward refuses
    an input, or a saved output, whose last in-place write came later).
    """
    ctx = _new(cls)
    try:
        if len(args) == 2:  # unrolled for one and two inputs: most ops
            a, b = args
            ra = rb = False
            if isinstance(a, Tensor):
                ra = a.requires_grad
                a = a._data
            elif type(a) is not float and type(a) is not int:  # a constant: plain numbers pass unchecked
                a = _operand(cls, a, 0)
                args = (a, args[1])
            if isinstance(b, Tensor):
                rb = b.requires_grad
                b = b._data
            elif type(b) is not float and type(b) is not int:
                b = _operand(cls, b, 1)
                args = (args[0], b)
            out = cls.forward(ctx, a, b, **attrs) if attrs else cls.forward(ctx, a, b)
            needs: Any = (ra, rb) if ra or rb else None
        elif len(args) == 1 and isinstance(args[0], Tensor):
            a = args[0]
            out = cls.forward(ctx, a._data, **attrs) if attrs else cls.forward(ctx, a._data)
            needs = (True,) if a.requires_grad else None
        else:
            arrays, flags, inputs = [], [], []
            for i, a in enumerate(args):  # (a loop, not a generator over cls: that would make cls a cell
                tensor = isinstance(a, Tensor)  # variable, slower in every op)
                if not tensor:
                    a = _operand(cls, a, i)
                inputs.append(a)
                arrays.append(a._data if tensor else a)
                flags.append(tensor and a.requires_grad)
            args = tuple(inputs)
            out = cls.forward(ctx, *arrays, **attrs)
            needs = tuple(flags) if any(flags) else None
    except (ValueError, IndexError, TypeError, OverflowError) as err:
        arrays = [a._data if isinstance(a, Tensor) else a for a in args]
        error = explain_numpy_error(cls, op_name(cls), err, arrays, attrs)
        if error is None:
            raise
        raise error from None
    if not isinstance(out, _numpy_value):
        out = np.asarray(out)
    t = _new(Tensor)
    t._data = out
    t.grad = None
    t._version = None
    t._extra = None
    modes = _modes()
    if needs is None or not modes.grad_enabled:
        t.requires_grad = False
        t._ctx = None
        if modes.watch:  # an opt-in mode is on (anomaly, tracing): one test of one flag when none is
            _watch(cls, ctx, t, args, attrs, modes, recorded=False)
        return t
    t.requires_grad = True
    t._ctx = ctx
    ctx.inputs = args
    ctx.needs_input_grad = needs
    ctx.stamp = mode.write_count
    ctx.attrs = attrs
    ctx.scope = modes.scope
    ctx.extra = None
    ctx.pending = None
    ctx.order = next(_order)
    # A leaf that requires grad keeps its `.data` read-only while this node lives.
    if needs[0] and args[0]._ctx is None:
        _note_saved_leaf(args[0], ctx)
    if len(needs) == 2:
        if needs[1] and args[1]._ctx is None:
            _note_saved_leaf(args[1], ctx)
    elif len(needs) > 2:
        _note_saved_leaves(args, needs, ctx)
    if cls.is_view and isinstance(args[0], Tensor):
        t._version = version_box(args[0])
    if cls.saves_output:
        ctx.out_data = out
        ctx.out_box = version_box(t)
    if modes.watch:  # an opt-in mode is on (anomaly, source lines, tracing): one test of one flag when none is
        _watch(cls, ctx, t, args, attrs, modes, recorded=True)
    return t


def _watch(cls: type, ctx: Function, t: Tensor, args: tuple, attrs: Mapping[str, Any], modes: mode.Modes,
           recorded: bool) -> None:
    """The opt-in modes' work for an op: hand it to a compiled step's tracer, note the user's line that created
    it, check its output for NaN/Inf."""
    if modes.tracer is not None:
        modes.tracer.forward(cls, ctx, t, args, attrs)  # may swap t's array for the traced one
    if recorded and modes.record_sources:
        ctx.extra = {"source": user_frame()}
    if modes.anomaly:
        if recorded:
            if ctx.extra is None:
                ctx.extra = {}
            ctx.extra["stack"] = user_stack()
        _check_finite(cls, t._data, "forward", ctx if recorded else None)


def _operand(cls: type, value: Any, position: int) -> Any:
    """A constant operand as the op will use it: refused when it is not a number (complex, object, str, None...),
    a list or tuple made an array (so backward rules can read its shape).

    A complex operand would go through numpy silently and give wrong gradients. Only constants get here, never
    Tensors (their arrays were checked when they were made) nor plain floats and ints."""
    error = operand_error(op_name(cls), value, position)
    if error is not None:
        raise error
    return np.asarray(value) if isinstance(value, (list, tuple)) else value


def op_name(node_or_cls: Any) -> str:
    """The op's name as shown in errors, reports and graph pictures (`mul`, `matmul`, `MyOp`)."""
    cls = node_or_cls if isinstance(node_or_cls, type) else type(node_or_cls)
    return cls.__dict__.get("op_name") or cls.__name__


def _note_saved_leaves(args: tuple, needs: tuple, ctx: Function) -> None:
    for a, need in zip(args[1:], needs[1:]):
        if need and a._ctx is None:
            _note_saved_leaf(a, ctx)


def _note_saved_leaf(leaf: Tensor, ctx: Function) -> None:
    """Remember that a live node holds `leaf`, so `leaf.data` is handed out read-only meanwhile.

    Dead entries are dropped when the list reaches twice the live count of its last clean-up (at least 8):
    amortized O(1) per op even when one leaf feeds 100,000 live ops (y = y + x[i]), where a clean-up at
    every append was quadratic.
    """
    extra = leaf._extra
    if extra is None:
        extra = leaf._extra = {}
    savers = extra.get("savers")
    if savers is None:
        savers = extra["savers"] = []
    elif len(savers) >= 8 and len(savers) >= extra.get("savers_limit", 8):
        savers[:] = [r for r in savers if _alive(r)]
        if len(savers) > 4:
            extra["savers_limit"] = 2 * len(savers)
        elif "savers_limit" in extra:
            del extra["savers_limit"]  # back to the default, 8
    savers.append(weakref.ref(ctx))


def _alive(ref: weakref.ref) -> bool:
    node = ref()
    return node is not None and node.inputs is not None


# The library's own code: frames from here are not "user code" (the app, the top floor, is a user of it).
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_LIBRARY = tuple(os.path.join(_ROOT, package) + os.sep for package in ("tinygrad_notes", "nn", "optim", "viz"))
_APP = os.path.join(_ROOT, "tinygrad_notes", "app") + os.sep


def is_library_file(filename: str) -> bool:
    """True for a file of this library (engine, nn, optim, viz), whose frames error messages skip."""
    return filename.startswith(_LIBRARY) and not filename.startswith(_APP)


def user_stack() -> list[str]:
    """The caller's stack without this library's frames: where an op was created, for error messages."""
    frames = traceback.extract_stack()[:-1]
    keep = [f for f in frames if not is_library_file(f.filename)]
    return traceback.format_list(keep[-4:])


def user_frame() -> tuple[str, int, str] | None:
    """(file, line, function) of the innermost frame of user code: where the op being recorded was written.

    Reads frames without formatting them (a traceback would read the source file every time).
    """
    frame = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        if not is_library_file(code.co_filename):
            return code.co_filename, frame.f_lineno, code.co_name
        frame = frame.f_back
    return None


def source_of(node: Function) -> str | None:
    """Where the op was created, `file:line in function` and the line itself, if recorded (`record_sources`)."""
    extra = node.extra
    where = extra.get("source") if extra else None
    if where is None:
        return None
    filename, lineno, function = where
    text = linecache.getline(filename, lineno).strip()
    return f"{filename}:{lineno} in {function}" + (f"\n    {text}" if text else "")


def _check_finite(cls: type, value: Any, where: str, ctx: Function | None) -> None:
    arr = np.asarray(value._data if isinstance(value, Tensor) else value)  # a traced array: its plain values
    if np.issubdtype(arr.dtype, np.inexact) and not np.all(np.isfinite(arr)):
        bad = "NaN" if np.any(np.isnan(arr)) else "Inf"
        stack = ctx.extra["stack"] if ctx is not None and ctx.extra else user_stack()
        raise FloatingPointError(
            f"detect_anomaly: {where} of {op_name(cls)} produced {bad} "
            f"(shape {np.shape(arr)}). The op was created at:\n" + "".join(stack)
        )

