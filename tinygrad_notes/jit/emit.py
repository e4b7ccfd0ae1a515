"""A program as straight-line Python: one line per step, no interpreter loop, no Tensors.

`emit(...)` writes the source of a function of the program's inputs, in which
each step is its numpy call with the program's names for its arguments:
`multiply(b12, k3, out=b13)` for a ufunc into its buffer, `v7 = v5 * 1.01` for
numbers (numpy scalars compute faster with operators, and the same way),
`k9(v3, v4)` for a call of a Python function (an op's own rule, a random draw,
an optimizer's step). Buffers, parameters and constants reach the function as
closure variables, so a replay looks nothing up by name.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_notes.jit import tracer as T
from tinygrad_notes.jit.build import Plan
from tinygrad_notes.jit.record import Value
from tinygrad_notes.program import Ref, Step
from tinygrad_notes.tensor import _make

OPERATORS = {np.add: "+", np.subtract: "-", np.multiply: "*", np.true_divide: "/", np.power: "**"}
UNARY = {np.negative: "-", np.positive: "+"}


class Source:
    """The lines of the generated function and the objects it closes over."""

    def __init__(self, plan: Plan, values: list[Value]) -> None:
        self.plan, self.values = plan, values
        self.lines: list[str] = []
        self.constants: list[Any] = []
        self.constant_names: dict[int, str] = {}
        self.reset_done: set[int] = set()

    def constant(self, obj: Any) -> str:
        name = self.constant_names.get(id(obj))
        if name is None:
            name = self.constant_names[id(obj)] = f"k{len(self.constants)}"
            self.constants.append(obj)
        return name

    def name(self, slot: int) -> str:
        storage = self.plan.storage.get(slot)
        if storage in ("fixed", "buffer"):
            value = self.values[slot]
            if value.kind == "const" and value.written and slot not in self.reset_done:
                # an array the step fills in (zeros it made): its traced start again, before its first use
                self.reset_done.add(slot)
                self.lines.append(f"{self.constant(np.copyto)}({self.constant(value.obj)}, "
                                  f"{self.constant(value.initial)})")
            return self.constant(self.plan.objects[slot])
        return f"v{slot}"

    def src(self, template: Any) -> str:
        """Python source for a step argument."""
        t = type(template)
        if t is Ref:
            return self.name(template.slot)
        if t is tuple:
            items = [self.src(v) for v in template]
            return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        if t is list:
            return "[" + ", ".join(self.src(v) for v in template) + "]"
        if t is dict:
            return "{" + ", ".join(f"{k!r}: {self.src(v)}" for k, v in template.items()) + "}"
        if template is None or t is bool or t is int or t is str:
            text = repr(template)
        elif t is float and math.isfinite(template):
            text = repr(template)
        elif template is Ellipsis:
            return "..."
        else:
            return self.constant(template)
        return f"({text})" if text.startswith("-") else text

    def is_number(self, template: Any) -> bool:
        """An argument that is a number at replay time (a 0-d value numpy gives as a scalar, or a constant)."""
        if type(template) is Ref:
            value = self.values[template.slot]
            return self.plan.storage.get(template.slot) == "local" and value.shape == () and value.kind == "computed"
        return type(template) in (int, float) or isinstance(template, np.generic)


def emit(steps: list[Step], values: list[Value], plan: Plan, inputs: list[int], outputs: list[Any],
         guards: list[tuple[Any, Any]], name: str) -> tuple[str, Any, list[Any]]:
    """The program's source, the function made from it (f(*inputs) -> outputs, or STALE), and the objects it
    closes over (k0, k1, ...)."""
    out = Source(plan, values)
    stale = out.constant(STALE)
    for owner, obj in guards:  # a parameter whose array was replaced since the trace: trace again
        out.lines.append(f"if {out.constant(owner)}._data is not {out.constant(obj)}: return {stale}")
    for step in steps:
        if id(step) in plan.folded:
            continue
        out.lines.extend(_step_lines(step, out))
    results = []
    for template in outputs:
        if type(template) is Ref and plan.storage.get(template.slot) in ("fixed", "buffer"):
            results.append(f"{out.constant(np.array)}({out.src(template)})")  # a fresh array for the caller
        else:
            results.append(out.src(template))
    out.lines.append("return (" + "".join(r + ", " for r in results) + ")")
    params = ", ".join(f"v{slot}" for slot in inputs)
    body = "\n".join("        " + line for line in out.lines)
    source = (f"def make({', '.join(f'k{i}' for i in range(len(out.constants)))}):\n"
              f"    def program({params}):\n{body}\n"
              f"    return program\n")
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<compiled {name}>", "exec"), namespace)  # noqa: S102 - our own generated source
    return source, namespace["make"](*out.constants), out.constants


class _Stale:
    """Returned by a program whose parameters' arrays were replaced: it must be traced again."""

    def __repr__(self) -> str:
        return "STALE"


