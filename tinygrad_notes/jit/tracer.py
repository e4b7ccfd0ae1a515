"""The tracer: what the engine tells while a step is being compiled, turned into a program.

`compile` runs the step once with a `Tracer` in this thread's modes
(`mode.tracing`). The step runs for real; the engine hands the tracer:

- every op after its forward (`forward`): its numpy calls were recorded through
  the traced arrays; an op whose inputs were all plain arrays (parameters seen
  for the first time) is run again on traced ones, and one whose forward the trace
  could not follow is recorded as one call of its own forward;
- every backward pass (`walk`, jit/walk.py), and each rule in it (`backward`);
- random draws (`draw`): made again on every replay, from the same generator;
- reads of a tensor's array: `inplace_data()` (an in-place update, recorded),
  `.data` from the library (followed), and reads into Python (`.item()`,
  `bool()`, `.numpy()` from user code...), which the program cannot replay;
- methods marked `replay_as_call` (an optimizer's `step`): recorded as one call,
  made again on every replay with the Python state of that moment.

When the step does something the program could not replay faithfully, the tracer
stops: the step finishes eagerly (every value is real all along) and the reason,
with the user's line, becomes a warning, or a `CompileError` with `strict=True`.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np

from tinygrad_notes import mode
from tinygrad_notes.autograd import _call_user_backward
from tinygrad_notes.function import op_name, run_op
from tinygrad_notes.jit.opcalls import BackwardCall, ForwardCall, replay_node, saved_state
from tinygrad_notes.jit.record import Lost, Recorder, Value, mask_index
from tinygrad_notes.jit.traced import Traced, plain
from tinygrad_notes.jit.walk import TracingWalk
from tinygrad_notes.jit.where import called_from_library, describe, user_line
from tinygrad_notes.program import Ref, Step
from tinygrad_notes.tensor import Tensor, _make, version_box

_TENSOR_FILE = Tensor.__init__.__code__.co_filename
_RUN_OP = run_op.__code__


class CompileError(RuntimeError):
    """compile cannot replay this function faithfully (raised with strict=True, or when a check fails)."""


# ---- the steps the tracer adds itself (the emitter writes some of them inline) -----------------------------
def read_grad(leaf: Tensor) -> Any:
    """The array of `leaf.grad` as the program runs (a new gradient is added to it)."""
    return leaf.grad._data


def set_grad(leaf: Tensor, value: Any) -> None:
    """leaf.grad = the gradient the walk gave it."""
    leaf.grad = _make(value, False, None)


def clear_grad(leaf: Tensor) -> None:
    """leaf.grad = None, as the step left it."""
    leaf.grad = None


def stamp(tensor: Tensor) -> None:
    """Count an in-place write of `tensor`, as inplace_data() does (a stale graph holding it refuses backward)."""
    version_box(tensor)[0] = mode.count_write()


def reset(array: np.ndarray, initial: np.ndarray) -> None:
    """Give an array the step fills in (zeros it made) its traced starting content again."""
    np.copyto(array, initial)


class Tracer(Recorder):
    """Records one call of a step (see the module docstring)."""

    def __init__(self, name: str, strict: bool = False) -> None:
        super().__init__()
        self.name = name
        self.strict = strict
        self.problem: str | None = None  # why tracing stopped, with where
        self.adopted: list[tuple[Tensor, Any, Traced]] = []  # tensors whose array is traced: (tensor, own, traced)
        self.grad_leaves: dict[int, list] = {}  # id(leaf) -> [leaf, the Tensor the walk last gave it]
        self.owners: list[Any] = []  # objects whose methods were recorded whole (verification saves their state)
        self.generators: list[Any] = []  # the generators random draws used (None: the default one)
        # id(node) -> (stand-in node, shells, output, the node itself) of an op replayed whole; the node is held
        # so that its id is not reused by a later node while the trace lasts
        self.whole_ops: dict[int, tuple] = {}
        self.inputs: list[int] = []  # slots the program takes as arguments, in order
        self.quiet = 0  # > 0 while the engine reads values for its own bookkeeping
        self.created: set[int] = set()  # ids of the arrays of tensors made during the trace (kept alive in keep)
        self.in_rule = 0  # > 0 while a backward rule runs (forwards are found on the stack: see _in_an_op)
        self.rule_read = False  # the op being traced read a value into Python: it is replayed whole

    # ---- start and end ----------------------------------------------------------------------------------------
    def begin(self, leaves: list[Any]) -> None:
        """Register the call's tensors and arrays as the program's inputs (tensors: the object and its array)."""
        for leaf in leaves:
            if isinstance(leaf, Tensor):
                self.inputs.append(self.add(Value("input", obj=leaf), leaf))
                d = leaf._data
                arr = d if isinstance(d, np.ndarray) and not isinstance(d, Traced) else np.asarray(plain(d))
                slot = self.slot_of.get(id(arr))
                if slot is None:
                    slot = self.add(Value("input", like=arr), arr)
                self.inputs.append(slot)
                traced = self.traced(arr, slot)
                self.adopted.append((leaf, d, traced))
                leaf._data = traced
            else:
                slot = self.slot_of.get(id(leaf))
                if slot is None:
                    slot = self.add(Value("input", like=leaf), leaf)
                self.inputs.append(slot)

    def close(self) -> None:
        """Give every tensor its own array back; the traced arrays left anywhere behave as plain ones from now."""
        for tensor, own, traced in reversed(self.adopted):
            if tensor._data is traced:
                tensor._data = own
        self.adopted.clear()
        for leaf, _ in self.grad_leaves.values():
            g = leaf.grad
            if g is not None and isinstance(g._data, Traced):
                g._data = g._data.view(np.ndarray)
        self.stopped = True

    def release(self) -> None:
        """Drop what the trace kept (every array it saw), once its program is built: a traced array left
        somewhere (a graph the user kept) must not hold the whole step's memory through its tracer."""
        self.values, self.steps, self.slot_of, self.keep = [], [], {}, []
        self.whole_ops.clear()
        self.grad_leaves.clear()

    def finish_grads(self) -> None:
        """Each leaf's `.grad` as the step left it: the walk's, or None (a zero_grad after the step)."""
        for leaf, last in self.grad_leaves.values():
            if self.stopped or leaf.grad is last:
                continue
            if leaf.grad is None:
                self.record(Step(clear_grad, (self.template(leaf),), effect=True))
            else:
                self.stop(f"the .grad of a tensor of shape {leaf.shape} was replaced on the Python side after "
                          "backward; a compiled program sets .grad only as backward does", None)

    # ---- stopping ---------------------------------------------------------------------------------------------
    def stop(self, reason: str, where: str | None) -> None:
        if self.stopped:
            return
        message = f"{reason}, at {describe(where)}" if where else reason
        if self.strict:
            self.stopped = True
            self.problem = message
            raise CompileError(f"compile({self.name}): {message}")
        self.stopped = True
        self.problem = message

    def refuse(self, reason: str) -> None:
        self.stop(f"compile refuses {reason}", user_line(2))

    @contextlib.contextmanager
    def bookkeeping(self) -> Iterator[None]:
        """The engine reads values for its own records (a freed graph's constants): not a read into the step."""
        self.quiet += 1
        try:
            yield
        finally:
            self.quiet -= 1

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Run something plainly (tensors hold their own arrays, traced arrays behave as plain ones)."""
        swapped = [(tensor, own, traced) for tensor, own, traced in self.adopted if tensor._data is traced]
        for tensor, own, _ in swapped:
            tensor._data = own
        try:
            with mode.tracing(None):
                yield
        finally:
            for tensor, own, traced in swapped:
                if tensor._data is own:
                    tensor._data = traced

    # ---- tensors whose arrays the program reads and writes through ------------------------------------------
    def adopt(self, tensor: Tensor) -> Traced:
        """The tensor's array as a traced value (its own array for a parameter or buffer: a `state` slot)."""
        d = tensor._data
        if isinstance(d, Traced) and d.tracer is self and d.slot is not None:
            return d
        if not isinstance(d, np.ndarray):  # a numpy scalar from an op: an array from now on, as .data makes it
            d = tensor._data = np.asarray(d)
        arr = d.view(np.ndarray) if isinstance(d, Traced) else d
        slot = self.slot_of_plain(arr)
        value = self.values[slot]
        if value.kind == "const" and id(arr) not in self.created:  # a parameter, a buffer: lives across calls
            value.kind, value.owner = "state", tensor
        traced = self.traced(arr, slot)
        self.adopted.append((tensor, d, traced))
        tensor._data = traced
        return traced

    # ---- the engine's side --------------------------------------------------------------------------------------
    def forward(self, cls: type, ctx: Any, t: Tensor, args: tuple, attrs: Any) -> None:
        """After an op's forward (run_op): make sure its output is a value of the program."""
        if self.stopped:
            return
        if not cls.replayable:
            self.refuse(f"the op {op_name(cls)} (its class says replayable = False)")
            return
        index = attrs.get("index") if attrs else None
        if index is not None and mask_index(index):
            self.refuse(f"{op_name(cls)} with a boolean mask: its output's shape depends on the values")
            return
        out = t._data
        if self.rule_read:  # the forward read a value into Python: only calling it again replays that
            self.rule_read = False
            self._forward_whole(cls, ctx, t, args, attrs, out)
            return
        inputs = tuple(a._data if isinstance(a, Tensor) else a for a in args)
        traced_inputs = any(self.is_value(a) for a in inputs) or _has_value(self, attrs)
        try:  # tensors met for the first time (parameters, buffers): the program reads their own arrays
            adopted = tuple(self.adopt(a) if isinstance(a, Tensor) else a for a in args)
        except Lost as lost:
            self.stop(f"the trace lost track of a value: {lost}", user_line())
            return
        if self.is_value(out):
            if not isinstance(out, Traced):
                self._set_output(cls, ctx, t, self.as_value(out))
            return
        if not traced_inputs:
            if not any(isinstance(a, Tensor) for a in args):
                return  # constants in, a constant out
            out = cls.forward(ctx, *adopted, **attrs)  # its inputs were all plain: again, on traced arrays
            if not isinstance(out, (np.ndarray, np.generic)):
                out = np.asarray(out)
            if self.rule_read:  # that forward read a value into Python
                self.rule_read = False
            elif self.is_value(out):
                self._set_output(cls, ctx, t, self.as_value(out))
                return
        self._forward_whole(cls, ctx, t, args, attrs, out)

    def _forward_whole(self, cls: type, ctx: Any, t: Tensor, args: tuple, attrs: Any, out: Any) -> None:
        """Record the op as one call of its own forward (its numpy calls could not be followed)."""
        node, shells = replay_node(cls, ctx, args, dict(attrs))
        try:
            targs = self.template(tuple(a._data if isinstance(a, Tensor) else a for a in args))
            tattrs = self.template(dict(attrs))
        except Lost as lost:
            self.stop(f"the trace lost track of a value: {lost}", user_line())
            return
        where = user_line()
        value = self.wrap(plain(out), where)
        view = _shares_memory([out], [a._data if isinstance(a, Tensor) else a for a in args])
        self.record(Step(ForwardCall(cls, node, shells), targs, tattrs, outs=(value.slot,), op=cls, where=where,
                         view=view))
        self._set_output(cls, ctx, t, value)
        if t._ctx is ctx:  # a graph node: its backward, if it runs, goes with this forward
            self.whole_ops[id(ctx)] = (node, shells, value, ctx)

    @staticmethod
    def _set_output(cls: type, ctx: Any, t: Tensor, value: Traced) -> None:
        t._data = value
        if cls.saves_output and t._ctx is ctx:
            ctx.out_data = value

    def walk(self, create_graph: bool, accumulate: bool, wanted: Any) -> Any:
        if self.stopped:
            from tinygrad_notes.autograd import _Walk

            return _Walk(create_graph, accumulate, wanted)
        return TracingWalk(self, create_graph, accumulate, wanted)

    def backward(self, node: Any, g: Any, raw: bool) -> tuple:
        """One rule of the backward walk: recorded call by call, or as one call of the op's own backward."""
        whole = self.whole_ops.get(id(node))
        if whole is None and not self.stopped:
            mark = len(self.steps)
            try:
                g = self.value_of(g)
            except Lost as lost:
                self.stop(f"the trace lost track of a value: {lost}", user_line())
                return _call_rule(node, g, raw)
            self.in_rule += 1
            try:
                result = _call_rule(node, g, raw)
            finally:
                self.in_rule -= 1
            if self.stopped:
                return result
            read, self.rule_read = self.rule_read, False  # a rule that read values is replayed whole
            if not read and all(r is None or self.is_value(r._data if isinstance(r, Tensor) else r) for r in result):
                return tuple(self._as_value_or_tensor(r) for r in result)
            del self.steps[mark:]
        if self.stopped:
            return _call_rule(node, g, raw)
        if not raw:
            self.stop(f"the trace lost track of the backward of {op_name(node)} while recording it for "
                      "create_graph=True", user_line())
            return _call_rule(node, g, raw)
        return self._backward_whole(node, g, whole)

    def value_of(self, x: Any) -> Any:
        """A gradient or array as a traced value (a plain one, a gradient of ones, becomes a const slot)."""
        if isinstance(x, Tensor):
            if isinstance(x._data, np.ndarray) and not isinstance(x._data, Traced):
                x._data = self.traced(x._data, self.slot_of_plain(x._data))
            return x
        if isinstance(x, np.ndarray) and not isinstance(x, Traced):
            return self.traced(x, self.slot_of_plain(x))
        return x

    def _as_value_or_tensor(self, r: Any) -> Any:
        if isinstance(r, Tensor):
            r._data = self.as_value(r._data)
            return r
        return self.as_value(r)

    def _backward_whole(self, node: Any, g: Any, whole: tuple | None) -> tuple:
        cls = type(node)
        output = node.out_data if cls.saves_output else None
        if whole is None:
            stand_in, shells = replay_node(cls, node, node.inputs, dict(node.attrs or {}))
            saved = saved_state(node)
        else:  # its forward was replayed whole too: the stand-in keeps what that forward saves; passing the
            stand_in, shells, output, _ = whole  # forward's output makes this call depend on that one
            saved = {}
        with self.paused():
            real = _call_rule(node, g, True)
        present = tuple(r is not None for r in real)
        try:
            targs = (self.template(g),
                     self.template(tuple(a._data if isinstance(a, Tensor) else a for a in node.inputs)),
                     self.template(output),
                     self.template(tuple(saved.values())))
        except Lost as lost:
            self.stop(f"the trace lost track of a value: {lost}", user_line())
            return real
        where = user_line()
        arrays = [plain(r._data if isinstance(r, Tensor) else r) for r in real if r is not None]
        values = [self.wrap(a, where) for a in arrays]
        view = _shares_memory(arrays, [g, *(a._data if isinstance(a, Tensor) else a for a in node.inputs),
                                       node.out_data if cls.saves_output else None, *saved.values()])
        call = BackwardCall(cls, stand_in, shells, tuple(saved), present)
        self.record(Step(call, targs, outs=tuple(v.slot for v in values), op=cls, where=where, unpack=True,
                         view=view))
        it = iter(values)
        return tuple(next(it) if p else None for p in present)

    def grad_set(self, leaf: Tensor, grad: Tensor) -> None:
        """The walk gave `leaf.grad` this gradient: the program sets it too."""
        if self.stopped:
            return
        try:
            args = (self.template(leaf), self.template(grad._data))
        except Lost as lost:
            self.stop(f"the trace lost track of a value: {lost}", user_line())
            return
        data = leaf._data
        if type(args[0]) is not Ref and not (isinstance(data, Traced) and self.values[data.slot].kind == "state"):
            return  # a tensor made during the step (Tensor(x, requires_grad=True)): no later call sees it
        self.record(Step(set_grad, args, effect=True))
        self.grad_leaves[id(leaf)] = [leaf, grad]

    def current_grad(self, leaf: Tensor) -> Tensor:
        """`leaf.grad` as it will be when the program runs (a new gradient is added to it)."""
        value = leaf.grad._data
        if self.stopped:
            return leaf.grad
        wrapped = self.wrap(plain(value), None)
        self.record(Step(read_grad, (self.template(leaf),), outs=(wrapped.slot,), effect=True))
        return _make(wrapped, False, None)

    def draw(self, draw: Any, make: Any, generator: Any) -> Any:
        """A random draw (dropout's mask): made again on every replay, from the same generator."""
        with self.paused():
            value = draw(make, generator)
        if self.stopped or not isinstance(value, (np.ndarray, np.generic)):
            return value
        where = user_line()
        wrapped = self.wrap(value, where)
        self.record(Step(draw, (make, generator), outs=(wrapped.slot,), effect=True, where=where))
        if all(g is not generator for g in self.generators):
            self.generators.append(generator)
        return wrapped

    def call_whole(self, method: Any, obj: Any, args: tuple, kwargs: dict) -> Any:
        """A method marked replay_as_call (an optimizer's step): one call, made again on every replay."""
        if not self.stopped:
            given = (*args, *kwargs.values())
            if any(isinstance(a, (Tensor, np.ndarray)) or callable(a) for a in given):
                self.refuse(f"{type(obj).__name__}.{method.__name__} with a tensor, array or function argument "
                            "(a closure): the call is replayed as it is, so it may take only settings")
            else:
                self.record(Step(method, (obj, *args), dict(kwargs), effect=True, where=user_line(2)))
                if all(o is not obj for o in self.owners):
                    self.owners.append(obj)
        with self.paused():
            return method(obj, *args, **kwargs)

    def data(self, tensor: Tensor, how: str) -> np.ndarray:
        """`.data` or `.numpy()`: the traced array for the library's code, a read into Python for the user's."""
        if not self.stopped and not self.quiet:
            if called_from_library(2, skip=_TENSOR_FILE):
                try:
                    return self.adopt(tensor)
                except Lost as lost:
                    self.stop(f"the trace lost track of a value: {lost}", user_line())
            else:
                self.stop(f"{how} hands a tensor's values to Python code", user_line())
        return _eager_data(tensor)

    def inplace(self, tensor: Tensor) -> np.ndarray:
        """inplace_data(): the tensor's own array, traced, so the in-place numpy calls on it are recorded."""
        version_box(tensor)[0] = mode.count_write()
        if not self.stopped:
            try:
                traced = self.adopt(tensor)
            except Lost as lost:
                self.stop(f"the trace lost track of a value: {lost}", user_line())
            else:
                self.record(Step(stamp, (self.template(tensor),), effect=True))
                return traced
        d = tensor._data
        if isinstance(d, Traced):
            return d.view(np.ndarray)
        if type(d) is not np.ndarray:
            d = tensor._data = np.asarray(d)
        return d

    def python_read(self, tensor: Tensor | None, how: str) -> None:
        """`.item()`, `bool()`, `.tolist()`... of a tensor: Python would go on with a value the program cannot.

        Inside an op's forward or backward (numpy turning a 0-d value into a number, a user's Function reading
        one) the op is replayed whole instead: calling its rule again makes the same read on the new values.
        """
        if self.stopped or self.quiet:
            return
        if self.in_rule or _in_an_op():
            self.rule_read = True
            return
        self.stop(f"{how} reads a tensor's value into Python (a branch or a number the program cannot replay)",
                  user_line(2))

    def read(self, arr: Traced, how: str) -> None:
        """The same for a traced array itself (float(x), if x:, x.item())."""
        self.python_read(None, how)

    def tensor_array(self, arr: Any, dtype: Any) -> Any:
        """Tensor(array): a traced array stays one (cast if asked); anything else as eager makes it."""
        if not self.stopped and self.is_value(arr):
            value = self.as_value(arr)
            if dtype is not None and np.dtype(dtype) != value.dtype:
                value = value.astype(dtype)
            return value
        arr = plain(arr)
        arr = np.asarray(arr, dtype=dtype) if dtype is not None else np.asarray(arr)
        if not self.stopped:  # the array of a tensor made during the step: a constant of it, not state
            self.created.add(id(arr))
            self.keep.append(arr)
        return arr


