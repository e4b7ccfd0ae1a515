"""Tensor's reductions and running (cumulative) ops beyond sum/mean/max/min: methods Tensor takes (tensor.py).

prod is the last entry of cumprod (whose rule is exact at zeros); cummax/cummin pick the running extreme
(primitives_index.SelectAlongAxis), so the gradient goes to the entry that holds it (ties are kinks); norm is the
vector p-norm over `axis` (all entries by default, as PyTorch's `x.norm()`), with gradient 0 at the zero
vector for p = 2. all/any return bool constants.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_notes import primitives_index as I
from tinygrad_notes import primitives_reduce as R
from tinygrad_notes.errors import normalize_axes, numpy_keywords
from tinygrad_notes.tensor import Tensor, _make, where


def _one_axis(t: Tensor, axis: int | None, op: str) -> tuple[Tensor, int]:
    """(t, axis) for an op along one axis; axis=None flattens first, as numpy's cumsum does."""
    if axis is None:
        return t.reshape(-1), 0
    (a,) = normalize_axes(op, axis, t.ndim)  # type: ignore[misc]
    return t, a


class ReduceOps:
    """prod, cumsum, cumprod, cummax, cummin, norm, all, any (tensor.py makes them methods of Tensor)."""

    @numpy_keywords
    def cumsum(self: Tensor, axis: int | None = None) -> Tensor:
        """Running sums along `axis` (over the flattened tensor when None, like numpy)."""
        t, a = _one_axis(self, axis, "cumsum")
        return R.CumSum.apply(t, axis=a)

    @numpy_keywords
    def cumprod(self: Tensor, axis: int | None = None) -> Tensor:
        """Running products along `axis` (flattened when None); the gradient is exact where entries are 0."""
        t, a = _one_axis(self, axis, "cumprod")
        return R.CumProd.apply(t, axis=a)

    @numpy_keywords
    def prod(self: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Product over `axis`: the last running product, so its gradient is exact where entries are 0."""
        axes = normalize_axes("prod", axis, self.ndim)
        axes = tuple(range(self.ndim)) if axes is None else axes
        kept = tuple(1 if i in axes else s for i, s in enumerate(self.shape))
        out_shape = kept if keepdims else tuple(s for i, s in enumerate(self.shape) if i not in axes)
        if any(self.shape[a] == 0 for a in axes):  # the empty product is 1 (and nothing to differentiate)
            return self.sum(axis=axes, keepdims=keepdims) * 0 + 1
        rest = [i for i in range(self.ndim) if i not in axes]
        moved = self.transpose(tuple(rest + list(axes))) if rest + list(axes) != list(range(self.ndim)) else self
        rows = moved.reshape(tuple(self.shape[i] for i in rest) + (-1,))
        return R.CumProd.apply(rows, axis=-1)[..., -1].reshape(out_shape)

    @numpy_keywords
    def cummax(self: Tensor, axis: int = 0) -> Tensor:
        """Running maximum along `axis` (values only, like np.maximum.accumulate); ties are kinks."""
        t, a = _one_axis(self, axis, "cummax")
        return I.CumMax.apply(t, axis=a)

    @numpy_keywords
    def cummin(self: Tensor, axis: int = 0) -> Tensor:
        """Running minimum along `axis` (values only, like np.minimum.accumulate); ties are kinks."""
        t, a = _one_axis(self, axis, "cummin")
        return I.CumMin.apply(t, axis=a)

    @numpy_keywords
    def norm(self: Tensor, ord: float | str | None = None, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Vector p-norm over `axis` (all entries by default; "fro" is the 2-norm): (sum |x|^p)^(1/p).

        ord 2 (the default) has gradient x / ||x|| and 0 at the zero vector (a kink); 1 is sum |x|,
        inf max |x|, -inf min |x|; any other p >= 1 is composed. Matrix norms (spectral, nuclear) are
        not provided: np.linalg.norm(x, 2) of a matrix is its largest singular value, this is not.
        """
        if ord is None or ord == 2 or ord == "fro":
            return R.VectorNorm.apply(self, axis=axis, keepdims=keepdims)
        if ord == 1:
            return self.abs().sum(axis, keepdims)
        if ord == np.inf:
            return self.abs().max(axis, keepdims)
        if ord == -np.inf:
            return self.abs().min(axis, keepdims)
        if isinstance(ord, (int, float)) and ord > 1:
            total = (self.abs() ** ord).sum(axis, keepdims)
            positive = total._data > 0
            return where(positive, where(positive, total, 1.0) ** (1.0 / ord), 0.0)
        raise ValueError(f"norm: ord must be None, 'fro', 1, 2, any p > 1, inf or -inf, got {ord!r}")

    @numpy_keywords
    def all(self: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
        """True where every entry over `axis` is nonzero (a bool constant: not differentiable)."""
        return _make(np.all(self._data, axis=normalize_axes("all", axis, self.ndim), keepdims=keepdims), False, None)

    @numpy_keywords
    def any(self: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
        """True where some entry over `axis` is nonzero (a bool constant: not differentiable)."""
        return _make(np.any(self._data, axis=normalize_axes("any", axis, self.ndim), keepdims=keepdims), False, None)
