"""A program of 0-d float64 values as straight-line Python on floats (`compile(fn, floats=True)`).

For a graph of scalars (micrograd's world: a neuron, a chain of ops) numpy's
per-call cost is most of the time. Python floats are IEEE doubles, so `+ - * /`
on them give exactly what numpy's float64 gives; functions such as tanh or exp
are still numpy's own (their last bits differ from the math module's), called
on the float. The result is the same bits as the eager step, several times
faster than numpy calls on 0-d arrays.

Only programs whose every value is a float64 scalar and whose every step is one
of these operations qualify (`float_source` says why one does not). Python
raises where numpy returns inf or nan (a division by zero): the caller then runs
the numpy program for that call instead, which has the same effects.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_notes.jit import tracer as T
from tinygrad_notes.jit.build import Plan
from tinygrad_notes.jit.emit import STALE
from tinygrad_notes.jit.record import Value
from tinygrad_notes.program import Ref, Step
from tinygrad_notes.tensor import _make

ARITHMETIC = {np.add: "+", np.subtract: "-", np.multiply: "*", np.true_divide: "/"}
NEGATION = {np.negative: "-", np.positive: "+"}
FUNCTIONS = {np.tanh, np.exp, np.log, np.sqrt, np.sin, np.cos, np.expm1, np.log1p, np.arctan, np.power,
             np.maximum, np.minimum, np.abs, np.sign}
_F64 = np.dtype(np.float64)


class NotFloats(Exception):
    """The program has a value or a step that is not a float64 scalar operation (the message says which)."""


def float_program(steps: list[Step], values: list[Value], plan: Plan, inputs: list[int], outputs: list[Any],
                  guards: list[tuple[Any, Any]], name: str) -> tuple[str, Any]:
    """(source, function) of the program on Python floats; raises NotFloats when it does not qualify."""
    names: dict[int, str] = {}
    constants: list[Any] = []

    def constant(obj: Any) -> str:
        constants.append(obj)
        return f"k{len(constants) - 1}"

    def scalar(slot: int) -> bool:
        v = values[slot]
        return v.shape == () and v.dtype == _F64

    def src(template: Any) -> str:
        if type(template) is Ref:
            slot = template.slot
            if slot not in names:  # a constant or a parameter: its value as a float, read once per call
                if not scalar(slot):
                    raise NotFloats(f"a value of shape {values[slot].shape} and dtype {values[slot].dtype}")
                names[slot] = f"v{slot}"
                lines.append(f"v{slot} = float({constant(plan.objects[slot])})")
            return names[slot]
        if type(template) in (int, float) and np.isfinite(template):
            return repr(float(template))
        return f"float({constant(template)})"

    lines = [f"if {constant(owner)}._data is not {constant(obj)}: return {constant(STALE)}" for owner, obj in guards]
    params = []
    for slot in inputs:
        params.append(f"a{slot}")
        if values[slot].obj is None:  # an array input (a tensor input's object is only for its .grad)
            if not scalar(slot):
                raise NotFloats(f"an input of shape {values[slot].shape} and dtype {values[slot].dtype}")
            names[slot] = f"v{slot}"
            lines.append(f"v{slot} = float(a{slot})")
        else:
            names[slot] = f"a{slot}"
    for step in steps:
        fn = step.fn
        if fn is T.set_grad:
            leaf, value = step.args
            holder = constant(_make(None, False, None))
            lines += [f"{holder}._data = {constant(np.float64)}({src(value)})", f"{src_object(leaf, names, constant)}"
                      f".grad = {holder}"]
            continue
        if fn is T.clear_grad:
            lines.append(f"{src_object(step.args[0], names, constant)}.grad = None")
            continue
        if step.kwargs or step.unpack or len(step.outs) != 1 or step.writes:
            raise NotFloats(f"the step {step.name()} (only elementwise float operations qualify)")
        (out,) = step.outs
        args = step.args
        if not scalar(out) or not all(type(a) is not Ref or scalar(a.slot) for a in args):
            raise NotFloats(f"{step.name()} on values that are not float64 scalars")
        if step.method == "reshape" and values[out].shape == ():
            names[out] = src(args[0])
            continue
        if fn in ARITHMETIC and len(args) == 2:
            expr = f"{src(args[0])} {ARITHMETIC[fn]} {src(args[1])}"
        elif fn in NEGATION and len(args) == 1:
            expr = f"{NEGATION[fn]}{src(args[0])}"
        elif fn in FUNCTIONS:  # numpy's own function, on floats
            expr = f"float({constant(fn)}({', '.join(src(a) for a in args)}))"
        else:
            raise NotFloats(f"the step {step.name()} (only elementwise float operations qualify)")
        names[out] = f"v{out}"
        lines.append(f"v{out} = {expr}")
    results = []
    for template in outputs:
        if type(template) is not Ref or not scalar(template.slot):
            raise NotFloats("an output that is not a float64 scalar")
        results.append(f"{constant(np.float64)}({src(template)})")
    lines.append("return (" + "".join(r + ", " for r in results) + ")")
    body = "\n".join("        " + line for line in lines)
    source = (f"def make({', '.join(f'k{i}' for i in range(len(constants)))}):\n"
              f"    def program({', '.join(params)}):\n{body}\n    return program\n")
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<compiled floats {name}>", "exec"), namespace)  # noqa: S102 - our own source
    return source, namespace["make"](*constants)


def src_object(template: Any, names: dict[int, str], constant: Any) -> str:
    """Source for an object argument (a tensor whose .grad is set): an input's name, or a constant."""
    if type(template) is Ref:
        return names[template.slot]
    return constant(template)
