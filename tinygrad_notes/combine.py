"""Module-level ops that take several tensors: concatenate, stack, where, maximum, minimum."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygrad_notes import primitives as P
from tinygrad_notes.errors import ShapeError, numpy_keywords, operand_error
from tinygrad_notes.tensor import Tensor, where

__all__ = ["concatenate", "stack", "where", "maximum", "minimum"]


@numpy_keywords
def concatenate(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (None: flattened first, as numpy does); each gets its slice of the
    gradient back."""
    tensors = list(tensors)
    if not tensors:
        raise ShapeError("concatenate: needs at least one tensor")
    if axis is None:
        for i, t in enumerate(tensors):
            error = None if isinstance(t, Tensor) else operand_error("concatenate", t, i)
            if error is not None:
                raise error
        tensors = [t.reshape(-1) if isinstance(t, Tensor) else np.ravel(t) for t in tensors]
        axis = 0
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"concatenate: axis must be an int or None, got {axis!r} ({type(axis).__name__})")
    return P.Concatenate.apply(*tensors, axis=axis)


@numpy_keywords
def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join same-shaped tensors along a new axis."""
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not tensors:
        raise ShapeError("stack: needs at least one tensor")
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise ShapeError(f"stack: all tensors must have the same shape, got {', '.join(str(t.shape) for t in tensors)}")
    return concatenate([t.unsqueeze(axis) for t in tensors], axis=axis)


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise max of two tensors (broadcasting); at ties the gradient is split evenly."""
    return P.Maximum.apply(a, b)


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise min of two tensors (broadcasting); at ties the gradient is split evenly."""
    return P.Minimum.apply(a, b)
