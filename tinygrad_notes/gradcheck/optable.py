"""The op table: every registered op, whether it is differentiable, and the formula of its derivative.

Generated from the registry, so it cannot drift from what is checked: `docs/ops.md` is `markdown()` (a test
compares them; `python -m tinygrad_notes.gradcheck.optable > docs/ops.md` rewrites it) and
`tinygrad-notes gradcheck --list` prints `text()`. An entry's formula is its OpInfo's `formula` when given;
otherwise it is read from the primitives the op runs on its first sample: the formula comment beside the
backward rule of a single primitive (`def backward(ctx, g):  # d e^x/dx = e^x`), or the list of primitives
a composite is made of (its gradient is theirs, by the chain rule).
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass

import numpy as np

from tinygrad_notes.function import op_name
from tinygrad_notes.gradcheck.registry import OpInfo, all_ops, non_differentiable
from tinygrad_notes.graph import walk
from tinygrad_notes.mode import enable_grad
from tinygrad_notes.tensor import Tensor

_COMMENT = re.compile(r"#\s*(.+)")  # the first comment of the rule: on its def line, or the line after


@dataclass(frozen=True)
class Row:
    """One line of the table."""

    name: str
    covers: tuple[str, ...]
    differentiable: bool
    derivative: str  # the formula, what it is composed of, or why there is none


def backward_formula(cls: type) -> str:
    """The formula comment of a primitive's backward rule (its own or the one it inherits), or ''."""
    for klass in cls.__mro__:
        if "backward" in vars(klass):
            match = _COMMENT.search(inspect.getsource(vars(klass)["backward"]))
            return match.group(1).strip() if match else ""
    return ""


def primitives_of(op: OpInfo) -> list[type]:
    """The op classes the entry's first sample runs, oldest first, each once."""
    sample = next(iter(op.samples(np.random.default_rng(0))))
    with enable_grad():
        leaves = [Tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in sample.inputs]
        out = op.fn(*leaves, **sample.kwargs)
    return list(dict.fromkeys(type(node) for node in reversed(walk([out]))))


def derivative_of(op: OpInfo) -> str:
    """The entry's formula, else its single primitive's, else what it is composed of."""
    if op.formula:
        return op.formula
    classes = primitives_of(op)
    if not classes:
        return "identity: the gradient passes through unchanged"
    if len(classes) == 1:
        return backward_formula(classes[0]) or f"that of {op_name(classes[0])}"
    return "composed of " + ", ".join(op_name(c) for c in classes)


def rows() -> list[Row]:
    """Every registered op, then every op declared without gradient, each with its derivative or reason."""
    table = [Row(op.name, op.covers, True, derivative_of(op)) for op in all_ops()]
    declared = sorted(non_differentiable().items())
    table += [Row(name, (), False, f"not differentiable: {reason}") for name, reason in declared]
    return table


def markdown() -> str:
    """docs/ops.md: the table in Markdown."""
    lines = [
        "# Ops",
        "",
        "Every public op, generated from the op registry (`python -m tinygrad_notes.gradcheck.optable > docs/ops.md`;",
        "`tinygrad-notes gradcheck --list` prints the same table). Each differentiable op is gradient-checked at",
        "first and second order on the samples of its entry; the derivative column is the entry's formula, or the",
        "formula beside the backward rule of the primitive it runs, or the primitives a composite is made of.",
        "",
        "| op | differentiable | derivative |",
        "|---|---|---|",
    ]
    for row in rows():
        name = f"`{row.name}`" + (" (" + ", ".join(f"`{c}`" for c in row.covers) + ")" if row.covers else "")
        lines.append(f"| {name} | {'yes' if row.differentiable else 'no'} | {_cell(row.derivative)} |")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def text() -> str:
    """The table for a terminal."""
    table = rows()
    width = max(len(_label(r)) for r in table) + 2
    lines = [f"{'op':{width}s}{'grad':6s}derivative"]
    lines += [f"{_label(r):{width}s}{'yes' if r.differentiable else 'no':6s}{r.derivative}" for r in table]
    return "\n".join(lines)


def _label(row: Row) -> str:
    return row.name + (f" ({', '.join(row.covers)})" if row.covers else "")


if __name__ == "__main__":
    print(markdown(), end="")
