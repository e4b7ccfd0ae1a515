"""Re-run a recorded graph on plain arrays, many perturbed copies at once: the full check's fast evaluator.

A full gradient check of a model with n parameters evaluates its cost 2n times.
Calling the user's function each time pays the Tensor machinery on every op and
recomputes the layers below the parameter being moved, which do not change. The
graph recorded for the analytical gradient already lists every op with its
inputs and attributes, so `GraphReplay` runs the ops' own `forward`s again on
numpy arrays, only for the nodes downstream of the input that moved (moving `W3`
re-runs the last layer and the loss, not the whole network), and for a batch of
B perturbed copies of that input at once: every value downstream carries a
leading batch axis, and each primitive has a rule saying how its forward handles
it (elementwise ops align the axes, reductions and movements shift their axes by
one, matmul broadcasts over the batch). An op without a rule (a user's Function)
is run once per copy.

A replay is the function *as recorded*: anything the function computed outside
the graph from the inputs' values (`x.item()`, a mask from `x.data > 0`, a
`.detach()`) stays frozen at its recorded value. That is exactly the kind of bug
a gradient check must catch, so the checker only trusts a replay after comparing
it with real calls of the function, and re-checks every component it flags with
real calls (see `gradcheck.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tinygrad_notes import primitives as P
from tinygrad_notes.errors import normalize_axes
from tinygrad_notes.tensor import Tensor

_new = object.__new__


class GraphReplay:
    """The graph that produced `output` from the leaves `leaves`, ready to be re-run with one leaf changed."""

    def __init__(self, output: Tensor, leaves: Sequence[Tensor]) -> None:
        values: list[Any] = [np.array(leaf._data) for leaf in leaves]  # slot k = leaf k (our own copy)
        slot_of_leaf = {id(leaf): k for k, leaf in enumerate(leaves)}
        slot_of_node: dict[int, int] = {}
        steps: list[tuple[type, tuple[int, ...], dict, int]] = []
        depends: list[set[int]] = []  # per step: the leaves it depends on
        dep_of_slot: dict[int, set[int]] = {k: {k} for k in range(len(leaves))}
        for node in _topological_order(output):
            ins: list[int] = []
            deps: set[int] = set()
            for inp in node.inputs:
                if isinstance(inp, Tensor) and inp._ctx is not None:
                    slot = slot_of_node[id(inp._ctx)]
                elif isinstance(inp, Tensor) and id(inp) in slot_of_leaf:
                    slot = slot_of_leaf[id(inp)]
                else:  # a constant: a tensor that needs no gradient, an array, a number
                    slot = len(values)
                    values.append(inp._data if isinstance(inp, Tensor) else inp)
                ins.append(slot)
                deps |= dep_of_slot.get(slot, set())
            out = len(values)
            values.append(None)
            slot_of_node[id(node)] = out
            dep_of_slot[out] = deps
            steps.append((type(node), tuple(ins), dict(node.attrs or {}), out))
            depends.append(deps)
        if output._ctx is not None:
            self.out_slot = slot_of_node[id(output._ctx)]
        elif id(output) in slot_of_leaf:
            self.out_slot = slot_of_leaf[id(output)]
        else:
            self.out_slot = len(values)
            values.append(output._data)
        self.n_nodes = len(steps)
        # Base pass: every node's value at the recorded point, reused by the nodes a change does not reach.
        for cls, ins, attrs, out in steps:
            values[out] = np.asarray(cls.forward(_new(cls), *[values[i] for i in ins], **attrs))
        self.base = values
        self.plans = [[s for s, d in zip(steps, depends) if k in d] for k in range(len(leaves))]
        self.largest = max([np.size(v) for v in values if isinstance(v, np.ndarray)] + [1])

    def output(self) -> np.ndarray:
        """The output at the recorded point, as the replay computes it."""
        return self.base[self.out_slot]

    def evaluate(self, leaf: int, batch: np.ndarray) -> np.ndarray:
        """Outputs for `batch` (B copies of leaf `leaf`, shape (B, *leaf.shape)): shape (B, *output.shape).

        Only the nodes that depend on the leaf are re-run; the others keep their recorded values.
        """
        size = len(batch)
        values = list(self.base)
        values[leaf] = batch
        batched = {leaf}
        for cls, ins, attrs, out in self.plans[leaf]:
            args = [values[i] for i in ins]
            flags = [i in batched for i in ins]
            rule = _RULES.get(cls)
            result = rule(cls, args, flags, attrs, size) if rule is not None else None
            if result is None:
                result = _one_by_one(cls, args, flags, attrs, size)
            values[out] = result
            batched.add(out)
        if self.out_slot not in batched:  # the output does not depend on this leaf
            return np.broadcast_to(self.base[self.out_slot], (size,) + np.shape(self.base[self.out_slot]))
        return values[self.out_slot]

    def nodes_rerun(self, leaf: int) -> int:
        """How many ops a change of leaf `leaf` re-runs (the rest is reused)."""
        return len(self.plans[leaf])


def _topological_order(output: Tensor) -> list[Any]:
    """The graph's nodes, every node after the nodes it reads (an iterative depth-first walk)."""
    root = output._ctx
    if root is None:
        return []
    order: list[Any] = []
    seen = {id(root)}
    stack: list[tuple[Any, int]] = [(root, 0)]
    while stack:
        node, i = stack.pop()
        inputs = node.inputs
        if inputs is None:
            raise RuntimeError("gradcheck: the graph was freed before it could be replayed")
        if i < len(inputs):
            stack.append((node, i + 1))
            inp = inputs[i]
            parent = inp._ctx if isinstance(inp, Tensor) else None
            if parent is not None and id(parent) not in seen:
                seen.add(id(parent))
                stack.append((parent, 0))
        else:
            order.append(node)
    return order


