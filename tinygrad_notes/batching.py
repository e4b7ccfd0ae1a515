"""Batched replay rules: how a primitive's forward runs on values that carry a leading batch axis.

The gradient checker re-runs a recorded graph on B perturbed copies of one input
at once (`gradcheck/replay.py`): every value that depends on that input then
has a leading axis of size B. Each primitive names its rule in its class
(`batched = batch_elementwise`, ...), beside its forward and backward; a rule is
called as `cls.batched(args, flags, attrs, size)` with the op's arguments,
which of them are batched, its attributes and B, and returns the batched output,
or None when it cannot (an unusual index), in which case the copies are run one
by one. The rules call the op's own forward wherever they can, so no forward is
written twice.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_notes.errors import normalize_axes

_new = object.__new__


def run_forward(cls: type, args: list, attrs: dict) -> np.ndarray:
    """The op's own forward on plain arrays, without recording anything (a compiled step's traced array stays
    one: np.asanyarray keeps the subclass, so the trace follows the result)."""
    return np.asanyarray(cls.forward(_new(cls), *args, **attrs))


def one_by_one(cls: type, args: list, flags: list, attrs: dict, size: int) -> np.ndarray:
    """Any op: run its forward once per copy and stack (a user's Function, an unusual index)."""
    return np.stack([run_forward(cls, [a[b] if f else a for a, f in zip(args, flags)], attrs) for b in range(size)])


def item_ndim(a: Any, batched: bool) -> int:
    """Rank of one copy of `a`."""
    return np.ndim(a) - 1 if batched else np.ndim(a)


def batch_elementwise(cls: type, args: list, flags: list, attrs: dict, size: int) -> np.ndarray:
    """Broadcasting ops: give each batched input the common rank so its batch axis lines up in front."""
    rank = max([item_ndim(a, f) for a, f in zip(args, flags)]
               + [np.ndim(v) for v in attrs.values() if isinstance(v, np.ndarray)])
    aligned = [a.reshape((size,) + (1,) * (rank - a.ndim + 1) + a.shape[1:]) if f else a for a, f in zip(args, flags)]
    return run_forward(cls, aligned, attrs)


def shifted_axes(op: str, axis: Any, ndim: int) -> tuple[int, ...]:
    """A reduction's axes of one copy (None: all of them), moved one to the right past the batch axis."""
    axes = normalize_axes(op, axis, ndim)
    return tuple(a + 1 for a in (range(ndim) if axes is None else axes))


def batch_reduction(cls: type, args: list, flags: list, attrs: dict, size: int) -> np.ndarray:
    """sum, mean, max: reduce each copy over its own axes."""
    (x,) = args
    axes = shifted_axes(cls.op_name, attrs.get("axis"), x.ndim - 1)
    return run_forward(cls, [x], {**attrs, "axis": axes})


def batch_along_axis(cls: type, args: list, flags: list, attrs: dict, size: int) -> np.ndarray:
    """Ops along one axis (cumsum, sort, ...): the per-copy axis, one further right."""
    (x,) = args
    (axis,) = normalize_axes(cls.op_name, attrs.get("axis", -1), x.ndim - 1)  # type: ignore[misc]
    return run_forward(cls, [x], {**attrs, "axis": axis + 1})


def batch_along_axes(cls: type, args: list, flags: list, attrs: dict, size: int) -> np.ndarray:
    """softmax / log_softmax: the per-copy axes (an int, a tuple, or None: all of them), one further right."""
    (x,) = args
    return run_forward(cls, [x], {**attrs, "axis": shifted_axes(cls.op_name, attrs.get("axis", -1), x.ndim - 1)})


def batch_matmul(cls: type, args: list, flags: list, attrs: dict, size: int) -> np.ndarray:
    """numpy's matmul rules per copy: 1-D operands become a row / a column, batch dims broadcast after B."""
    (x, y), (fx, fy) = args, flags
    nx, ny = item_ndim(x, fx), item_ndim(y, fy)
    if fx and nx == 1:
        x = x[:, None, :]
    elif not fx and nx == 1:
        x = x[None, :]
    if fy and ny == 1:
        y = y[:, :, None]
    elif not fy and ny == 1:
        y = y[:, None]
    rank = max(item_ndim(x, fx), item_ndim(y, fy))  # per-copy rank of the 2-D-or-more operands
    if fx:
        x = x.reshape((size,) + (1,) * (rank - x.ndim + 1) + x.shape[1:])
    if fy:
        y = y.reshape((size,) + (1,) * (rank - y.ndim + 1) + y.shape[1:])
    if not fx:
        x = x.reshape((1,) * (rank + 1 - x.ndim) + x.shape)
    if not fy:
        y = y.reshape((1,) * (rank + 1 - y.ndim) + y.shape)
    out = run_forward(cls, [x, y], attrs)
    if ny == 1:
        out = out[..., 0]
    if nx == 1:
        out = out[..., 0, :] if ny != 1 else out[..., 0]
    return out


def batch_reshape(cls: type, args: list, flags: list, attrs: dict, size: int) -> np.ndarray:
    shape = attrs["shape"]
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return run_forward(cls, [args[0]], {**attrs, "shape": (size, *shape)})


def batch_transpose(cls: type, args: list, flags: list, attrs: dict, size: int) -> np.ndarray:
    x = args[0]
    nd = x.ndim - 1
    axes = attrs.get("axes")
    order = tuple(range(nd, 0, -1)) if axes is None else tuple(a % nd + 1 for a in axes)
    return run_forward(cls, [x], {**attrs, "axes": (0, *order)})


def batch_broadcast_to(cls: type, args: list, flags: list, attrs: dict, size: int) -> np.ndarray:
    x = args[0]
    shape = tuple(attrs["shape"])
    x = x.reshape((size,) + (1,) * (len(shape) - x.ndim + 1) + x.shape[1:])
    return run_forward(cls, [x], {**attrs, "shape": (size, *shape)})


def batched_index(index: Any) -> tuple | None:
    """`index` behind a leading slice for the batch axis, or None when numpy would then move axes around."""
    items = index if isinstance(index, tuple) else (index,)
    arrays = [isinstance(i, np.ndarray) for i in items]
    if any(isinstance(i, (bool, np.bool_)) or isinstance(i, np.ndarray) and i.ndim == 0 for i in items):
        return None
    if any(arrays):  # advanced indexing: the picked axes must stay together to keep their place
        advanced = [k for k, i in enumerate(items) if arrays[k] or isinstance(i, (int, np.integer))]
        if advanced != list(range(advanced[0], advanced[-1] + 1)):
            return None
    return (slice(None),) + items


def batch_getitem(cls: type, args: list, flags: list, attrs: dict, size: int) -> np.ndarray | None:
    index = batched_index(attrs["index"])
    return None if index is None else run_forward(cls, [args[0]], {**attrs, "index": index})


def batch_concatenate(cls: type, args: list, flags: list, attrs: dict, size: int) -> np.ndarray:
    nd = next(item_ndim(a, f) for a, f in zip(args, flags))
    (axis,) = normalize_axes("concatenate", attrs.get("axis", 0), nd)  # type: ignore[misc]
    parts = [a if f else np.broadcast_to(a, (size,) + np.shape(a)) for a, f in zip(args, flags)]
    return run_forward(cls, parts, {**attrs, "axis": axis + 1})


def batch_pad(cls: type, args: list, flags: list, attrs: dict, size: int) -> np.ndarray:
    x = args[0]
    widths = np.broadcast_to(np.asarray(attrs["pad_width"], dtype=np.int64), (x.ndim - 1, 2))
    return run_forward(cls, [x], {**attrs, "pad_width": np.concatenate([np.zeros((1, 2), dtype=np.int64), widths])})


def batch_scatter_add(cls: type, args: list, flags: list, attrs: dict, size: int) -> np.ndarray | None:
    index = batched_index(attrs["index"])
    if index is None or not flags[0]:
        return None
    return run_forward(cls, [args[0]], {**attrs, "index": index, "shape": (size, *tuple(attrs["shape"]))})


def batch_take_along_axis(cls: type, args: list, flags: list, attrs: dict, size: int) -> np.ndarray:
    """take_along_axis: the per-copy axis one further right; the (constant) indices get a size-1 batch axis."""
    (axis,) = normalize_axes(cls.op_name, attrs["axis"], args[0].ndim - 1)  # type: ignore[misc]
    return run_forward(cls, [args[0]], {**attrs, "indices": np.asarray(attrs["indices"])[None], "axis": axis + 1})


def batch_add_along_axis(cls: type, args: list, flags: list, attrs: dict, size: int) -> np.ndarray | None:
    """add_along_axis: B copies of the values added into B copies of the zeros at once."""
    if not flags[0]:
        return None
    (axis,) = normalize_axes(cls.op_name, attrs["axis"], args[0].ndim - 1)  # type: ignore[misc]
    return run_forward(cls, [args[0]], {**attrs, "indices": np.asarray(attrs["indices"])[None], "axis": axis + 1,
                                        "shape": (size, *tuple(attrs["shape"]))})


def batch_einsum(cls: type, args: list, flags: list, attrs: dict, size: int) -> np.ndarray:
    """einsum: one more letter for the batch axis, in front of the batched operands and of the output."""
    inputs, out = attrs["subscripts"].split("->")
    letter = next(c for c in "BZYXWVUTSRQPONMLKJIHGFEDCAzyxwvutsrqponmlkjihgfedcba" if c not in attrs["subscripts"])
    terms = [letter + t if f else t for t, f in zip(inputs.split(","), flags)]
    return run_forward(cls, args, {**attrs, "subscripts": ",".join(terms) + "->" + letter + out})


def batch_leading_axes(cls: type, args: list, flags: list, attrs: dict, size: int) -> np.ndarray | None:
    """Ops on the trailing axes that carry any leading ones (windows, fold): the batch axis is one more."""
    if not flags[0]:
        return None
    return run_forward(cls, args, attrs)
