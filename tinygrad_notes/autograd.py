"""Reverse mode: one iterative walk over the graph, from the outputs back to the leaves.

Every node records when it was made (`order`, counting down). The walk keeps the
nodes that have received a gradient in a heap and always runs the newest one:
its consumers, all made later, have run already, so its gradient is complete.
No recursion (graphs a million ops deep are fine), no pass counting consumers,
and each gradient is dropped as soon as it has been used.

With `create_graph=True` gradients are Tensors and every backward rule is
recorded, so gradients of gradients work. Otherwise the library's primitives
(`raw_grads = True`) receive the gradient as a plain numpy array: their rules use
only operations that Tensor and ndarray share, so the same rule runs on numpy
without building Tensors, which is what keeps small ops cheap. A user's own
Function always receives and may return Tensors.
"""

from __future__ import annotations

from collections.abc import Sequence
from heapq import heappop, heappush
from typing import Any

import numpy as np

from tinygrad_notes import mode
from tinygrad_notes.function import Function, _check_finite, op_name
from tinygrad_notes.graph import freed_error, freeze, recorded_inputs
from tinygrad_notes.tensor import Tensor, _make

_ndarray = np.ndarray
_generic = np.generic
_modes = mode.current.get  # this thread's modes (grad, scope, anomaly, default dtype)


def backward(tensor: Tensor, grad: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False) -> None:
    """Accumulate d(tensor)/d(leaf) into the `.grad` of every leaf that requires grad."""
    if not tensor.requires_grad:
        raise RuntimeError(
            "backward: this tensor does not require grad, so there is no graph to go back through; "
            "create the leaves you want gradients for with requires_grad=True"
        )
    g = _root_grad(tensor, grad, "backward")
    _run([tensor], [g], retain_graph, create_graph, accumulate=True, wanted=None)


def grad(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor],
         grad_outputs: Any = None, retain_graph: bool | None = None, create_graph: bool = False,
         allow_unused: bool = False) -> tuple[Tensor | None, ...]:
    """Gradients of `outputs` with respect to `inputs`, returned rather than stored in `.grad`."""
    outs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    ins = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None:
        gouts: list[Any] = [None] * len(outs)
    elif isinstance(grad_outputs, (Tensor, _ndarray)):
        gouts = [grad_outputs]
    else:
        gouts = list(grad_outputs)
    if len(gouts) != len(outs):
        raise ValueError(f"grad: got {len(gouts)} grad_outputs for {len(outs)} outputs")
    for i, t in enumerate(ins):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"grad: input {i} does not require grad, so it has no gradient; "
                               "create it with requires_grad=True")
    for i, t in enumerate(outs):
        if not t.requires_grad:
            raise RuntimeError(f"grad: output {i} does not require grad: it does not depend on any input")
    wanted: dict[Any, int] = {}
    marked = []  # non-leaf inputs' nodes get an `extra` for the walk to stop at, removed afterwards
    for i, t in enumerate(ins):
        wanted[t._ctx if t._ctx is not None else id(t)] = i
        if t._ctx is not None and t._ctx.extra is None:
            t._ctx.extra = {}
            marked.append(t._ctx)
    try:
        found = _run(outs, [_root_grad(t, g, "grad") for t, g in zip(outs, gouts)], retain_graph, create_graph,
                     accumulate=False, wanted=wanted)
    finally:
        for node in marked:
            if node.extra == {}:
                node.extra = None
    result = []
    for i, t in enumerate(ins):
        g = found.get(i)
        if g is None and not allow_unused:
            raise RuntimeError(f"grad: input {i} (shape {t.shape}) was not used to compute the outputs; "
                               "pass allow_unused=True to get None for it")
        result.append(g)
    return tuple(result)


