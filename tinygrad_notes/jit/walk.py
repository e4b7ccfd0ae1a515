"""The backward walk while a step is traced: autograd's own walk, with the tracer at three points.

Gradients travel as traced arrays, so the numpy calls of each backward rule and
of the walk itself (summing the gradients of a value used twice, casting to an
input's dtype) are recorded like any other. The tracer steps in where the walk
hands something to Python rather than to numpy:

- each rule's call, so a rule whose result the trace cannot follow is replayed
  whole through the op's own `backward` (tracer.backward);
- a leaf's `.grad`: which gradient it gets, or that the new one is added to the
  one it had when the program runs (tracer.grad_set, tracer.current_grad);
- copies of gradients handed out twice, made with a recorded `copy`.

The loop itself is autograd's (`_Walk.propagate`), which hands each rule's call
and the freezing of a node to `self.tracer` when it is set: one walk, traced or not.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_notes.autograd import _memory_id, _Walk
from tinygrad_notes.tensor import Tensor, _make

_ndarray = np.ndarray


class TracingWalk(_Walk):
    """One backward pass of a step being traced (see the module docstring)."""

    def __init__(self, tracer: Any, create_graph: bool, accumulate: bool, wanted: dict[Any, int] | None) -> None:
        super().__init__(create_graph, accumulate, wanted)
        self.tracer = tracer

    def value(self, g: Any) -> Any:
        if self.raw:
            g = g._data if isinstance(g, Tensor) else g
            return g if isinstance(g, (np.ndarray, np.generic)) else np.asarray(g)  # a traced array stays traced
        return super().value(g)

    def unshared(self, g: Tensor) -> Tensor:
        d = g._data
        key = _memory_id(d)
        if key in self.handed or g.requires_grad or not isinstance(d, _ndarray) or not d.flags.writeable:
            d = d.copy() if isinstance(d, _ndarray) else np.array(d)  # a traced copy is recorded
            g = _make(d, False, None)
            key = _memory_id(d)
        self.handed.add(key)
        return g

    def finish_leaves(self) -> None:
        tracer = self.tracer
        for leaf, g in self.leaf_grads.values():
            t = self.tensor(g)
            hooks = leaf._extra.get("hooks") if leaf._extra else None
            for hook in hooks or ():
                out = hook(t)
                if out is not None:
                    t = out if isinstance(out, Tensor) else _make(np.asarray(out), False, None)
            if self.wanted is not None and id(leaf) in self.wanted:
                self.found[self.wanted[id(leaf)]] = t
            if not self.accumulate:
                continue
            if leaf.grad is not None:  # added to whatever .grad holds when the program runs
                leaf.grad = tracer.current_grad(leaf) + t
            else:
                leaf.grad = self.unshared(t) if self.raw else t
            tracer.grad_set(leaf, leaf.grad)
