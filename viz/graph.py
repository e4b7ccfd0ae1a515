"""The graph behind some tensors as a neutral description for pictures: nodes (tensors, ops, constants) and edges.

It reads the engine's graph through the engine's own walk (`walk`, newest node
first, no recursion) and `inputs_of`, which describe a live graph and one that
a plain `backward()` has freed alike: after a backward the structure is all
there, with the leaves' values and gradients and the output's value; an
intermediate tensor then has only its shape, unless `retain_grads` kept its
value and gradient (or `retain_graph=True` kept the whole graph).

Nodes are keyed by identity: a leaf by its tensor, an op's output by the op's
node, so the same tensor used twice is one node with two edges and two
different tensors never share one. The description holds a reference to every
object it keys, so no id can be recycled while a picture is being made.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import Any

import numpy as np

from tinygrad_notes import Function, GraphFreedError, Tensor, inputs_of, op_name, walk
from tinygrad_notes.graph import Constant, is_freed

__all__ = ["GraphFreedError", "ComputationGraph", "GNode", "describe", "retain_grads", "as_roots", "common_scope"]

OUTPUT, PARAMETER, LEAF, CONSTANT, INTERMEDIATE, OP = "output", "parameter", "leaf", "constant", "intermediate", "op"
TENSOR_KINDS = (OUTPUT, PARAMETER, LEAF, CONSTANT, INTERMEDIATE)


class GNode:
    """One node of the description: a tensor (its shape, and its value and gradient when they are known) or an op."""

    __slots__ = ("kind", "name", "scope", "tensor", "fn", "shape", "dtype", "value", "grad")

    def __init__(self, kind: str, name: str | None, scope: str | None, *, tensor: Tensor | None = None,
                 fn: Function | None = None, shape: tuple[int, ...] | None = None, dtype: Any = None,
                 value: Any = None, grad: np.ndarray | None = None) -> None:
        self.kind = kind
        self.name = name
        self.scope = scope  # the dotted module name this node is drawn inside, or None
        self.tensor = tensor  # the Tensor when it can still be reached (leaves, the output, a live graph's)
        self.fn = fn  # an op's graph node; for an op's output, the node that made it
        self.shape = shape  # None only for a freed intermediate whose shape could not be inferred
        self.dtype = dtype
        self.value = value  # the array (or number) when known: None for a freed intermediate not kept
        self.grad = grad  # the gradient's array, when there is one

    def __repr__(self) -> str:
        return f"GNode({self.kind}, {self.name!r}, scope={self.scope!r})"


class ComputationGraph:
    """Nodes and edges of one drawing. An edge is (src, dst, position): position is the argument index of
    an input edge into an op, and -1 for the edge from an op to its output."""

    def __init__(self) -> None:
        self.nodes: list[GNode] = []
        self.edges: list[tuple[int, int, int]] = []
        self.roots: list[int] = []
        self.op_of: dict[int, int] = {}  # id(graph node) -> index of its op node
        self.output_of: dict[int, int] = {}  # id(graph node) -> index of its output tensor node


class _Kept:
    """What `retain_grads` keeps of one intermediate tensor: its value, and its gradient once backward ran.

    It is the tensor's gradient hook too (it returns None, so the gradient is unchanged). It holds
    no reference to the tensor or its node, so keeping it costs no reference cycle.
    """

    __slots__ = ("value", "grad", "name")

    def __init__(self, value: np.ndarray, name: str | None) -> None:
        self.value = value
        self.grad: np.ndarray | None = None
        self.name = name

    def __call__(self, grad: Tensor) -> None:
        g = np.array(grad.numpy())  # a copy: the array may be summed into in place later
        self.grad = g if self.grad is None else self.grad + g


# Per graph node, what retain_grads kept of its output tensor; an entry goes when its node goes. A node
# belongs to the one graph it was recorded in, so threads drawing their own graphs never share an entry.
_kept: weakref.WeakKeyDictionary[Function, _Kept] = weakref.WeakKeyDictionary()


def as_roots(root: Any, where: str = "draw_graph") -> list[Tensor]:
    """One tensor or several, as a list (the output nodes of the picture)."""
    if isinstance(root, Tensor):
        return [root]
    if isinstance(root, Iterable) and not isinstance(root, (str, bytes)):
        roots = list(root)
        if roots and all(isinstance(t, Tensor) for t in roots):
            return roots
    raise TypeError(
        f"{where}: give the Tensor (or a list of Tensors) whose graph to draw, e.g. {where}(loss); "
        f"got {type(root).__name__}"
    )


def _array(t: Tensor) -> np.ndarray:
    return np.asarray(t.numpy())


def _grad_of(t: Tensor | None, kept: _Kept | None) -> np.ndarray | None:
    if t is not None and t.grad is not None:
        g = t.grad
        return _array(g) if isinstance(g, Tensor) else np.asarray(g)
    return kept.grad if kept is not None else None


def describe(roots: list[Tensor], names: dict[int, tuple[str, Tensor]] | None = None) -> ComputationGraph:
    """Describe the graph that produced `roots`; `names` maps id(tensor) -> (name, tensor) for parameters."""
    names = names or {}
    graph = ComputationGraph()
    nodes, edges = graph.nodes, graph.edges
    leaves: dict[int, int] = {}  # id(leaf tensor) -> node index
    outputs = graph.output_of

    def add_leaf(t: Tensor, kind: str | None = None) -> int:
        i = leaves.get(id(t))
        if i is None:
            named = names.get(id(t))
            if kind is None:
                kind = CONSTANT if not t.requires_grad else PARAMETER if named is not None else LEAF
            i = leaves[id(t)] = len(nodes)
            nodes.append(GNode(kind, named[0] if named is not None else t.name, None, tensor=t, shape=t.shape,
                               dtype=t.dtype, value=_array(t), grad=_grad_of(t, None)))
        return i

    def add_output(fn: Function, t: Tensor | None, shape: Any, dtype: Any, kind: str) -> int:
        i = outputs.get(id(fn))
        if i is None:
            kept = _kept.get(fn)
            name = t.name if t is not None else kept.name if kept is not None else None
            if t is not None and id(t) in names:
                name = names[id(t)][0]
            value = _array(t) if t is not None else kept.value if kept is not None else None
            i = outputs[id(fn)] = len(nodes)
            nodes.append(GNode(kind, name, fn.scope, tensor=t, fn=fn, shape=shape, dtype=dtype, value=value,
                               grad=_grad_of(t, kept)))
        return i

    for t in roots:
        fn = t.grad_fn
        i = add_leaf(t, OUTPUT) if fn is None else add_output(fn, t, t.shape, t.dtype, OUTPUT)
        if i not in graph.roots:
            graph.roots.append(i)
    for fn in walk(roots):
        out = outputs[id(fn)]
        op = graph.op_of[id(fn)] = len(nodes)
        nodes.append(GNode(OP, None, fn.scope, fn=fn))
        edges.append((op, out, -1))
        for pos, inp in enumerate(inputs_of(fn)):
            if inp.node is not None:
                src = add_output(inp.node, inp.tensor, inp.shape, inp.dtype, INTERMEDIATE)
            elif inp.tensor is not None:
                src = add_leaf(inp.tensor)
            else:  # a number or array passed straight to the op, or what a freed node kept of one
                value, name = inp.value, None
                if isinstance(value, Constant):
                    value, name = value.value, value.name
                src = len(nodes)
                nodes.append(GNode(CONSTANT, name, fn.scope, shape=inp.shape, dtype=inp.dtype, value=value))
            edges.append((src, op, pos))
    _place_leaves(graph)
    return graph


def _place_leaves(graph: ComputationGraph) -> None:
    """Put a tensor that requires grad (a parameter or an input leaf) in the module that uses it: the common
    scope of its consumers, so `layers.0.weight` is drawn inside the cluster of `layers.0`."""
    nodes = graph.nodes
    common: dict[int, str | None] = {}
    for src, dst, pos in graph.edges:
        if pos < 0:
            continue
        kind = nodes[src].kind
        if kind != PARAMETER and kind != LEAF:
            continue
        scope = nodes[dst].scope
        if src not in common:
            common[src] = scope
        else:
            common[src] = common_scope(common[src], scope)
    for i, scope in common.items():
        nodes[i].scope = scope


def common_scope(a: str | None, b: str | None) -> str | None:
    """The longest dotted prefix two scopes share ("enc.0" and "enc.1" share "enc")."""
    if a == b:
        return a
    if a is None or b is None:
        return None
    shared = []
    for x, y in zip(a.split("."), b.split(".")):
        if x != y:
            break
        shared.append(x)
    return ".".join(shared) or None


def retain_grads(root: Any) -> int:
    """Keep the value and the gradient of every intermediate tensor (and the output) behind `root` for pictures.

    Call it before `backward()`: a picture drawn afterwards shows them, with or without
    `retain_graph=True` (a plain backward frees the graph's other arrays as usual). The tensors
    themselves get `.grad` too, as with `retain_grad()`. Returns how many tensors it marked.
    """
    roots = as_roots(root, "retain_grads")
    tensors = [t for t in roots if t.grad_fn is not None]
    for fn in walk(roots):
        if is_freed(fn):
            raise GraphFreedError(
                f"retain_grads: a backward already freed this graph (at op {op_name(fn)}), so the values of its "
                "intermediate tensors are gone; call viz.retain_grads(loss) before loss.backward()"
            )
        tensors.extend(inp.tensor for inp in inputs_of(fn) if inp.node is not None)
    marked = 0
    for t in tensors:
        fn = t.grad_fn
        if fn in _kept:
            continue
        kept = _kept[fn] = _Kept(_array(t), t.name)
        t.register_hook(kept)
        t.retain_grad()
        marked += 1
    return marked
