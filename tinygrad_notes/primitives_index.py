"""Picking entries along an axis and its VJP: take_along_axis and add_along_axis, each the other's gradient.

`take_along_axis` (PyTorch's `gather`) picks, for every position, the entry at `indices` along `axis`
(an attribute, a constant like getitem's index). `add_along_axis` adds values into zeros at those
positions (repeats add up): the VJP of taking, and its own VJP is taking again. sort, topk, cummax and
cummin pick the same way with indices their forward computes from the values (`SelectAlongAxis`), so
their gradients come from the same rule.
"""

from __future__ import annotations

import numpy as np

from tinygrad_notes.batching import batch_add_along_axis, batch_along_axis, batch_take_along_axis
from tinygrad_notes.errors import normalize_axes, shape_of
from tinygrad_notes.primitives import Primitive
from tinygrad_notes.rules import on


def _full_index(indices: np.ndarray, axis: int, shape: tuple[int, ...], out_shape: tuple[int, ...]) -> tuple:
    """For every position of `out_shape`: its coordinates in an array of `shape`, `indices` along `axis`.

    An axis of `shape` that has size 1 where `out_shape` is longer (broadcast) is always coordinate 0.
    """
    index = []
    for d, (size, n) in enumerate(zip(shape, out_shape)):
        if d == axis:
            index.append(np.broadcast_to(indices, out_shape))
        else:
            coords = np.zeros(n, dtype=np.intp) if size == 1 else np.arange(n)
            index.append(coords.reshape((n,) + (1,) * (len(out_shape) - d - 1)))
    return tuple(index)


class TakeAlongAxis(Primitive):
    __slots__ = ()
    op_name = "take_along_axis"
    batched = classmethod(batch_take_along_axis)

    def forward(ctx, x, indices, axis):
        return np.take_along_axis(x, indices, axis=axis)

    @staticmethod
    def explain(err: Exception, arrays: list, attrs: dict) -> str:
        return (f"take_along_axis: indices of shape {shape_of(attrs['indices'])} do not fit a tensor of shape "
                f"{shape_of(arrays[0])} along axis {attrs['axis']}: they need as many dimensions, in-range "
                f"values, and sizes that broadcast on the other axes ({err})")

    def backward(ctx, g):  # each picked entry sends its gradient back to where it came from (repeats add)
        return on(AddAlongAxis, g, indices=ctx.attrs["indices"], axis=ctx.attrs["axis"], shape=ctx.inputs[0].shape)


class AddAlongAxis(Primitive):
    __slots__ = ()
    op_name = "add_along_axis"
    batched = classmethod(batch_add_along_axis)

    def forward(ctx, values, indices, axis, shape):
        values = np.asarray(values)
        (axis,) = normalize_axes("add_along_axis", axis, values.ndim)
        out = np.zeros(shape, dtype=values.dtype)
        out_shape = np.broadcast_shapes(values.shape, np.shape(indices))
        np.add.at(out, _full_index(np.asarray(indices), axis, tuple(shape), out_shape),
                  np.broadcast_to(values, out_shape))
        return out

    def backward(ctx, gg):  # pick the same entries back out
        indices = np.broadcast_to(ctx.attrs["indices"], ctx.inputs[0].shape)
        return on(TakeAlongAxis, gg, indices=indices, axis=ctx.attrs["axis"])


def stable_argsort(x: np.ndarray, axis: int, descending: bool = False) -> np.ndarray:
    """Indices that sort x along axis, ties kept in their original order (also when descending)."""
    if not descending:
        return np.argsort(x, axis=axis, kind="stable")
    n = x.shape[axis]
    return n - 1 - np.flip(np.argsort(np.flip(x, axis=axis), axis=axis, kind="stable"), axis=axis)


def running_extreme_indices(x: np.ndarray, axis: int, accumulate: np.ufunc) -> np.ndarray:
    """For every position along axis: the index of the running max (np.maximum) or min so far (the latest tie)."""
    running = accumulate.accumulate(x, axis=axis)
    positions = np.arange(x.shape[axis]).reshape((-1,) + (1,) * (x.ndim - axis % x.ndim - 1))
    return np.maximum.accumulate(np.where(x == running, positions, 0), axis=axis)


class SelectAlongAxis(Primitive):
    """Entries picked along `axis` at indices computed from the values themselves (sort, topk, cummax, cummin).

    The forward finds the indices (`indices_of`, per subclass) and picks; the backward sends each picked
    entry's gradient back where it came from (add_along_axis), with the indices the forward found. Finding
    them inside the forward, rather than passing them in, keeps a replay honest: re-run on moved values,
    it sorts again, so a tie that breaks the other way shows (a kink), as it would in a real call.
    """

    __slots__ = ("indices",)
    batched = classmethod(batch_along_axis)

    @staticmethod
    def indices_of(x: np.ndarray, axis: int, **params: object) -> np.ndarray:
        raise NotImplementedError

    def forward(ctx, x, axis, **params):
        axis = axis % np.ndim(x)
        ctx.indices = type(ctx).indices_of(x, axis, **params)
        return np.take_along_axis(x, ctx.indices, axis=axis)

    def backward(ctx, g):  # each picked entry's gradient goes back to where it came from (repeats add)
        return on(AddAlongAxis, g, indices=ctx.indices, axis=ctx.attrs["axis"], shape=ctx.inputs[0].shape)


class Sort(SelectAlongAxis):
    __slots__ = ()
    op_name = "sort"

    @staticmethod
    def indices_of(x, axis, descending=False):
        return stable_argsort(x, axis, descending)


class TopK(SelectAlongAxis):
    __slots__ = ()
    op_name = "topk"

    @staticmethod
    def indices_of(x, axis, k, largest=True):
        return np.take(stable_argsort(x, axis, descending=largest), np.arange(k), axis=axis)


class CumMax(SelectAlongAxis):
    __slots__ = ()
    op_name = "cummax"

    @staticmethod
    def indices_of(x, axis):
        return running_extreme_indices(x, axis, np.maximum)


class CumMin(SelectAlongAxis):
    __slots__ = ()
    op_name = "cummin"

    @staticmethod
    def indices_of(x, axis):
        return running_extreme_indices(x, axis, np.minimum)
