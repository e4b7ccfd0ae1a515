"""Tensor's movement ops beyond reshape/transpose/indexing: a family of methods Tensor takes (tensor.py).

Every one is composed from primitives the engine already has (getitem, scatter_add, concatenate,
broadcast_to, reshape, where), so each gradient is right by construction: flip is a getitem with
negative steps, roll two slices joined, repeat and tile a broadcast and a reshape, tril/triu a where
with a constant mask, diag and diagonal a scatter or a pick with index arrays, and `pad`'s reflect,
symmetric, edge (PyTorch's replicate) and wrap (circular) modes a pick with the index arrays numpy's pad
gives for arange: padded entries that repeat an entry send their gradient back to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygrad_notes import combine as C
from tinygrad_notes import primitives as P
from tinygrad_notes.errors import ShapeError, normalize_axes, numpy_keywords
from tinygrad_notes.tensor import Tensor, where

PAD_MODES = ("constant", "reflect", "symmetric", "edge", "wrap")
PAD_ALIASES = {"replicate": "edge", "circular": "wrap"}  # PyTorch's names for numpy's modes


def _along(axis: int, index: Any) -> tuple:
    """An index that applies `index` to axis `axis` and keeps the others whole."""
    return (slice(None),) * axis + (index,)


class MovementOps:
    """flip, roll, repeat, tile, tril, triu, diag, diagonal (tensor.py makes them methods of Tensor)."""

    @numpy_keywords
    def flip(self: Tensor, axis: Any = None) -> Tensor:
        """Reverse the order along `axis` (all axes when None), like numpy's flip; a view."""
        axes = normalize_axes("flip", axis, self.ndim)
        axes = range(self.ndim) if axes is None else axes
        return self[tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(self.ndim))]

    @numpy_keywords
    def roll(self: Tensor, shift: int | Sequence[int], axis: Any = None) -> Tensor:
        """Shift entries along `axis` with wrap-around (over the flattened tensor when None), like numpy."""
        if axis is None:
            return self.reshape(-1).roll(shift, 0).reshape(self.shape)
        shifts = [shift] if isinstance(shift, (int, np.integer)) else list(shift)
        axes = [axis] if isinstance(axis, (int, np.integer)) else list(axis)
        if len(shifts) != len(axes):
            raise ShapeError(f"roll: {len(shifts)} shift(s) for {len(axes)} axis/axes; give one shift per axis")
        out = self
        for s, a in zip(shifts, axes):
            (a,) = normalize_axes("roll", a, self.ndim)  # type: ignore[misc]
            n = self.shape[a]
            s = int(s) % n if n else 0
            if s:
                out = C.concatenate([out[_along(a, slice(n - s, None))], out[_along(a, slice(0, n - s))]], axis=a)
        return out

    @numpy_keywords
    def repeat(self: Tensor, repeats: Any, axis: int | None = None) -> Tensor:
        """numpy's repeat: each entry `repeats` times in a row along `axis` (flattened when None).

        PyTorch's `x.repeat(2, 3)` tiles the whole tensor instead: that is `x.tile((2, 3))` here.
        """
        if axis is None:
            return self.reshape(-1).repeat(repeats, 0)
        (a,) = normalize_axes("repeat", axis, self.ndim)  # type: ignore[misc]
        if isinstance(repeats, (int, np.integer)):
            if repeats < 0:
                raise ValueError(f"repeat: repeats must be >= 0, got {repeats}")
            wide = self.unsqueeze(a + 1)
            shape = wide.shape[:a + 1] + (int(repeats),) + wide.shape[a + 2:]
            return wide.broadcast_to(shape).reshape(self.shape[:a] + (-1,) + self.shape[a + 1:]) \
                if self.shape[a] * int(repeats) else self[_along(a, slice(0, 0))]
        index = np.repeat(np.arange(self.shape[a]), np.asarray(repeats))
        return self[_along(a, index)]

    def tile(self: Tensor, reps: int | Sequence[int]) -> Tensor:
        """numpy's tile: the whole tensor repeated `reps` times along each axis (PyTorch's `repeat`)."""
        reps = (int(reps),) if isinstance(reps, (int, np.integer)) else tuple(int(r) for r in reps)
        x = self.reshape((1,) * (len(reps) - self.ndim) + self.shape) if len(reps) > self.ndim else self
        reps = (1,) * (x.ndim - len(reps)) + reps
        interleaved = x.reshape(tuple(v for s in x.shape for v in (1, s)))
        wide = interleaved.broadcast_to(tuple(v for r, s in zip(reps, x.shape) for v in (r, s)))
        return wide.reshape(tuple(r * s for r, s in zip(reps, x.shape)))

    def tril(self: Tensor, k: int = 0) -> Tensor:
        """The lower triangle of the last two axes (entries on and below diagonal k), zeros elsewhere."""
        return self._triangle(k, lower=True)

    def triu(self: Tensor, k: int = 0) -> Tensor:
        """The upper triangle of the last two axes (entries on and above diagonal k), zeros elsewhere."""
        return self._triangle(k, lower=False)

    def _triangle(self: Tensor, k: int, lower: bool) -> Tensor:
        if self.ndim < 2:
            raise ShapeError(f"{'tril' if lower else 'triu'}: needs at least 2 dimensions, got shape {self.shape}")
        n, m = self.shape[-2:]
        mask = np.tri(n, m, k, dtype=bool) if lower else ~np.tri(n, m, k - 1, dtype=bool)
        return where(mask, self, 0)

    def diag(self: Tensor, k: int = 0) -> Tensor:
        """numpy's diag: a 1-D tensor becomes a matrix with it on diagonal k; a matrix gives its diagonal k."""
        if self.ndim == 1:
            n = self.shape[0]
            size = n + abs(k)
            rows = np.arange(n) + max(-k, 0)
            return P.ScatterAdd.apply(self, index=(rows, rows + k), shape=(size, size))
        if self.ndim == 2:
            return self.diagonal(k)
        raise ShapeError(f"diag: needs a 1-D or a 2-D tensor, got shape {self.shape}; use diagonal(...) for more axes")

    def diagonal(self: Tensor, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
        """numpy's diagonal: entries (i, i + offset) of axes axis1 and axis2, as a new last axis."""
        a1, a2 = (normalize_axes("diagonal", a, self.ndim)[0] for a in (axis1, axis2))  # type: ignore[index]
        if a1 == a2:
            raise ShapeError(f"diagonal: axis1 and axis2 must differ, both are {a1}")
        rest = [i for i in range(self.ndim) if i not in (a1, a2)]
        moved = self.transpose(tuple(rest + [a1, a2]))
        n, m = moved.shape[-2:]
        start_row, start_col = max(-offset, 0), max(offset, 0)
        length = max(min(n - start_row, m - start_col), 0)
        rows = np.arange(length) + start_row
        return moved[(Ellipsis, rows, rows - start_row + start_col)]

    def _pad_by_index(self: Tensor, pad_width: Any, mode: str) -> Tensor:
        """pad with a non-constant mode: per axis, pick with the index numpy's pad gives for arange."""
        widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (self.ndim, 2))
        out = self
        for a, (before, after) in enumerate(widths):
            if before or after:
                try:
                    index = np.pad(np.arange(self.shape[a]), (int(before), int(after)), mode=mode)
                except ValueError as err:
                    raise ShapeError(f"pad: mode {mode!r} cannot pad axis {a} of size {self.shape[a]} by "
                                     f"({before}, {after}): {err}") from None
                out = out[_along(a, index)]
        return out