STALE = _Stale()


def _step_lines(step: Step, out: Source) -> list[str]:
    fn = step.fn
    if fn is T.set_grad:  # leaf.grad = a Tensor holding the gradient (one Tensor object, made here)
        holder = out.constant(_make(None, False, None))
        leaf, value = (out.src(a) for a in step.args)
        return [f"{holder}._data = {value}", f"{leaf}.grad = {holder}"]
    if fn is T.clear_grad:
        return [f"{out.src(step.args[0])}.grad = None"]
    args = [_fast_number(a, step, out) for a in step.args]
    kwargs = [f"{k}={out.src(v)}" for k, v in step.kwargs.items()]
    plan = out.plan
    if len(step.outs) == 1 and not step.unpack:
        (slot,) = step.outs
        storage = plan.storage[slot]
        target = out.name(slot)
        if storage == "buffer":
            if step.method in ("copy", "astype"):  # the copy into its buffer, as astype/copy would make it
                return [f"{out.constant(np.copyto)}({target}, {args[0]}, casting='unsafe')"]
            return [f"{_callee(step, out)}({', '.join([*args, *kwargs, f'out={target}'])})"]
        if storage == "local" and not kwargs and fn in OPERATORS and len(args) == 2 \
                and all(out.is_number(a) for a in step.args):
            return [f"{target} = {args[0]} {OPERATORS[fn]} {args[1]}"]
        if storage == "local" and not kwargs and fn in UNARY and out.is_number(step.args[0]):
            return [f"{target} = {UNARY[fn]}{args[0]}"]
        call = _call(step, args, kwargs, out)
        if out.values[slot].written:  # written in place later: it must be an array, not a numpy scalar
            call = f"{out.constant(np.asarray)}({call})"
        return [f"{target} = {call}"]
    call = _call(step, args, kwargs, out)
    if step.outs:
        names = ", ".join(out.name(s) for s in step.outs)
        return [f"{names}, = {call}" if len(step.outs) == 1 else f"{names} = {call}"]
    return [call]


_ELEMENTWISE = {np.add, np.subtract, np.multiply, np.true_divide, np.power, np.maximum, np.minimum}


def _fast_number(template: Any, step: Step, out: Source) -> str:
    """A Python number beside an array of a float dtype, as a 0-d array of that dtype: numpy casts a Python
    number to the array's dtype anyway (it is a "weak" scalar), and takes a 0-d array faster than a number."""
    if type(template) not in (int, float) or step.fn not in _ELEMENTWISE or step.kwargs or len(step.outs) != 1:
        return out.src(template)
    result = out.values[step.outs[0]]
    arrays = [a for a in step.args if type(a) is Ref]
    if result.dtype is None or result.dtype.kind != "f" or result.shape == () or len(arrays) != 1:
        return out.src(template)
    other = out.values[arrays[0].slot]
    if other.dtype != result.dtype or other.shape == ():
        return out.src(template)
    return out.constant(np.array(template, dtype=result.dtype))


def _callee(step: Step, out: Source) -> str:
    return out.constant(step.fn)


def _call(step: Step, args: list[str], kwargs: list[str], out: Source) -> str:
    if step.method is not None:
        return f"{args[0]}.{step.method}({', '.join([*args[1:], *kwargs])})"
    return f"{_callee(step, out)}({', '.join([*args, *kwargs])})"

