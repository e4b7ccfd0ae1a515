"""An op's own forward or backward as one call of a program, for an op whose numpy calls the trace could not follow.

Most ops are replayed call by call (the numpy calls inside their forward and
backward were recorded). An op whose rule builds its result outside numpy's
protocols (a scatter into `np.zeros`, `np.pad`...) is replayed whole instead:
the program calls the op's own `forward` or `backward`, through a stand-in for
its graph node (`ReplayNode`) whose inputs, output and saved values are set to
the program's current values before each call. So every op, the library's or
a user's, replays through its own rules.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_notes.autograd import _call_user_backward
from tinygrad_notes.mode import no_grad
from tinygrad_notes.tensor import Tensor, _make

_new = object.__new__


def replay_node(cls: type, node: Any, args: tuple, attrs: dict) -> tuple[Any, tuple]:
    """A fresh node of `cls` like `node` (the traced call's), and stand-in tensors for its tensor inputs (None
    where the op was given a plain value), to be filled with values before each call."""
    shells = tuple(_make(None, False, None) if isinstance(a, Tensor) else None for a in args)
    r = _new(cls)
    r.inputs = shells
    r.needs_input_grad = getattr(node, "needs_input_grad", None) or tuple(False for _ in args)
    r.attrs = attrs
    r.stamp = 0
    r.scope = None
    r.extra = None
    r.pending = None
    r.order = 0
    r.out_box = [0]
    r.out_data = None
    r.edges = None
    r.out_meta = None
    return r, shells


def saved_state(node: Any) -> dict[str, Any]:
    """What a node's forward saved on it (Sum.axes, Max.top, a user's ctx.mask): name -> value."""
    cls = type(node)
    state = {name: getattr(node, name, None) for name in cls.saved_slots}
    if cls.__dictoffset__:
        state.update(getattr(node, "__dict__", {}))
    return state


def _fill(node: Any, shells: tuple, inputs: tuple) -> None:
    """Point the stand-in node's inputs at this call's values (through its stand-in tensors)."""
    filled = []
    for shell, value in zip(shells, inputs):
        if shell is None:
            filled.append(value)
        else:
            shell._data = value
            filled.append(shell)
    node.inputs = tuple(filled)


class ForwardCall:
    """`cls.forward` on the program's values, through the op's stand-in node (which keeps what it saved)."""

    def __init__(self, cls: type, node: Any, shells: tuple) -> None:
        self.cls, self.node, self.shells = cls, node, shells
        self.__qualname__ = f"{getattr(cls, 'op_name', cls.__name__)}.forward"

    def __call__(self, *inputs: Any, **attrs: Any) -> Any:
        node = self.node
        _fill(node, self.shells, inputs)
        node.attrs = attrs
        out = self.cls.forward(node, *inputs, **attrs)
        if not isinstance(out, (np.ndarray, np.generic)):
            out = np.asarray(out)
        node.out_data = out
        return out


class BackwardCall:
    """`cls.backward` on the program's values: the incoming gradient, the op's inputs, output and saved values."""

    def __init__(self, cls: type, node: Any, shells: tuple, saved_names: tuple[str, ...],
                 present: tuple[bool, ...]) -> None:
        self.cls, self.node, self.shells, self.saved_names = cls, node, shells, saved_names
        self.present = present  # which inputs got a gradient when traced: the call returns those, in order
        self.__qualname__ = f"{getattr(cls, 'op_name', cls.__name__)}.backward"

    def __call__(self, g: Any, inputs: tuple, out: Any, saved: tuple) -> tuple:
        node, cls = self.node, self.cls
        _fill(node, self.shells, inputs)
        node.out_data = out
        for name, value in zip(self.saved_names, saved):
            setattr(node, name, value)
        with no_grad():  # as in backward without create_graph: rules get and give plain arrays
            if cls.raw_grads:
                result = cls.backward(node, g)
                result = result if type(result) is tuple else (result,)
            else:
                result = _call_user_backward(node, _make(g, False, None), len(inputs))
        return tuple(r._data if isinstance(r, Tensor) else r for r, p in zip(result, self.present) if p)
