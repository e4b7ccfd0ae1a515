"""`Traced`: a numpy array that tells the tracer about every numpy call made on it.

While a step is being compiled, the values it computes are `Traced` views of the
real arrays: the step runs for real (every value is exact), and the numpy
protocols (`__array_ufunc__`, `__array_function__`) and a handful of methods
(views, copies, item assignment) report each call to the tracer, which writes it
down as a step of the program (tracer.py). A value read into Python (`float(x)`,
`x.item()`, `if x:`) is reported too: the program cannot replay what Python does
with it.

Outside the thread that traces, or once the trace is over (or stopped), a
`Traced` array behaves exactly like a plain one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_notes import mode


def plain(value: Any) -> Any:
    """`value` with every Traced array in it (also inside tuples, lists and dicts) as a plain ndarray view."""
    if isinstance(value, Traced):
        return value.view(np.ndarray)
    if type(value) is tuple or type(value) is list:
        return type(value)(plain(v) for v in value)
    if type(value) is dict:
        return {k: plain(v) for k, v in value.items()}
    return value


class Traced(np.ndarray):
    """A value of a step being traced: a view of the real array, with the tracer and its slot in the program."""

    tracer: Any
    slot: int | None

    def __array_finalize__(self, obj: Any) -> None:
        # A view numpy made on its own (inside a C-level method): how it relates to the value it came from is
        # unknown, so it is no value of the trace (slot None); the tracer refuses to follow it if it is used.
        self.tracer = getattr(obj, "tracer", None)
        self.slot = None

    def _active(self) -> Any:
        """The tracer, if it is tracing in this thread right now; else None (behave like a plain array)."""
        tracer = self.tracer
        if tracer is not None and not tracer.stopped and mode.current.get().tracer is tracer:
            return tracer
        return None

    # ---- the numpy protocols: every ufunc and numpy function called with a traced array ----------------------
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        tracer = self._active()
        if tracer is None:
            out = kwargs.get("out")
            result = getattr(ufunc, method)(*plain(inputs), **plain(kwargs))
            if out is not None:  # numpy hands back the out array(s) it was given: give back the same objects
                return out[0] if len(out) == 1 else out
            return result
        return tracer.ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        tracer = self._active()
        if tracer is None:
            return func(*plain(args), **plain(kwargs))
        return tracer.array_function(func, args, kwargs)

    # ---- methods that make views or copies, or write, without going through a ufunc -------------------------
    def _method(self, name: str, *args: Any, **kwargs: Any) -> Any:
        tracer = self._active()
        if tracer is None:
            return getattr(self.view(np.ndarray), name)(*plain(args), **plain(kwargs))
        return tracer.method(self, name, args, kwargs)

    def reshape(self, *args: Any, **kwargs: Any) -> Any:
        return self._method("reshape", *args, **kwargs)

    def transpose(self, *args: Any) -> Any:
        return self._method("transpose", *args)

    @property
    def T(self) -> Any:  # noqa: N802 - numpy's name
        return self._method("transpose")

    def swapaxes(self, *args: Any) -> Any:
        return self._method("swapaxes", *args)

    def squeeze(self, *args: Any, **kwargs: Any) -> Any:
        return self._method("squeeze", *args, **kwargs)

    def ravel(self, *args: Any) -> Any:
        return self._method("ravel", *args)

    def flatten(self, *args: Any) -> Any:
        return self._method("flatten", *args)

    def copy(self, *args: Any, **kwargs: Any) -> Any:
        return self._method("copy", *args, **kwargs)

    def astype(self, *args: Any, **kwargs: Any) -> Any:
        return self._method("astype", *args, **kwargs)

    def view(self, *args: Any, **kwargs: Any) -> Any:
        if not args and not kwargs:
            return self._method("view")
        if args and isinstance(args[0], type) and issubclass(args[0], np.ndarray):
            return super().view(*args, **kwargs)  # a change of class (plain() and friends), not of the data
        return self._method("view", *args, **kwargs)

    def fill(self, value: Any) -> None:
        self._method("fill", value)

    def __getitem__(self, index: Any) -> Any:
        return self._method("__getitem__", index)

    def __setitem__(self, index: Any, value: Any) -> None:
        self._method("__setitem__", index, value)

    def __iter__(self) -> Any:
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(len(self)))

    # ---- reads into Python: the program cannot replay what Python does with the value -----------------------
    def _read(self, how: str) -> np.ndarray:
        tracer = self._active()
        if tracer is not None:
            tracer.read(self, how)
        return self.view(np.ndarray)

    def item(self, *args: Any) -> Any:
        return self._read(".item()").item(*args)

    def tolist(self) -> Any:
        return self._read(".tolist()").tolist()

    def tobytes(self, *args: Any, **kwargs: Any) -> bytes:
        return self._read(".tobytes()").tobytes(*args, **kwargs)

    def __bool__(self) -> bool:
        return bool(self._read("bool()"))

    def __float__(self) -> float:
        return float(self._read("float()"))

    def __int__(self) -> int:
        return int(self._read("int()"))

    def __index__(self) -> int:
        return self._read("an index").__index__()

    def __complex__(self) -> complex:
        return complex(self._read("complex()"))

    def __reduce_ex__(self, protocol: Any) -> Any:
        return self._read("a copy or pickle").__reduce_ex__(protocol)

    def __deepcopy__(self, memo: Any) -> np.ndarray:
        return self._read("deepcopy()").copy()

    def __repr__(self) -> str:  # printing shows the values of the traced call; it is not replayed
        return repr(self.view(np.ndarray))

    def __str__(self) -> str:
        return str(self.view(np.ndarray))

    def __format__(self, spec: str) -> str:
        return format(self._read("format()"), spec)
