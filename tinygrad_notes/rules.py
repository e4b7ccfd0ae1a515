"""Helpers for backward rules that run on Tensors (a recorded backward) and on numpy arrays alike.

A primitive's backward receives Tensors when `create_graph=True` asks for its graph, else plain arrays
(see primitives.py). These helpers apply an op either way, so one rule serves both.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_notes.batching import run_forward
from tinygrad_notes.tensor import Tensor, where


def on(cls: type, *args: Any, **attrs: Any) -> Any:
    """Primitive `cls` on the arguments: recorded when one is a Tensor, its own numpy forward otherwise."""
    for a in args:
        if isinstance(a, Tensor):
            return cls.apply(*args, **attrs)
    return run_forward(cls, list(args), attrs)


def data(v: Any) -> Any:
    """The array behind a Tensor, or the value itself."""
    return v._data if isinstance(v, Tensor) else v


def choose(cond: Any, a: Any, b: Any) -> Any:
    """a where cond holds, b elsewhere (cond a constant): `where` for Tensors, np.where for arrays."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return where(cond, a, b)
    return np.where(cond, a, b)


def reverse(v: Any, axis: int) -> Any:
    """v flipped along `axis`: a view through a negative step (getitem, recorded for a Tensor)."""
    return v[(slice(None),) * (axis % v.ndim) + (slice(None, None, -1),)]


def move_to_end(v: Any, axis: int) -> Any:
    """v with `axis` moved last (a transpose)."""
    order = [a for a in range(v.ndim) if a != axis % v.ndim] + [axis % v.ndim]
    return v.transpose(tuple(order))


def move_back(v: Any, axis: int) -> Any:
    """Undo `move_to_end(v, axis)`: the last axis goes back to position `axis`."""
    order = list(range(v.ndim - 1))
    order.insert(axis % v.ndim, v.ndim - 1)
    return v.transpose(tuple(order))
