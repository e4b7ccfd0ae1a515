"""The recorder: numbered values and the numpy calls between them, written down while a step runs for real.

Every value the program will need gets a slot: an input of the call, an array
that lives across calls (a parameter's own array, a batch-norm buffer: `state`,
read and written through by the program), an array made before or during the
trace that the program reuses as it is (`const`: an index array, a gradient of
ones; one that the step writes into is reset to its traced content before each
replay), or a value some step computes (`computed`). A numpy call with traced
values in it becomes a `Step` whose arguments refer to slots (program.py).

A call the recorder cannot follow (a view numpy made inside C code and handed
back, a plain array that turns out to be part of a traced one) raises `Lost`;
the tracer then stops recording and the step runs eagerly (tracer.py).
"""

from __future__ import annotations

import types
from typing import Any

import numpy as np

from tinygrad_notes.jit.traced import Traced, plain
from tinygrad_notes.jit.where import library_line, user_line
from tinygrad_notes.program import Ref, Step
from tinygrad_notes.tensor import Tensor


class Lost(Exception):
    """The trace lost track of a value: it cannot say how the program would compute it."""


class Value:
    """What the program knows about one slot."""

    __slots__ = ("kind", "obj", "owner", "shape", "dtype", "order", "scalar", "written", "initial", "where")

    def __init__(self, kind: str, obj: Any = None, owner: Any = None, like: Any = None, where: str | None = None,
                 scalar: bool = False) -> None:
        self.kind = kind  # "input", "state", "const" or "computed"
        self.obj = obj  # the object itself for state and const; the traced-call object for an input
        self.owner = owner  # the Tensor whose array a state slot is (checked before each replay)
        arr = like if isinstance(like, np.ndarray) else None
        self.shape = arr.shape if arr is not None else None
        self.dtype = arr.dtype if arr is not None else None
        self.order = _order(arr) if arr is not None else None
        self.scalar = scalar  # eager had a numpy scalar here (0-d ufunc results), not an array
        self.written = False  # some step writes into it in place
        self.initial = None  # for a const the step writes into: its content before the first write
        self.where = where


def _order(arr: np.ndarray) -> str | None:
    """'C' or 'F' for a contiguous array (the layout a preallocated buffer must copy), else None."""
    if arr.flags.c_contiguous:
        return "C"
    if arr.flags.f_contiguous:
        return "F"
    return None


def same_view(a: np.ndarray, b: np.ndarray) -> bool:
    """True when a and b are the same data seen the same way (a view of b that covers it exactly)."""
    return (a.shape == b.shape and a.strides == b.strides and a.dtype == b.dtype
            and a.__array_interface__["data"][0] == b.__array_interface__["data"][0])


# numpy functions that only read shapes and dtypes: no step, their answer depends on nothing the step computes
METADATA = {np.shape, np.ndim, np.size, np.result_type, np.may_share_memory, np.shares_memory, np.iscomplexobj,
            np.isrealobj, np.can_cast, np.min_scalar_type}
# new arrays whose content does not depend on the values given (only their shape and dtype)
CREATION = {np.zeros_like, np.ones_like, np.empty_like}
# functions whose output shape depends on the values: a program with fixed shapes cannot replay them
DATA_SHAPED = {np.nonzero, np.flatnonzero, np.argwhere, np.unique, np.extract, np.trim_zeros}
# functions that write into their first argument
MUTATORS = {np.copyto, np.place, np.put, np.putmask, np.fill_diagonal, np.put_along_axis}
# methods that give a view of the array (no new memory) when they can
VIEW_METHODS = {"reshape", "transpose", "swapaxes", "squeeze", "ravel", "view", "__getitem__"}