def _root_grad(tensor: Tensor, grad: Any, op: str) -> Tensor:
    """The gradient that starts the walk: ones for a one-element output, else the one given."""
    if grad is None:
        if tensor.size != 1:
            raise RuntimeError(
                f"{op}: a gradient can be implied only for an output with one element; this one has shape "
                f"{tensor.shape}: pass grad=... of that shape (for example ones) or reduce it with .sum()"
            )
        return _make(np.ones(tensor.shape, dtype=tensor.dtype), False, None)
    if isinstance(grad, Tensor) and grad.requires_grad:
        g = grad  # part of a graph (create_graph): kept as it is; in-place writes on it are refused anyway
    else:
        g = _make(read_only(np.asarray(grad._data if isinstance(grad, Tensor) else grad, dtype=tensor.dtype)),
                  False, None)  # a read-only view: no backward can modify the caller's array
    if g.shape != tensor.shape:
        raise RuntimeError(f"{op}: grad has shape {g.shape} but the output has shape {tensor.shape}; "
                           "they must match")
    return g


def _run(roots: list[Tensor], root_grads: list[Tensor], retain_graph: bool | None, create_graph: bool,
         accumulate: bool, wanted: dict[Any, int] | None) -> dict[int, Tensor]:
    retain = create_graph if retain_graph is None else retain_graph
    tracer = _modes().tracer  # a compiled step being traced walks with its own recording walk (jit/walk.py)
    walk = _Walk(create_graph, accumulate, wanted) if tracer is None else tracer.walk(create_graph, accumulate, wanted)
    with mode.enable_grad() if create_graph else mode.no_grad():  # this thread only: record the rules if asked
        walk.run(roots, root_grads, retain)
    return walk.found