# ---- batching rules: how each primitive's forward runs on values with a leading batch axis ----------
Rule = Callable[[type, list, list, dict, int], Any]


def _run(cls: type, args: list, attrs: dict) -> np.ndarray:
    return np.asarray(cls.forward(_new(cls), *args, **attrs))


def _one_by_one(cls: type, args: list, flags: list, attrs: dict, size: int) -> np.ndarray:
    """Any op: run its forward once per copy and stack (a user's Function, an unusual index)."""
    return np.stack([_run(cls, [a[b] if f else a for a, f in zip(args, flags)], attrs) for b in range(size)])


def _item_ndim(a: Any, batched: bool) -> int:
    return np.ndim(a) - 1 if batched else np.ndim(a)


def _elementwise(cls: type, args: list, flags: list, attrs: dict, size: int) -> np.ndarray:
    """Broadcasting ops: give each batched input the common rank so its batch axis lines up in front."""
    rank = max([_item_ndim(a, f) for a, f in zip(args, flags)]
               + [np.ndim(v) for v in attrs.values() if isinstance(v, np.ndarray)])
    aligned = [a.reshape((size,) + (1,) * (rank - a.ndim + 1) + a.shape[1:]) if f else a for a, f in zip(args, flags)]
    return _run(cls, aligned, attrs)


def _shifted_axes(op: str, axis: Any, ndim: int) -> tuple[int, ...]:
    axes = normalize_axes(op, axis, ndim)
    return tuple(a + 1 for a in (range(ndim) if axes is None else axes))


def _reduction(cls: type, args: list, flags: list, attrs: dict, size: int) -> np.ndarray:
    (x,) = args
    axes = _shifted_axes(cls.op_name, attrs.get("axis"), x.ndim - 1)
    reduce = np.sum if cls is P.Sum else np.max
    return reduce(x, axis=axes, keepdims=bool(attrs.get("keepdims", False)))


def _along_axis(cls: type, args: list, flags: list, attrs: dict, size: int) -> np.ndarray:
    """softmax / log_softmax: the per-copy axis, one further right."""
    (x,) = args
    (axis,) = normalize_axes(cls.op_name, attrs.get("axis", -1), x.ndim - 1)  # type: ignore[misc]
    return _run(cls, [x], {**attrs, "axis": axis + 1})


