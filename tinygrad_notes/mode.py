"""Global switches of the engine: grad mode, module scope, anomaly detection.

They are plain module globals because `Function.apply` reads them on every op
and a global lookup is the cheapest read Python has.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

grad_enabled: bool = True
scope: str | None = None  # dotted name of the nn module that is running, if any
anomaly: bool = False
write_count: int = 0  # in-place writes so far; each write stamps its tensor's version box with it


def count_write() -> int:
    """Advance the global in-place write count and return it (the stamp for the written tensor)."""
    global write_count
    write_count += 1
    return write_count


class _GradMode:
    """Context manager and decorator that sets grad mode, restoring it on exit."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.prev: list[bool] = []

    def __enter__(self) -> None:
        global grad_enabled
        self.prev.append(grad_enabled)
        grad_enabled = self.enabled

    def __exit__(self, *exc: object) -> None:
        global grad_enabled
        grad_enabled = self.prev.pop()

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__(self.enabled):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


def no_grad() -> _GradMode:
    """Stop recording the graph: ops return plain tensors and cost little more than numpy."""
    return _GradMode(False)


def enable_grad() -> _GradMode:
    """Record the graph again (e.g. inside a `no_grad` block)."""
    return _GradMode(True)


def is_grad_enabled() -> bool:
    """True when ops record the graph."""
    return grad_enabled


class name_scope:  # noqa: N801 - used like a function, as a context manager
    """Tag every op recorded inside with a dotted scope name (nn modules use it; viz groups by it).

    A small class rather than a generator-based context manager: every nn module call enters one.
    """

    __slots__ = ("name", "prev")

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> None:
        global scope
        self.prev = prev = scope
        scope = self.name if not prev else f"{prev}.{self.name}" if self.name else prev

    def __exit__(self, *exc: object) -> None:
        global scope
        scope = self.prev


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Raise at the first op whose forward or backward makes NaN or Inf, naming it and where it was created."""
    global anomaly
    prev = anomaly
    anomaly = True
    try:
        yield
    finally:
        anomaly = prev