class _Walk:
    """State of one backward pass: leaf gradients, wanted inputs, and memory already handed out."""

    def __init__(self, create_graph: bool, accumulate: bool, wanted: dict[Any, int] | None) -> None:
        self.raw = not create_graph  # gradients travel as numpy arrays, not Tensors
        self.accumulate = accumulate
        self.wanted = wanted
        self.found: dict[int, Tensor] = {}
        self.leaf_grads: dict[int, list] = {}
        self.handed: set[int] = set()  # memory that some .grad (or the caller) already holds
        self.tracer: Any = None  # a compiled step's tracer (jit/walk.py's TracingWalk sets it)

    def value(self, g: Any) -> Any:
        """A gradient in the walk's form: a numpy array (raw) or a Tensor."""
        if self.raw:
            g = g._data if isinstance(g, Tensor) else g
            return g if type(g) is _ndarray or isinstance(g, _generic) else np.asarray(g)
        return g if isinstance(g, Tensor) else _make(np.asarray(g), False, None)

    def tensor(self, g: Any) -> Tensor:
        return _make(g, False, None) if self.raw else g

    def run(self, roots: list[Tensor], root_grads: list[Tensor], retain: bool) -> None:
        heap: list[tuple[int, Function]] = []
        for root, g in zip(roots, root_grads):
            self.handed.add(_memory_id(g._data))
            g = self.value(g)
            node = root._ctx
            if node is None:
                self.add_leaf(root, g)
            elif node.pending is None:
                node.pending = g
                heappush(heap, (node.order, node))
            else:
                node.pending = node.pending + g
        try:
            self.propagate(heap, retain)
        finally:
            for _, node in heap:  # after an error: leave no half-summed gradient behind
                node.pending = None
        self.finish_leaves()

    def propagate(self, heap: list[tuple[int, Function]], retain: bool) -> None:
        """Run each node's backward, newest node first: by then every consumer has sent its gradient.

        A consumer is always recorded after its inputs, so it has a smaller (more negative)
        `order`; popping the smallest order first runs every consumer of a node, that the
        walk reaches, before the node itself. No pass counting consumers is needed.
        """
        raw = self.raw
        tracer = self.tracer  # None, except while a compiled step is traced (jit/walk.py)
        anomaly = _modes().anomaly
        writes = mode.write_count
        while heap:  # graph.newest_first, inlined: the generator cost 3% of a chain of small ops (callgrind)
            node = heappop(heap)[1]
            g = node.pending
            node.pending = None
            inputs = node.inputs
            if inputs is None:
                raise freed_error(node, "backward")
            cls = type(node)
            trusted = cls.raw_grads  # the library's primitives: right shapes and arity by construction
            if node.extra is not None:
                g = self.node_extras(node, g)
                writes = mode.write_count  # a hook may have written in place
            if writes != node.stamp:  # something was written in place since this op ran
                inputs = recorded_inputs(node)  # an input rebound by a recorded in-place op: its old self
                _check_unmodified(node, inputs)
            if tracer is not None:  # the tracer calls the rule, or stands for it (replayed whole)
                result = tracer.backward(node, g, raw)
            elif trusted:
                result = cls.backward(node, g)
                if type(result) is not tuple:
                    result = (result,)
            else:
                result = _call_user_backward(node, self.tensor(g) if raw else g, len(inputs))
            for inp, need, gi in zip(inputs, node.needs_input_grad, result):
                if not need or gi is None:  # None: no gradient flows to this input
                    continue
                if type(gi) is Tensor:
                    gd = gi._data
                    if raw:
                        gi = gd
                else:
                    gd = gi  # a raw array from a primitive's rule
                xd = inp._data
                if not trusted and gd.shape != xd.shape:
                    _shape_error(node, gd, xd)
                tg = type(gd)
                if tg is _ndarray:
                    if gd.dtype is not xd.dtype and gd.dtype != xd.dtype:
                        gi = gi.astype(xd.dtype)
                elif tg is not type(xd) and gd.dtype != xd.dtype:  # numpy scalars of one type share a dtype
                    gi = gi.astype(xd.dtype)
                if anomaly:
                    _check_finite(cls, gi, "backward", node)
                parent = inp._ctx
                if parent is None:
                    self.add_leaf(inp, gi)
                elif parent.pending is None:
                    parent.pending = gi
                    heappush(heap, (parent.order, parent))
                else:
                    parent.pending = parent.pending + gi
            if not retain:  # drop what was saved for backward, keeping the graph's structure (graph.py)
                if tracer is None:
                    # graph.freeze, its commonest cases inlined: one call per node costs 4% of a chain of small ops
                    a = inputs[0]
                    parent = a._ctx if type(a) is Tensor else None
                    if parent is not None and len(inputs) == 1:
                        node.edges = (parent,)
                    elif parent is not None and len(inputs) == 2 and type(inputs[1]) is float:
                        node.edges = (parent, inputs[1])
                    else:
                        node.edges = _freeze(inputs)
                else:
                    with tracer.bookkeeping():  # freezing reads 0-d constants: structure, not the step's math
                        node.edges = _freeze(inputs)
                node.inputs = None
                if cls.saves_output:
                    node.out_data = None  # the node outlives its output tensor now: hold no array
                if cls.saved_state:
                    _free_saved(node)

    def node_extras(self, node: Function, g: Any) -> Any:
        """Hooks, retain_grad and grad()'s wanted inputs, for a node that has any."""
        extra = node.extra
        t = self.tensor(g)
        for hook in extra.get("hooks", ()):
            out = hook(t)
            if out is not None:
                t = _as_tensor(out)
        if self.wanted is not None and node in self.wanted:
            self.found[self.wanted[node]] = t
        ref = extra.get("retained")
        tensor = ref() if ref is not None else None
        if self.accumulate and tensor is not None:
            tensor.grad = self.unshared(t) if tensor.grad is None else tensor.grad + t
        return self.value(t)

    def add_leaf(self, leaf: Tensor, g: Any) -> None:
        entry = self.leaf_grads.get(id(leaf))
        if entry is None:
            self.leaf_grads[id(leaf)] = [leaf, g]
        else:
            entry[1] = entry[1] + g

    def finish_leaves(self) -> None:
        """Run leaf hooks and accumulate into `.grad` (or hand the gradient to grad())."""
        for leaf, g in self.leaf_grads.values():
            t = self.tensor(g)
            hooks = leaf._extra.get("hooks") if leaf._extra else None
            for hook in hooks or ():
                out = hook(t)
                if out is not None:
                    t = _as_tensor(out)
            if self.wanted is not None and id(leaf) in self.wanted:
                self.found[self.wanted[id(leaf)]] = t
            if not self.accumulate:
                continue
            if leaf.grad is not None:
                leaf.grad = leaf.grad + t
            else:
                leaf.grad = self.unshared(t) if self.raw else t

    def unshared(self, g: Tensor) -> Tensor:
        """`g`, or a copy of it when its memory already sits in another `.grad` or cannot be written to."""
        d = g._data
        key = _memory_id(d)
        if key in self.handed or g.requires_grad or type(d) is not _ndarray or not d.flags.writeable:
            g = _make(np.array(d), False, None)
            key = id(g._data)
        self.handed.add(key)
        return g