def _matmul(cls: type, args: list, flags: list, attrs: dict, size: int) -> np.ndarray:
    """numpy's matmul rules per copy: 1-D operands become a row / a column, batch dims broadcast after B."""
    (x, y), (fx, fy) = args, flags
    nx, ny = _item_ndim(x, fx), _item_ndim(y, fy)
    if fx and nx == 1:
        x = x[:, None, :]
    elif not fx and nx == 1:
        x = x[None, :]
    if fy and ny == 1:
        y = y[:, :, None]
    elif not fy and ny == 1:
        y = y[:, None]
    rank = max(_item_ndim(x, fx), _item_ndim(y, fy))  # per-copy rank of the 2-D-or-more operands
    if fx:
        x = x.reshape((size,) + (1,) * (rank - x.ndim + 1) + x.shape[1:])
    if fy:
        y = y.reshape((size,) + (1,) * (rank - y.ndim + 1) + y.shape[1:])
    if not fx:
        x = x.reshape((1,) * (rank + 1 - x.ndim) + x.shape)
    if not fy:
        y = y.reshape((1,) * (rank + 1 - y.ndim) + y.shape)
    out = np.matmul(x, y)
    if ny == 1:
        out = out[..., 0]
    if nx == 1:
        out = out[..., 0, :] if ny != 1 else out[..., 0]
    return out


def _reshape(cls: type, args: list, flags: list, attrs: dict, size: int) -> np.ndarray:
    shape = attrs["shape"]
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return args[0].reshape((size,) + shape)


def _transpose(cls: type, args: list, flags: list, attrs: dict, size: int) -> np.ndarray:
    x = args[0]
    nd = x.ndim - 1
    axes = attrs.get("axes")
    order = tuple(range(nd, 0, -1)) if axes is None else tuple(a % nd + 1 for a in axes)
    return np.transpose(x, (0,) + order)


def _broadcast_to(cls: type, args: list, flags: list, attrs: dict, size: int) -> np.ndarray:
    x = args[0]
    shape = tuple(attrs["shape"])
    x = x.reshape((size,) + (1,) * (len(shape) - x.ndim + 1) + x.shape[1:])
    return np.broadcast_to(x, (size,) + shape)


def _batched_index(index: Any) -> tuple | None:
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


def _getitem(cls: type, args: list, flags: list, attrs: dict, size: int) -> np.ndarray | None:
    index = _batched_index(attrs["index"])
    return None if index is None else args[0][index]


def _scatter_add(cls: type, args: list, flags: list, attrs: dict, size: int) -> np.ndarray | None:
    index = _batched_index(attrs["index"])
    if index is None or not flags[0]:
        return None
    g = args[0]
    out = np.zeros((size,) + tuple(attrs["shape"]), dtype=np.result_type(g))
    if P._is_basic_index(attrs["index"]):
        out[index] = g
    else:
        np.add.at(out, index, g)
    return out


def _concatenate(cls: type, args: list, flags: list, attrs: dict, size: int) -> np.ndarray:
    nd = next(_item_ndim(a, f) for a, f in zip(args, flags))
    (axis,) = normalize_axes("concatenate", attrs.get("axis", 0), nd)  # type: ignore[misc]
    parts = [a if f else np.broadcast_to(a, (size,) + np.shape(a)) for a, f in zip(args, flags)]
    return np.concatenate(parts, axis=axis + 1)


def _pad(cls: type, args: list, flags: list, attrs: dict, size: int) -> np.ndarray:
    x = args[0]
    widths = np.broadcast_to(np.asarray(attrs["pad_width"], dtype=np.int64), (x.ndim - 1, 2))
    widths = np.concatenate([np.zeros((1, 2), dtype=np.int64), widths])
    return np.pad(x, widths, mode="constant", constant_values=attrs.get("constant_values", 0))


_RULES: dict[type, Rule] = {
    **{cls: _elementwise for cls in (
        P.Add, P.Sub, P.Mul, P.Div, P.Pow, P.Maximum, P.Minimum, P.Neg, P.Exp, P.Log, P.Sqrt, P.Sin, P.Cos,
        P.Tanh, P.Sigmoid, P.Relu, P.Abs, P.Clip, P.Cast, P.Where)},
    P.Sum: _reduction,
    P.Max: _reduction,
    P.Softmax: _along_axis,
    P.LogSoftmax: _along_axis,
    P.MatMul: _matmul,
    P.Reshape: _reshape,
    P.Transpose: _transpose,
    P.BroadcastTo: _broadcast_to,
    P.GetItem: _getitem,
    P.ScatterAdd: _scatter_add,
    P.Concatenate: _concatenate,
    P.Pad: _pad,
}
