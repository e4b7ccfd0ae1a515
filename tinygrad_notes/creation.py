"""Ways to make leaf tensors: filled, ranges, and random draws from a seedable generator."""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_notes.tensor import Tensor, get_default_dtype

__all__ = ["zeros", "ones", "full", "zeros_like", "ones_like", "full_like", "arange", "linspace", "eye", "randn",
           "rand"]


def _shape(shape: Any) -> tuple[int, ...]:
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)


def _dtype(dtype: Any) -> np.dtype:
    return get_default_dtype() if dtype is None else np.dtype(dtype)


def full(shape: Any, value: float, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of `shape` filled with `value`."""
    return Tensor(np.full(_shape(shape), value, dtype=_dtype(dtype)), requires_grad=requires_grad)


def zeros(shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros."""
    return full(shape, 0, dtype, requires_grad)


def ones(shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones."""
    return full(shape, 1, dtype, requires_grad)


def full_like(t: Any, value: float, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor with the shape of `t` filled with `value`; the dtype of `t` unless `dtype` is given."""
    arr = np.asarray(t)
    return Tensor(np.full(arr.shape, value, dtype=arr.dtype if dtype is None else np.dtype(dtype)),
                  requires_grad=requires_grad)


def zeros_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape and dtype of `t` (or `dtype`)."""
    return full_like(t, 0, dtype, requires_grad)


def ones_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones with the shape and dtype of `t` (or `dtype`)."""
    return full_like(t, 1, dtype, requires_grad)


def arange(start: float, stop: float | None = None, step: float = 1, dtype: Any = None) -> Tensor:
    """Evenly spaced values in [start, stop), like numpy's arange: integer arguments give integers (int64),
    a float among them gives the default float dtype."""
    values = np.arange(start, stop, step) if stop is not None else np.arange(start, step=step)
    if dtype is None:
        dtype = values.dtype if values.dtype.kind in "iu" else _dtype(None)
    return Tensor(values.astype(dtype, copy=False))


def linspace(start: float, stop: float, num: int = 50, endpoint: bool = True, dtype: Any = None) -> Tensor:
    """`num` evenly spaced values from start to stop (stop included unless endpoint=False), like numpy."""
    return Tensor(np.linspace(start, stop, num, endpoint=endpoint).astype(_dtype(dtype)))


def eye(n: int, m: int | None = None, k: int = 0, dtype: Any = None) -> Tensor:
    """An n x m matrix (m = n by default) with ones on diagonal k (0: the main one), like numpy's eye."""
    return Tensor(np.eye(n, m, k, dtype=_dtype(dtype)))


def randn(*shape: Any, generator: np.random.Generator | None = None, dtype: Any = None,
          requires_grad: bool = False) -> Tensor:
    """Standard normal draws; pass a `np.random.default_rng(seed)` for reproducibility."""
    rng = generator if generator is not None else np.random.default_rng()
    shape = _shape(shape[0]) if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)) else _shape(shape)
    return Tensor(rng.standard_normal(shape).astype(_dtype(dtype)), requires_grad=requires_grad)


def rand(*shape: Any, generator: np.random.Generator | None = None, dtype: Any = None,
         requires_grad: bool = False) -> Tensor:
    """Uniform draws in [0, 1); pass a `np.random.default_rng(seed)` for reproducibility."""
    rng = generator if generator is not None else np.random.default_rng()
    shape = _shape(shape[0]) if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)) else _shape(shape)
    return Tensor(rng.random(shape).astype(_dtype(dtype)), requires_grad=requires_grad)
