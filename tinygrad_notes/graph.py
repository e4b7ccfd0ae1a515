"""The graph behind a tensor, and the one walk over it that backward, the checker's replay and viz share.

A node is a `Function` instance (`tensor.grad_fn`). Every node gets a number when
it is recorded (`order`, counting down), and a node is always recorded after the
nodes it reads, so "newest first" is a reverse topological order: popping nodes
from a heap keyed by `order` gives each node only after every node that reads
it. `newest_first` is that walk; backward pushes the nodes its gradients reach,
`walk` pushes every node it can reach. No recursion: a graph a million ops deep
is walked like a short one.

A backward without `retain_graph` frees what the nodes saved (their inputs'
arrays) but keeps each node's structure as small metadata (`node.edges`): per
input, the node that made it, or the leaf tensor, or a `Constant` with the shape
and dtype of a value that needed no gradient. `inputs_of(node)` reads the
structure of a live or a freed node alike, so a graph can be drawn after a plain
backward; only the intermediates' values are gone (their shapes are inferred
when asked, so backward pays nothing for them).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from heapq import heappop, heappush
from typing import Any, NamedTuple

import numpy as np

from tinygrad_notes import mode
from tinygrad_notes.function import Function, op_name
from tinygrad_notes.tensor import Tensor

_new = object.__new__


class GraphFreedError(RuntimeError):
    """What was saved for backward is gone: an earlier backward freed it (pass retain_graph=True to keep it)."""


def freed_error(node: Function, who: str, what: str = "go through it again") -> GraphFreedError:
    """The one message for a graph whose saved values an earlier backward freed."""
    return GraphFreedError(
        f"{who}: the graph was freed at op {op_name(node)} by an earlier backward, which keeps its structure but "
        f"not the values it saved, so it cannot {what}; pass retain_graph=True to the first backward (or grad) "
        "to keep them"
    )


class Constant(NamedTuple):
    """What a freed node remembers of an input that needed no gradient: its shape, dtype and name (a number
    is kept as it is, an array only by shape, so a freed graph holds no large arrays)."""

    shape: tuple[int, ...]
    dtype: Any
    value: Any = None  # the number itself for a Python or numpy scalar, else None
    name: str | None = None  # a Tensor's `.name` (the data `X` of a picture), when it had one


class Input(NamedTuple):
    """One input of a node as `inputs_of` describes it, for a live or a freed node alike."""

    node: Function | None  # the node that made it (an intermediate), or None
    tensor: Tensor | None  # the Tensor itself: always for a live node, only a leaf that requires grad once freed
    value: Any  # a constant passed as it is (number or array), or a freed node's Constant, else None
    shape: tuple[int, ...]
    dtype: Any


def freeze(inputs: tuple) -> tuple:
    """A node's inputs as structure only: parent nodes, leaves that require grad, Constants for the rest.

    Called by backward for every node it frees (through an unrolled copy for the common cases, in
    autograd.py).
    """
    edges = []
    for inp in inputs:
        if isinstance(inp, Tensor):
            parent = inp._ctx
            if parent is not None:
                edges.append(parent)
            elif inp.requires_grad:
                edges.append(inp)
            else:
                d = inp._data
                edges.append(Constant(d.shape, d.dtype, d.item() if d.ndim == 0 else None, inp.name))
        elif isinstance(inp, np.ndarray):
            edges.append(Constant(inp.shape, inp.dtype, inp.item() if inp.ndim == 0 else None))
        else:
            edges.append(inp)  # a number, None, a dtype...: small, kept as it is
    return tuple(edges)


def recorded_inputs(node: Function) -> tuple | None:
    """A live node's inputs as they were when its op ran (None once freed).

    An input changed since by an in-place op that autograd recorded (`h += y`, inplace.py) now holds
    the new value and the new graph node; its history keeps the old one (a snapshot per write, with the
    write's stamp), and this node, recorded before the write, gets the snapshot. The node's inputs are
    updated, so this looks at each node once; without in-place writes since the op ran it is one check.
    """
    inputs = node.inputs
    if inputs is None or mode.write_count == node.stamp:
        return inputs
    changed = False
    swapped = list(inputs)
    for k, inp in enumerate(inputs):
        history = inp._extra.get("history") if type(inp) is Tensor and inp._extra else None
        for stamp, snapshot in history or ():
            if node.stamp < stamp:  # the first write after this op ran: the value the op saw
                swapped[k] = snapshot
                changed = True
                break
    if changed:
        node.inputs = inputs = tuple(swapped)
    return inputs


def inputs_of(node: Function) -> list[Input]:
    """The node's inputs, whether its saved values are still there (live) or were freed by backward."""
    inputs = recorded_inputs(node)
    if inputs is not None:
        out = []
        for inp in inputs:
            if isinstance(inp, Tensor):
                d = inp._data
                out.append(Input(inp._ctx, inp, None, d.shape, d.dtype))
            else:
                arr = np.asarray(inp) if isinstance(inp, (int, float, bool, np.generic, np.ndarray)) else None
                out.append(Input(None, None, inp, arr.shape if arr is not None else (),
                                 arr.dtype if arr is not None else None))
        return out
    out = []
    for edge in node.edges or ():
        if isinstance(edge, Function):
            shape, dtype = _output_meta(edge)
            out.append(Input(edge, None, None, shape, dtype))
        elif isinstance(edge, Tensor):
            out.append(Input(None, edge, None, edge.shape, edge.dtype))
        elif isinstance(edge, Constant):
            out.append(Input(None, None, edge, edge.shape, edge.dtype))
        else:
            arr = np.asarray(edge) if isinstance(edge, (int, float, bool)) else None
            out.append(Input(None, None, edge, arr.shape if arr is not None else (),
                             arr.dtype if arr is not None else None))
    return out


def _output_meta(node: Function) -> tuple[tuple[int, ...] | None, Any]:
    """A node's output shape and dtype (inferred for a freed node, see infer_output_meta)."""
    meta = getattr(node, "out_meta", None)
    if meta is None:
        infer_output_meta(node)
        meta = node.out_meta
    return meta


def infer_output_meta(root: Function) -> None:
    """Infer the output shape and dtype of `root` and of every node behind it (stored as `out_meta`).

    A freed node kept no arrays, so its output's shape is recomputed: its forward runs again on
    zero-stride stand-ins of its inputs' shapes (no memory per input), oldest node first. Only
    pictures drawn after a backward need this, so backward itself pays nothing for it. A node whose
    forward cannot run on stand-ins (a user's Function that checks its values) gets shape None.
    """
    todo = [n for n in walk([root]) if getattr(n, "out_meta", None) is None][::-1]
    with np.errstate(all="ignore"):
        for node in todo:
            try:
                out = np.asarray(type(node).forward(_new(type(node)), *_stand_ins(node), **(node.attrs or {})))
                node.out_meta = (out.shape, out.dtype)
            except Exception:  # noqa: BLE001 - a forward that needs real values: the shape stays unknown
                node.out_meta = (None, None)


def _stand_ins(node: Function) -> list[Any]:
    """Values with the shapes and dtypes of a node's inputs, for infer_output_meta (arrays of zero strides)."""
    out = []
    inputs = recorded_inputs(node)
    for edge in inputs if inputs is not None else node.edges or ():
        if isinstance(edge, Function):
            shape, dtype = edge.out_meta
            if shape is None:
                raise ValueError("an input's shape is unknown")
            out.append(np.broadcast_to(np.zeros((), dtype=dtype), shape))
        elif isinstance(edge, Tensor):
            out.append(edge._data)
        elif isinstance(edge, Constant):
            out.append(edge.value if edge.value is not None else np.broadcast_to(np.zeros((), edge.dtype), edge.shape))
        else:
            out.append(edge)
    return out


def parents(node: Function) -> Iterator[Function]:
    """The nodes whose outputs this node reads (with repeats), live or freed."""
    inputs = recorded_inputs(node)
    if inputs is not None:
        for inp in inputs:
            if isinstance(inp, Tensor) and inp._ctx is not None:
                yield inp._ctx
    else:
        for edge in node.edges or ():
            if isinstance(edge, Function):
                yield edge


def is_freed(node: Function) -> bool:
    """True when a backward without retain_graph has freed what this node saved (its structure remains)."""
    return node.inputs is None


def newest_first(heap: list[tuple[int, Function]]) -> Iterator[Function]:
    """The one walk: pop nodes from `heap` (pairs (order, node)) newest first, each after every node that reads it.

    The caller pushes the nodes it reaches with `heappush(heap, (node.order, node))`, once each.
    """
    while heap:
        yield heappop(heap)[1]


def walk(roots: Iterable[Tensor | Function]) -> list[Function]:
    """Every node behind `roots` (tensors or nodes), newest first: each node comes after all nodes that read it."""
    heap: list[tuple[int, Function]] = []
    seen: set[int] = set()
    for root in roots:
        node = root._ctx if isinstance(root, Tensor) else root
        if node is not None and id(node) not in seen:
            seen.add(id(node))
            heappush(heap, (node.order, node))
    order = []
    for node in newest_first(heap):
        order.append(node)
        for parent in parents(node):
            if id(parent) not in seen:
                seen.add(id(parent))
                heappush(heap, (parent.order, parent))
    return order


def topological_order(roots: Iterable[Tensor | Function], who: str = "graph") -> list[Function]:
    """The nodes behind `roots`, oldest first (each after the nodes it reads); raises if any was freed."""
    order = walk(roots)[::-1]
    for node in order:
        if node.inputs is None:
            raise freed_error(node, who, "be replayed")
    return order