def _freeze(inputs: tuple) -> tuple:
    """graph.freeze, with the other common case unrolled (two Tensors, or a Tensor and an int; propagate inlines
    the commonest ones): backward freezes every node, and the general loop costs several times more."""
    if len(inputs) == 2:
        a, b = inputs
        if type(a) is Tensor and a._ctx is not None:
            if type(b) is int:
                return (a._ctx, b)
            if type(b) is Tensor and b._ctx is not None:
                return (a._ctx, b._ctx)
    return freeze(inputs)


def _call_user_backward(node: Function, g: Tensor, n_inputs: int) -> tuple:
    """Run a user Function's backward and hold its answer to the rules: one gradient per input, as Tensors.

    The incoming gradient is handed over read-only (the same array may reach other nodes, or be the
    caller's): `g *= 2` raises an error that says so, `g = g * 2` is the way.
    """
    if not g.requires_grad and g._data.flags.writeable:
        g = _make(read_only(g._data), False, None)
    result = type(node).backward(node, g)
    if type(result) is not tuple:
        result = tuple(result) if isinstance(result, list) else (result,)
    if len(result) != n_inputs:
        raise RuntimeError(f"backward of {op_name(node)} returned {len(result)} gradient(s) "
                           f"for {n_inputs} input(s); return one per input (None for an input without one)")
    return tuple(None if r is None else _as_tensor(r) for r in result)


def read_only(d: Any) -> Any:
    """A read-only view of an array (numpy scalars are immutable already)."""
    if type(d) is not _ndarray or not d.flags.writeable:
        return d
    view = d.view()
    view.flags.writeable = False
    return view


def _as_tensor(v: Any) -> Tensor:
    """A hook's or a user backward's answer as a Tensor (arrays and numbers are wrapped)."""
    return v if isinstance(v, Tensor) else _make(np.asarray(v), False, None)


def _memory_id(d: Any) -> int:
    """Identity of the memory behind an array (the base array of a view)."""
    base = getattr(d, "base", None)
    return id(d if base is None else base)


def _shape_error(node: Function, gd: Any, xd: Any) -> None:
    raise RuntimeError(
        f"backward of {op_name(node)} returned a gradient of shape {gd.shape} for an input of shape "
        f"{xd.shape}; a gradient must have its input's shape (sum over broadcast axes with unbroadcast)"
    )


def _check_unmodified(node: Function, inputs: tuple) -> None:
    """Refuse to differentiate through an input that was modified in place after the op used it."""
    for i, inp in enumerate(inputs):
        box = inp._version if isinstance(inp, Tensor) else None
        if box is not None and box[0] > node.stamp:
            raise RuntimeError(
                f"backward of {op_name(node)}: input {i} (shape {inp.shape}) was modified in place after "
                "the op used it, so the gradient would be wrong. Change a copy instead "
                "(x = x * 1, or x.detach() before the op), or change it after backward."
            )


def _free_saved(node: Function) -> None:
    """Drop what a Function subclass saved on the node itself (Max.top, a user's ctx.mask, ...)."""
    cls = type(node)
    for name in cls.saved_slots:
        setattr(node, name, None)
    if cls.__dictoffset__:
        node.__dict__.clear()
