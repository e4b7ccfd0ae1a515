"""Errors a user meets, worded to name the op, the shapes, and what to do."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np


class ShapeError(ValueError):
    """An op got inputs whose shapes (or index, or axis) do not fit; the message names op and shapes."""


def shape_of(value: Any) -> tuple[int, ...]:
    """Shape of an array, Tensor or Python scalar."""
    return tuple(np.shape(value))


def broadcast_message(op: str, shapes: list[tuple[int, ...]]) -> str:
    """Explain why shapes do not broadcast, pointing at the first pair of sizes that clash."""
    ndim = max(len(s) for s in shapes)
    padded = [(1,) * (ndim - len(s)) + tuple(s) for s in shapes]
    for axis in range(ndim - 1, -1, -1):
        sizes = {p[axis] for p in padded} - {1}
        if len(sizes) > 1:
            dims = " vs ".join(str(p[axis]) for p in padded)
            return (
                f"{op}: shapes {' and '.join(str(tuple(s)) for s in shapes)} cannot be broadcast together: "
                f"sizes {dims} clash at axis {axis - ndim} (counting from the right). Broadcasting aligns "
                "shapes from the right and needs each pair of sizes equal or one of them 1; "
                "reshape or transpose an input so they line up."
            )
    return f"{op}: shapes {' and '.join(str(tuple(s)) for s in shapes)} cannot be broadcast together"


def explain_numpy_error(cls: type, op: str, err: Exception, arrays: list[Any], attrs: dict[str, Any]) -> str | None:
    """Turn numpy's error from op `op`'s forward (class `cls`) into ours, or None to let the original through."""
    explain = getattr(cls, "explain", None)
    if explain is not None:
        message = explain(err, arrays, attrs)
        if message is not None:
            return message
    text = str(err)
    if "broadcast" in text:
        shapes = [shape_of(a) for a in arrays if a is not None and not isinstance(a, (str, type))]
        return broadcast_message(op, shapes)
    return None


def normalize_axes(op: str, axis: Any, ndim: int) -> tuple[int, ...] | None:
    """numpy's `axis` (None, int, negative int, tuple) as a sorted tuple of non-negative axes."""
    if axis is None:
        return None
    if type(axis) is int and -ndim <= axis < ndim:  # the common case, quickly
        return (axis % ndim,)
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not isinstance(a, (int, np.integer)):
            raise TypeError(f"{op}: axis must be an int or a tuple of ints, got {a!r}")
        if not -ndim <= a < ndim:
            where = f"use an axis in [{-ndim}, {ndim - 1}] or None" if ndim else "use axis=None"
            raise ShapeError(f"{op}: axis {a} is out of range for a tensor with {ndim} dimension(s); {where}")
        a = int(a) % ndim
        if a in out:
            raise ShapeError(f"{op}: axis {a} is repeated in {axis!r}")
        out.append(a)
    return tuple(sorted(out))


# PyTorch's keyword -> numpy's, the spelling of every op here (docs/coming_from_pytorch.md has the other habits).
NUMPY_SPELLING = {"dim": "axis", "keepdim": "keepdims", "start_dim": "start_axis", "end_dim": "end_axis",
                  "unbiased": "ddof", "correction": "ddof"}


def numpy_keywords(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Make `dim=`/`keepdim=` (PyTorch's keywords) fail with a TypeError that names numpy's spelling to use.

    Ordinary calls pay only for the wrapper's frame: the keywords are looked at only after Python has refused
    one, in the `except` branch, and then only PyTorch's names are turned into our message."""

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TypeError:
            torch_names = [k for k in kwargs if k in NUMPY_SPELLING]
            if not torch_names:
                raise
            given = ", ".join(f"{k}={kwargs[k]!r}" for k in torch_names)
            fix = ", ".join(_numpy_spelling(k, kwargs[k]) for k in torch_names)
            raise TypeError(f"{fn.__qualname__}() got PyTorch's {given}: use numpy's {fix} (every op here takes "
                            "numpy's keywords; docs/coming_from_pytorch.md lists what else differs)") from None

    return call


def _numpy_spelling(name: str, value: Any) -> str:
    if name == "unbiased":  # unbiased=True divides by n - 1
        return f"ddof={int(bool(value))}"
    return f"{NUMPY_SPELLING[name]}={value!r}"