def _in_an_op() -> bool:
    """True when the caller runs inside an op's forward (the library's or a user's): run_op is on the stack."""
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code is _RUN_OP:
            return True
        frame = frame.f_back
    return False


def _call_rule(node: Any, g: Any, raw: bool) -> tuple:
    """A node's backward, as the walk calls it: one result per input."""
    cls = type(node)
    if cls.raw_grads:
        result = cls.backward(node, g)
        return result if type(result) is tuple else (result,)
    return _call_user_backward(node, _make(g, False, None) if raw else g, len(node.inputs))


def _shares_memory(results: list[Any], sources: list[Any]) -> bool:
    """True when a result may share memory with a source (it is a view: the sources' buffers must outlive it)."""
    arrays = [plain(a) for a in sources if isinstance(a, np.ndarray)]
    return any(isinstance(r, np.ndarray) and np.may_share_memory(plain(r), a) for r in results for a in arrays)


def _has_value(tracer: Tracer, template: Any) -> bool:
    if isinstance(template, np.ndarray):
        return tracer.is_value(template)
    if isinstance(template, (tuple, list)):
        return any(_has_value(tracer, v) for v in template)
    if isinstance(template, dict):
        return any(_has_value(tracer, v) for v in template.values())
    return False


def _eager_data(tensor: Tensor) -> np.ndarray:
    """`.data` as eager gives it (for a trace that stopped): the plain array, read-only while a graph holds it."""
    d = tensor._data
    if isinstance(d, Traced):
        d = d.view(np.ndarray)
    elif type(d) is not np.ndarray:
        d = tensor._data = np.asarray(d)
    if tensor._held_by_graph():
        d = d.view()
        d.flags.writeable = False
    return d