class Recorder:
    """Slots and steps: what the traced call computed, and how."""

    def __init__(self) -> None:
        self.values: list[Value] = []
        self.steps: list[Step] = []
        self.slot_of: dict[int, int] = {}  # id of a plain object (array, Tensor) -> its slot
        self.keep: list[Any] = []  # every object in slot_of, kept alive so ids are never reused
        self.stopped = False
        self.following = 0  # > 0 while following the Python inside a numpy function (array_function)

    # ---- slots ----------------------------------------------------------------------------------------------
    def add(self, value: Value, obj: Any = None) -> int:
        slot = len(self.values)
        self.values.append(value)
        if obj is not None:
            self.slot_of[id(obj)] = slot
            self.keep.append(obj)
        return slot

    def wrap(self, result: Any, where: str | None) -> Traced:
        """A new computed value: the result of a step, as the Traced array the traced code goes on with."""
        scalar = not isinstance(result, np.ndarray)
        arr = np.asarray(result)
        if isinstance(arr, Traced):
            arr = arr.view(np.ndarray)
        slot = self.add(Value("computed", like=arr, where=where, scalar=scalar), arr)
        return self.traced(arr, slot)

    def traced(self, arr: np.ndarray, slot: int) -> Traced:
        t = arr.view(Traced)
        t.tracer = self
        t.slot = slot
        return t

    def slot_of_plain(self, arr: np.ndarray) -> int:
        """The slot of a plain array seen in a call: known, a full view of a known value, or a new const."""
        slot = self.slot_of.get(id(arr))
        if slot is not None:
            return slot
        base = arr.base
        while base is not None:
            if isinstance(base, Traced) and base.tracer is self and base.slot is not None:
                known = base.slot
            else:
                known = self.slot_of.get(id(base))
            if known is not None and self.values[known].kind in ("computed", "input"):
                if isinstance(base, np.ndarray) and same_view(arr, base):
                    return known  # np.asarray(traced) and the like: the same value seen as a plain array
                raise Lost("a plain numpy array made from part of a traced value (outside the trace's view)")
            base = getattr(base, "base", None)
        if self.following:  # made inside a numpy function, maybe from traced values by C code that does not tell
            raise Lost("an array made inside a numpy function without telling the trace how")
        return self.add(Value("const", obj=arr, like=arr), arr)

    def state_behind(self, slot: int) -> int | None:
        """The state slot whose memory a const is a view of (W.T made before W was adopted), if any."""
        base = getattr(self.values[slot].obj, "base", None)
        while base is not None:
            known = self.slot_of.get(id(base))
            if known is not None and self.values[known].kind == "state":
                return known
            base = getattr(base, "base", None)
        return None

    def is_value(self, x: Any) -> bool:
        """True for a value the program can compute: a Traced array of this trace, or a known plain array."""
        if isinstance(x, Traced):
            return x.tracer is self and x.slot is not None
        return isinstance(x, np.ndarray) and id(x) in self.slot_of

    def as_value(self, x: Any) -> Any:
        """A known plain array as the Traced array of its slot (other things unchanged)."""
        if isinstance(x, np.ndarray) and not isinstance(x, Traced):
            slot = self.slot_of.get(id(x))
            if slot is not None:
                return self.traced(x, slot)
        return x

    def template(self, x: Any) -> Any:
        """`x` as a step argument: Ref(slot) for arrays (and input tensors), the object itself for the rest."""
        t = type(x)
        if t is Traced:
            if x.tracer is self:
                if x.slot is None:
                    raise Lost("a view that numpy made inside one of its C functions")
                return Ref(x.slot)
            return Ref(self.slot_of_plain(x.view(np.ndarray)))  # another (finished) trace's array: plain
        if t is np.ndarray or isinstance(x, np.ndarray):
            return Ref(self.slot_of_plain(x))
        if t is tuple:
            return tuple([self.template(v) for v in x])
        if t is list:
            return [self.template(v) for v in x]
        if t is dict:
            return {k: self.template(v) for k, v in x.items()}
        if t is Tensor:
            slot = self.slot_of.get(id(x))
            return Ref(slot) if slot is not None else x
        return x

    def mark_written(self, slots: tuple[int, ...]) -> None:
        for slot in slots:
            value = self.values[slot]
            if value.kind == "const" and value.initial is None:
                # a plain array the step writes into (zeros it made, then filled): reset before each replay
                value.initial = np.array(value.obj, copy=True)
            value.written = True

    def record(self, step: Step) -> None:
        self.mark_written(step.writes)
        self.steps.append(step)

    # ---- the numpy calls ------------------------------------------------------------------------------------
    def ufunc(self, ufunc: np.ufunc, method: str, inputs: tuple, kwargs: dict) -> Any:
        out = kwargs.get("out")
        try:
            args, kw = self.template(inputs), self.template(kwargs)
        except Lost as lost:
            return self.lose(lost, lambda: getattr(ufunc, method)(*plain(inputs), **plain(kwargs)), out)
        writes = tuple(r.slot for r in kw["out"]) if out is not None else (args[0].slot,) if method == "at" else ()
        self.mark_written(writes)  # before the call: a const it writes into keeps its content from before
        result = getattr(ufunc, method)(*plain(inputs), **plain(kwargs))
        fn = ufunc if method == "__call__" else getattr(ufunc, method)
        where = user_line()
        if out is not None:  # written into arrays it was given: numpy returns those
            self.record(Step(fn, args, kw, writes=writes, where=where))
            return out[0] if len(out) == 1 else out
        if method == "at":
            self.record(Step(fn, args, kw, writes=writes, where=where))
            return None
        if isinstance(result, tuple):
            wrapped = tuple(self.wrap(r, where) for r in result)
            self.record(Step(fn, args, kw, outs=tuple(w.slot for w in wrapped), where=where, unpack=True))
            return wrapped
        wrapped = self.wrap(result, where)
        self.record(Step(fn, args, kw, outs=(wrapped.slot,), where=where))
        return wrapped

    def array_function(self, func: Any, args: tuple, kwargs: dict) -> Any:
        if func in METADATA or func in CREATION:
            return func(*plain(args), **plain(kwargs))  # no step: shapes and dtypes only
        if func in DATA_SHAPED:
            self.refuse(f"np.{func.__name__}: its output's shape depends on the values, and a compiled program "
                        "has one shape per value")
            return func(*plain(args), **plain(kwargs))
        implementation = getattr(func, "_implementation", None)
        if isinstance(implementation, types.FunctionType):  # written in Python: follow the numpy calls inside
            mark = len(self.steps)
            self.following += 1  # a value lost inside raises Lost here rather than stopping the trace
            try:
                result = implementation(*args, **kwargs)
            except (TypeError, ValueError, Lost):
                result = None
            else:
                if self.stopped or self._all_values(result):
                    return result
            finally:
                self.following -= 1
            del self.steps[mark:]  # it lost track inside (np.asarray...): record it as one call instead
        return self.call(func, args, kwargs)

    def call(self, func: Any, args: tuple, kwargs: dict, method: str | None = None) -> Any:
        """Record one call of `func` (or of a method of args[0]) whose results are new values."""
        try:
            targs, tkw = self.template(args), self.template(kwargs)
        except Lost as lost:
            return self.lose(lost, lambda: _plain_call(func, method, args, kwargs))
        writes: tuple[int, ...] = ()
        if "out" in kwargs and kwargs["out"] is not None:
            outs_given = kwargs["out"] if isinstance(kwargs["out"], tuple) else (kwargs["out"],)
            writes = tuple(self.template(o).slot for o in outs_given)
        elif func in MUTATORS:
            writes = (targs[0].slot,)
        self.mark_written(writes)
        result = _plain_call(func, method, args, kwargs)
        where = user_line()
        if writes:
            self.record(Step(func, targs, tkw, writes=writes, method=method, where=where))
            return kwargs["out"] if "out" in kwargs else result
        if result is None:
            self.record(Step(func, targs, tkw, method=method, where=where))
            return None
        sources = [a for a in plain(args if method is None else args[:1]) if isinstance(a, np.ndarray)]
        if isinstance(result, (tuple, list)) and all(isinstance(r, np.ndarray) for r in result):
            wrapped = [self.wrap(r, where) for r in result]
            self.record(Step(func, targs, tkw, outs=tuple(w.slot for w in wrapped), method=method, where=where,
                             view=_is_view_of(result, sources), unpack=True))
            return type(result)(wrapped)
        if not isinstance(result, (np.ndarray, np.generic)):
            return result  # a Python object (a shape, a dtype...): nothing the program computes
        wrapped = self.wrap(result, where)
        self.record(Step(func, targs, tkw, outs=(wrapped.slot,), method=method, where=where,
                         view=_is_view_of([result], sources)))
        return wrapped

    def method(self, arr: Traced, name: str, args: tuple, kwargs: dict) -> Any:
        """A method of a traced array that numpy does not route through its protocols."""
        own = arr.view(np.ndarray)
        if name == "__getitem__" and mask_index(args[0]):
            self.refuse("indexing with a boolean mask: the result's shape depends on the values")
            return own[plain(args[0])]
        if name in ("__setitem__", "fill"):
            try:
                targs, tkw = self.template((arr, *args)), self.template(kwargs)
            except Lost as lost:
                return self.lose(lost, lambda: getattr(own, name)(*plain(args)))
            self.mark_written((targs[0].slot,))
            getattr(own, name)(*plain(args), **plain(kwargs))
            self.record(Step(None, targs, tkw, writes=(targs[0].slot,), method=name, where=user_line()))
            return None
        if name == "astype":
            dtype = np.dtype(args[0] if args else kwargs["dtype"])
            if dtype == arr.dtype and not kwargs.get("copy", True):
                return arr  # astype(same dtype, copy=False) is the array itself
        if name == "view" and not args and not kwargs:
            return self.traced(own, arr.slot) if arr.slot is not None else arr
        return self.call(None, (arr, *args), kwargs, method=name)

    def _all_values(self, result: Any) -> bool:
        if isinstance(result, (tuple, list)):
            return all(self._all_values(r) for r in result)
        if isinstance(result, np.ndarray):
            return self.is_value(result)
        return not isinstance(result, np.generic)

    # ---- giving up ----------------------------------------------------------------------------------------
    def lose(self, lost: Lost, compute: Any, out: Any = None) -> Any:
        """Stop tracing (the step finishes eagerly) and compute this call plainly; inside a numpy function being
        followed, give up following it instead (it is recorded as one call)."""
        if self.following:
            raise lost
        self.stop(f"the trace lost track of a value: {lost}", library_line(2))
        result = compute()
        if out is not None:
            return out[0] if len(out) == 1 else out
        return result

    def stop(self, reason: str, where: str | None) -> None:  # the tracer decides what stopping means
        raise NotImplementedError

    def refuse(self, reason: str) -> None:
        raise NotImplementedError


def _plain_call(func: Any, method: str | None, args: tuple, kwargs: dict) -> Any:
    if method is not None:
        return getattr(plain(args[0]), method)(*plain(args[1:]), **plain(kwargs))
    return func(*plain(args), **plain(kwargs))


def _is_view_of(results: Any, sources: list[np.ndarray]) -> bool:
    """True when every result shares memory with one of the call's array arguments (a view, not a copy)."""
    return bool(sources) and all(any(np.may_share_memory(r, s) for s in sources) for r in results)


def mask_index(index: Any) -> bool:
    """True for an index with a boolean mask in it (its result's shape depends on the mask's values)."""
    items = index if isinstance(index, tuple) else (index,)
    return any(isinstance(i, np.ndarray) and i.dtype == bool and i.ndim > 0 for i in items)
