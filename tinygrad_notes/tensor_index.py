"""Tensor's gather/scatter and sorting ops: a family of methods Tensor takes (tensor.py).

All differentiable ones run on one primitive pair (primitives_index.py): `take_along_axis` picks entries
at indices along an axis (PyTorch's gather), its VJP `add_along_axis` adds them back. sort and topk pick
the same way with the indices a stable argsort gives (found inside their forward), so at ties the
gradient goes to the entry the sort put there (a kink). masked_fill is a where. argsort gives indices:
a constant.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from tinygrad_notes import primitives_index as I
from tinygrad_notes.errors import ShapeError, normalize_axes, numpy_keywords
from tinygrad_notes.tensor import Tensor, _make, where


class TopK(NamedTuple):
    """What `topk` returns: the k values (differentiable) and their indices (int64), PyTorch's pair."""

    values: Tensor
    indices: Tensor


def _indices(indices: Any, op: str, torch_call: str, ours: str) -> np.ndarray:
    if isinstance(indices, (int, np.integer)):
        raise TypeError(f"{op}: indices must be an integer array, got the number {indices}; the arguments here are "
                        f"numpy's order: PyTorch's x.{torch_call} is x.{ours}")
    arr = np.asarray(indices._data if isinstance(indices, Tensor) else indices)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{op}: indices must be integers, got dtype {arr.dtype}")
    return arr


class IndexOps:
    """take_along_axis, scatter_add, masked_fill, sort, argsort, topk (tensor.py makes them methods of Tensor)."""

    @numpy_keywords
    def take_along_axis(self: Tensor, indices: Any, axis: int) -> Tensor:
        """numpy's take_along_axis (PyTorch's gather): out[..., i, ...] = x[..., indices[..., i, ...], ...].

        `indices` has the tensor's number of dimensions; repeated indices add their gradients up.
        """
        index = _indices(indices, "take_along_axis", "gather(dim, index)", "take_along_axis(index, axis=dim)")
        (a,) = normalize_axes("take_along_axis", axis, self.ndim)  # type: ignore[misc]
        if index.ndim != self.ndim:
            raise ShapeError(f"take_along_axis: indices of shape {index.shape} need as many dimensions as the tensor "
                             f"of shape {self.shape}")
        return I.TakeAlongAxis.apply(self, indices=index, axis=a)

    @numpy_keywords
    def scatter_add(self: Tensor, indices: Any, values: Any, axis: int) -> Tensor:
        """A copy of x with `values` added at `indices` along `axis` (repeats add up): PyTorch's scatter_add.

        Differentiable in x (slope 1) and in values (each gets the gradient of the entry it went to).
        """
        index = _indices(indices, "scatter_add", "scatter_add(dim, index, src)", "scatter_add(index, src, axis=dim)")
        (a,) = normalize_axes("scatter_add", axis, self.ndim)  # type: ignore[misc]
        added = I.AddAlongAxis.apply(values, indices=index, axis=a, shape=self.shape)
        return self + added

    def masked_fill(self: Tensor, mask: Any, value: Any) -> Tensor:
        """x with `value` where `mask` is true (broadcasting): a where, so the gradient flows to the kept entries."""
        return where(mask, value, self)

    @numpy_keywords
    def sort(self: Tensor, axis: int = -1, descending: bool = False) -> Tensor:
        """The values sorted along `axis` (ascending; numpy's sort, stable). Indices: argsort; ties are kinks."""
        (a,) = normalize_axes("sort", axis, self.ndim)  # type: ignore[misc]
        return I.Sort.apply(self, axis=a, descending=descending)

    @numpy_keywords
    def argsort(self: Tensor, axis: int = -1, descending: bool = False) -> Tensor:
        """Indices that sort along `axis` (stable; int64, a constant)."""
        (a,) = normalize_axes("argsort", axis, self.ndim)  # type: ignore[misc]
        return _make(I.stable_argsort(self._data, a, descending), False, None)

    @numpy_keywords
    def topk(self: Tensor, k: int, axis: int = -1, largest: bool = True) -> TopK:
        """The k largest (or smallest) entries along `axis`, sorted, and their indices: (values, indices)."""
        (a,) = normalize_axes("topk", axis, self.ndim)  # type: ignore[misc]
        if not 0 <= k <= self.shape[a]:
            raise ShapeError(f"topk: k={k} is out of range for axis {a} of size {self.shape[a]}")
        values = I.TopK.apply(self, axis=a, k=k, largest=largest)
        return TopK(values, _make(I.TopK.indices_of(self._data, a, k, largest), False, None))
