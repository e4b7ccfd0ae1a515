"""Walk the graph behind some tensors into a neutral description: nodes (tensors, ops, constants) and edges.

The walk is iterative, so a chain 100,000 ops deep is no harder than a short one.
Nodes are keyed by identity: a leaf by id(tensor), an op's output by id(its
node), so the same tensor used twice is one node with two edges and two
different tensors never share one. The description holds a reference to every
object it keys, so no id can be recycled while a picture is being made.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tinygrad_notes import Tensor
from tinygrad_notes.function import op_name

OUTPUT, PARAMETER, LEAF, CONSTANT, INTERMEDIATE, OP = "output", "parameter", "leaf", "constant", "intermediate", "op"
TENSOR_KINDS = (OUTPUT, PARAMETER, LEAF, CONSTANT, INTERMEDIATE)


class GraphFreedError(RuntimeError):
    """The graph was freed by a backward() without retain_graph=True, so there is nothing left to draw."""


class GNode:
    """One node of the description: a tensor (`obj` is the Tensor), an op (the Function) or a constant."""

    __slots__ = ("kind", "obj", "name", "scope")

    def __init__(self, kind: str, obj: Any, name: str | None, scope: str | None) -> None:
        self.kind = kind
        self.obj = obj  # Tensor for tensor kinds, the graph node for an op, the raw value for a plain constant
        self.name = name
        self.scope = scope  # the dotted module name this node is drawn inside, or None

    def __repr__(self) -> str:
        return f"GNode({self.kind}, {self.name!r}, scope={self.scope!r})"


class ComputationGraph:
    """Nodes and edges of one drawing. An edge is (src, dst, position): position is the argument index of
    an input edge into an op, and -1 for the edge from an op to its output."""

    def __init__(self) -> None:
        self.nodes: list[GNode] = []
        self.edges: list[tuple[int, int, int]] = []
        self.roots: list[int] = []


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


def walk(roots: list[Tensor], names: dict[int, tuple[str, Tensor]] | None = None) -> ComputationGraph:
    """Describe the graph that produced `roots`; `names` maps id(tensor) -> (name, tensor) for parameters."""
    names = names or {}
    graph = ComputationGraph()
    nodes, edges = graph.nodes, graph.edges
    index: dict[int, int] = {}  # id(leaf tensor) or id(op node of a made tensor) -> node index
    pending: list[tuple[Any, int]] = []  # (op node, index of its output) still to expand
    root_keys = set()
    for t in roots:
        root_keys.add(id(t._ctx) if t._ctx is not None else id(t))

    def add_tensor(t: Tensor) -> int:
        ctx = t._ctx
        key = id(ctx) if ctx is not None else id(t)
        i = index.get(key)
        if i is not None:
            return i
        named = names.get(id(t))
        extra = t._extra
        name = named[0] if named is not None else extra.get("name") if extra else None
        if key in root_keys:
            kind = OUTPUT
        elif ctx is not None:
            kind = INTERMEDIATE
        elif not t.requires_grad:
            kind = CONSTANT
        else:
            kind = PARAMETER if named is not None else LEAF
        i = len(nodes)
        nodes.append(GNode(kind, t, name, ctx.scope if ctx is not None else None))
        index[key] = i
        if ctx is not None:
            pending.append((ctx, i))
        return i

    for t in roots:
        i = add_tensor(t)
        if i not in graph.roots:
            graph.roots.append(i)
    while pending:
        ctx, out = pending.pop()
        inputs = ctx.inputs
        if inputs is None:
            raise GraphFreedError(
                f"draw_graph: the graph was freed by backward() (at op {op_name(ctx)}), so it cannot be drawn. "
                "Draw it before calling backward(), or call backward(retain_graph=True) to keep it; to see "
                "the gradients of intermediate tensors too, call viz.retain_grads(root) before that backward."
            )
        op = len(nodes)
        nodes.append(GNode(OP, ctx, None, ctx.scope))
        edges.append((op, out, -1))
        for pos, inp in enumerate(inputs):
            if isinstance(inp, Tensor):
                src = add_tensor(inp)
            else:  # a number or array passed straight to the op: one constant node per use
                src = len(nodes)
                nodes.append(GNode(CONSTANT, inp, None, ctx.scope))
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
    """Call retain_grad() on every intermediate tensor (and the output) behind `root`, so a picture drawn
    after `backward(retain_graph=True)` shows their gradients too. Returns how many tensors it marked."""
    graph = walk(as_roots(root, "retain_grads"))
    marked = 0
    for node in graph.nodes:
        t = node.obj
        if node.kind in (INTERMEDIATE, OUTPUT) and isinstance(t, Tensor) and t.requires_grad and t._ctx is not None:
            t.retain_grad()
            marked += 1
    return marked
