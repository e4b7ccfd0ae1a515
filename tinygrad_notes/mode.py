"""The engine's modes, one set per thread: grad mode, module scope, anomaly detection, the dtype, source lines,
tracing.

Like PyTorch's grad mode, each is thread-local: `no_grad()` in one thread never
stops another thread's graph, and a context manager restores exactly the value
it found in its own thread. A new thread starts with the defaults (grad on, no
scope, anomaly off, float32, no source lines).

The modes are one record, `Modes`, never changed in place, held in a context variable
(`contextvars`, which gives every thread, and every asyncio task, its own
value). `Function.apply` reads it on every op with one `current.get()`; a
context manager sets a changed copy and resets the variable with its token on
exit, so it restores exactly what it changed and nothing is ever mutated in
place where another thread could see it.

The in-place write count is not a mode but a clock shared by all threads: a
write in one thread must invalidate a graph recorded in another.
"""

from __future__ import annotations

import contextvars
import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

F = TypeVar("F", bound=Callable[..., Any])
FLOAT32 = np.dtype(np.float32)


class Modes:
    """One thread's modes, never changed in place: the context managers below set changed copies.

    A slotted class rather than a NamedTuple: every op reads two or three of these fields, and a
    slot is the fastest attribute Python has.
    """

    FIELDS = ("grad_enabled", "scope", "anomaly", "default_dtype", "record_sources", "tracer")
    __slots__ = (*FIELDS, "watch")

    def __init__(self, grad_enabled: bool = True, scope: str | None = None, anomaly: bool = False,
                 default_dtype: np.dtype = FLOAT32, record_sources: bool = False, tracer: Any = None) -> None:
        self.grad_enabled = grad_enabled
        self.scope = scope  # dotted name of the nn module that is running, if any
        self.anomaly = anomaly
        self.default_dtype = default_dtype
        self.record_sources = record_sources  # each recorded op notes the user's line that created it
        self.tracer = tracer  # the tracer recording a compiled step in this thread (jit/tracer.py), or None
        # Any opt-in work per op (anomaly checks, source lines, tracing): run_op tests this one flag, so the
        # modes that are off cost nothing.
        self.watch = anomaly or record_sources or tracer is not None

    def _replace(self, **changes: Any) -> Modes:
        fields = {name: getattr(self, name) for name in Modes.FIELDS}
        return Modes(**{**fields, **changes})

    def __repr__(self) -> str:
        return "Modes(" + ", ".join(f"{name}={getattr(self, name)!r}" for name in Modes.FIELDS) + ")"


current: contextvars.ContextVar[Modes] = contextvars.ContextVar(
    "tinygrad_notes_modes", default=Modes())  # noqa: B039 - a Modes is never changed in place

write_count: int = 0  # in-place writes so far, in all threads; each write stamps its tensor's version box
_write_lock = threading.Lock()


def count_write() -> int:
    """Advance the shared in-place write count and return it (the stamp for the written tensor)."""
    global write_count
    with _write_lock:  # two threads must never hand out the same stamp, nor move the clock back
        write_count += 1
        return write_count


class _Set:
    """Base of the context managers: set a changed copy of this thread's modes, reset it on exit.

    The tokens are kept per thread, so one instance entered by several threads at once, or
    re-entered, still restores each thread's own previous modes.
    """

    __slots__ = ("tokens",)

    def changes(self) -> dict[str, Any]:
        raise NotImplementedError

    def __enter__(self) -> None:
        token = current.set(current.get()._replace(**self.changes()))
        try:
            tokens = self.tokens
        except AttributeError:
            tokens = self.tokens = {}
        tokens.setdefault(threading.get_ident(), []).append(token)

    def __exit__(self, *exc: object) -> None:
        ident = threading.get_ident()
        stack = self.tokens[ident]
        current.reset(stack.pop())
        if not stack:
            del self.tokens[ident]


class _GradMode(_Set):
    """Context manager and decorator that sets this thread's grad mode, restoring it on exit."""

    __slots__ = ("enabled",)

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def changes(self) -> dict[str, Any]:
        return {"grad_enabled": self.enabled}

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__(self.enabled):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


def no_grad() -> _GradMode:
    """Stop recording the graph in this thread: ops return plain tensors and cost little more than numpy."""
    return _GradMode(False)


def enable_grad() -> _GradMode:
    """Record the graph again in this thread (e.g. inside a `no_grad` block)."""
    return _GradMode(True)


def is_grad_enabled() -> bool:
    """True when ops record the graph in this thread."""
    return current.get().grad_enabled


def current_scope() -> str | None:
    """This thread's dotted scope name (the nn module running now, as its parent named it), or None."""
    return current.get().scope


class name_scope(_Set):  # noqa: N801 - used like a function, as a context manager
    """Tag every op this thread records inside with a dotted scope name (nn modules use it; viz groups by it).

    A small class rather than a generator-based context manager: every nn module call enters one.
    """

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def changes(self) -> dict[str, Any]:
        prev = current.get().scope
        return {"scope": self.name if not prev else f"{prev}.{self.name}" if self.name else prev}


class detect_anomaly(_Set):  # noqa: N801 - used like a function, as a context manager
    """Raise at the first op whose forward or backward makes NaN or Inf, naming it and where it was created.

    Affects only the thread that enters it.
    """

    __slots__ = ()

    def changes(self) -> dict[str, Any]:
        return {"anomaly": True}


class record_sources(_Set):  # noqa: N801 - used like a function, as a context manager
    """Note on every op this thread records the line of user code that created it (read with `source_of`).

    For pictures (viz's HTML page shows the line of each node); off by default, when it costs nothing.
    Affects only the thread that enters it.
    """

    __slots__ = ()

    def changes(self) -> dict[str, Any]:
        return {"record_sources": True}


class tracing(_Set):  # noqa: N801 - used like a function, as a context manager
    """Hand this thread's ops, backward walks, random draws and reads of tensor values to `tracer` (or to
    nobody: `tracing(None)` pauses a trace). Used by `compile` (jit/); affects only the thread that enters it."""

    __slots__ = ("tracer",)

    def __init__(self, tracer: Any) -> None:
        self.tracer = tracer

    def changes(self) -> dict[str, Any]:
        return {"tracer": self.tracer}


def _float_dtype(dtype: Any, who: str) -> np.dtype:
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"{who}: the default must be a float dtype, got {dt}")
    return dt


def set_default_dtype(dtype: Any) -> None:
    """Set this thread's float dtype for Python scalars and lists (float32 unless changed)."""
    current.set(current.get()._replace(default_dtype=_float_dtype(dtype, "set_default_dtype")))


def get_default_dtype() -> np.dtype:
    """This thread's float dtype for Python scalars and lists."""
    return current.get().default_dtype


class default_dtype(_Set):  # noqa: N801 - used like a function, as a context manager
    """Inside, this thread's Python scalars and lists become `dtype`; the previous default comes back on exit."""

    __slots__ = ("dtype",)

    def __init__(self, dtype: Any) -> None:
        self.dtype = _float_dtype(dtype, "default_dtype")

    def changes(self) -> dict[str, Any]:
        return {"default_dtype": self.dtype}
