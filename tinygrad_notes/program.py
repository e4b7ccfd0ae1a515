"""A program of steps over numbered values: the one representation that replays run.

A `Step` is one call: a function (a ufunc, a numpy function, an op's forward, a
Python callable) or a method of its first argument, with arguments in which
`Ref(k)` stands for value number k of the program. Running a step resolves the
references, makes the call, and stores its result(s) as new values; a step may
also write into values it was given (`writes`, through `out=` or item assignment).

Two replays use it: the gradient checker re-runs a recorded graph, one step per
op (gradcheck/replay.py, `op_step`), with `run`; a compiled step re-runs a traced
function, one step per numpy call (jit/), written out as straight-line Python
(jit/emit.py): the same steps without the interpreter's loop.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

_new = object.__new__


class Ref(NamedTuple):
    """Value number `slot` of a program, where it appears in a step's arguments."""

    slot: int


class Step:
    """One call of a program: `fn(*args, **kwargs)`, or `args[0].<method>(*args[1:], **kwargs)`."""

    __slots__ = ("fn", "method", "args", "kwargs", "outs", "unpack", "writes", "op", "where", "view", "effect")

    def __init__(self, fn: Callable | None, args: tuple, kwargs: dict | None = None, outs: tuple[int, ...] = (),
                 writes: tuple[int, ...] = (), method: str | None = None, op: Any = None, where: str | None = None,
                 view: bool = False, effect: bool = False, unpack: bool = False) -> None:
        self.fn = fn
        self.method = method
        self.args = args
        self.kwargs = kwargs or {}
        self.outs = outs  # the values it makes
        self.unpack = unpack  # the call returns a sequence: one value per item (else outs has one slot)
        self.writes = writes  # values it writes in place (out=, item assignment, fill)
        self.op = op  # the op (a Function class) the step belongs to, for messages and batched rules
        self.where = where  # the user's line it came from, for messages
        self.view = view  # its result is a view of an argument (no new memory)
        self.effect = effect  # it does something outside the program's values (a random draw, an optimizer step)

    def call(self, values: Sequence[Any]) -> Any:
        """Make the call with the current values; return its result (unpacked into `outs` by `run`)."""
        args = resolve(self.args, values)
        kwargs = resolve(self.kwargs, values) if self.kwargs else self.kwargs
        if self.method is not None:
            return getattr(args[0], self.method)(*args[1:], **kwargs)
        return self.fn(*args, **kwargs)

    def name(self) -> str:
        """What the step calls, for messages: `np.add`, `x.reshape`, an op's name."""
        if self.method is not None:
            return f".{self.method}"
        fn = self.fn
        return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or type(fn).__name__

    def __repr__(self) -> str:
        return f"Step({self.name()}, args={self.args!r}, outs={self.outs}, writes={self.writes})"


def resolve(template: Any, values: Sequence[Any]) -> Any:
    """`template` with every Ref replaced by its value (inside tuples, lists and dicts too)."""
    t = type(template)
    if t is Ref:
        return values[template.slot]
    if t is tuple:
        return tuple([resolve(v, values) for v in template])
    if t is list:
        return [resolve(v, values) for v in template]
    if t is dict:
        return {k: resolve(v, values) for k, v in template.items()}
    return template


def refs_in(template: Any) -> list[int]:
    """The slots a template refers to, in order."""
    t = type(template)
    if t is Ref:
        return [template.slot]
    if t is tuple or t is list:
        return [s for v in template for s in refs_in(v)]
    if t is dict:
        return [s for v in template.values() for s in refs_in(v)]
    return []


def run(steps: Sequence[Step], values: list[Any]) -> list[Any]:
    """Run the steps in order, storing each result in its out slot(s); returns `values`."""
    for step in steps:
        result = step.call(values)
        if step.unpack:
            for slot, value in zip(step.outs, result):
                values[slot] = value
        elif step.outs:
            values[step.outs[0]] = result
    return values


def forward_of(cls: type) -> Callable[..., np.ndarray]:
    """`cls.forward` as a plain function of arrays (a fresh context each call), for an op-level step."""

    def forward(*args: Any, **attrs: Any) -> np.ndarray:
        return np.asarray(cls.forward(_new(cls), *args, **attrs))

    forward.__qualname__ = f"{getattr(cls, 'op_name', cls.__name__)}.forward"
    return forward


def op_step(cls: type, inputs: Sequence[int], attrs: dict, out: int) -> Step:
    """One op of a recorded graph as a step: its forward on values `inputs`, into value `out`."""
    return Step(forward_of(cls), tuple(Ref(i) for i in inputs), dict(attrs), outs=(out,), op=cls)
