"""The text of every node of a picture, as rows (text plus how to show it), before any DOT escaping.

A tensor shows its name, shape and dtype, and for a small tensor its values and
gradient; an op its name and attributes (axis, keepdims, slope...); a collapsed
module or a folded stretch what it holds. Problems are rows in red.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from tinygrad_notes import op_name
from viz import style
from viz.graph import CONSTANT, LEAF, OP, OUTPUT, PARAMETER, ComputationGraph
from viz.problems import Problems
from viz.text import cut, fmt_array, fmt_attr, fmt_index, fmt_number, fmt_shape, fmt_shape_only
from viz.view import FOLD, MODULE, NOTE, REPEAT, Unit, View

MAX_LISTED = 6  # parameters listed in a module's node


@dataclass
class Row:
    """One line of a node's label."""

    text: str
    bold: bool = False
    italic: bool = False
    color: str | None = None  # font colour
    bgcolor: str | None = None  # cell background
    small: bool = False


def values_limit(show_values: Any) -> tuple[int, bool]:
    """(largest size whose values are printed, whether bigger tensors get a min/mean/max summary)."""
    if show_values == "auto":
        return 4, False
    if show_values is True:
        return 16, True
    if show_values is False or show_values is None:
        return 0, False
    if isinstance(show_values, int) and show_values >= 0:
        return show_values, False
    raise ValueError(f"draw_graph: show_values must be 'auto', True, False or a number of elements; "
                     f"got {show_values!r}")


def count_text(bad: tuple[int, int]) -> str:
    nan, inf = bad
    return " and ".join(p for p in (f"{nan} NaN" if nan else "", f"{inf} Inf" if inf else "") if p)


def counter_text(counts: Counter, limit: int = 4) -> str:
    items = [f"{name} x{n:,}" if n > 1 else name for name, n in counts.most_common()]
    return ", ".join(items[:limit]) + (f", +{len(items) - limit} more" if len(items) > limit else "")


class Labeler:
    """Rows and problem flags for the units of one view."""

    def __init__(self, view: View, problems: Problems, show_values: Any = "auto", show_grads: bool = True,
                 titles: dict[str, str] | None = None) -> None:
        self.view = view
        self.graph: ComputationGraph = view.graph
        self.problems = problems
        self.limit, self.summary = values_limit(show_values)
        self.show_grads = show_grads
        self.titles = titles or {}  # module name -> "Linear(64→128)"

    def rows(self, unit: Unit) -> list[Row]:
        if unit.kind == NOTE:
            return self.note_rows()
        if unit.kind == MODULE:
            described = self.titles.get(unit.title or "")
            return self.group_rows(unit, [Row(unit.title or "", bold=True),
                                          Row(described or "module", italic=True, small=True)])
        if unit.kind == REPEAT:
            return self.repeat_rows(unit)
        if unit.kind == FOLD:
            n = len(unit.members)
            return self.group_rows(unit, [Row(f"... {n:,} nodes folded", bold=True)])
        i = unit.members[0]
        if unit.kind == OP:
            return self.op_rows(i)
        return self.tensor_rows(i)

    # ---- single nodes ---------------------------------------------------------------------------
    def op_rows(self, i: int) -> list[Row]:
        node = self.graph.nodes[i]
        rows = [Row(op_name(node.fn), bold=True)]
        for key, value in (node.fn.attrs or {}).items():
            if value is None or value is False:  # unset options (axis=None, keepdims=False) say nothing
                continue
            text = fmt_index(value) if key == "index" else fmt_attr(value)
            rows.append(Row(cut(f"{key}={text}"), small=True))
        if i in self.problems.nan_origin:
            rows.append(Row("NaN/Inf appears here", bold=True, color=style.PROBLEM_COLOR))
        if i in self.problems.failed_input:
            rows.append(Row("input failed gradcheck", bold=True, color=style.PROBLEM_COLOR))
        return rows

    def tensor_rows(self, i: int) -> list[Row]:
        node = self.graph.nodes[i]
        rows: list[Row] = []
        name = node.name if node.name is not None else "output" if node.kind == OUTPUT else None
        if name is not None:
            rows.append(Row(cut(name, 80), bold=True))
        if node.kind == CONSTANT and node.tensor is None:  # a number or array passed to an op
            if node.value is not None:
                a = np.asarray(node.value)
                if a.size <= max(self.limit, 1) or a.ndim == 0:
                    rows.append(Row(cut(fmt_array(a), 200)))
                    return rows
            rows.append(Row(fmt_shape(node.shape, node.dtype), small=True))
            return rows
        rows.append(Row(fmt_shape(node.shape, node.dtype), small=True))
        if node.value is not None:
            rows.extend(self.value_rows("data", np.asarray(node.value), self.problems.bad_data.get(i)))
        gd = node.grad
        if self.show_grads and gd is not None:
            grad_norm = self.problems.grad_norm[i]
            colour = style.grad_color(grad_norm)
            if gd.size <= self.limit:
                rows.append(Row(cut(f"grad {fmt_array(gd)}", 200), bgcolor=colour, color=style.text_color(colour)))
            else:
                rows.append(Row(f"grad norm {grad_norm:.3g}", bgcolor=colour, color=style.text_color(colour)))
            bad = self.problems.bad_grad.get(i)
            if bad:
                rows.append(Row(f"grad has {count_text(bad)}", bold=True, color=style.PROBLEM_COLOR))
        rows.extend(self.check_rows(i))
        return rows

    def value_rows(self, label: str, data: np.ndarray, bad: tuple[int, int] | None) -> list[Row]:
        rows = []
        if data.size <= self.limit:
            rows.append(Row(cut(f"{label} {fmt_array(np.asarray(data))}", 200)))
        elif self.summary and data.dtype.kind in "biuf" and data.size:
            a = np.asarray(data, dtype=np.float64)
            finite = a[np.isfinite(a)]
            if finite.size:
                rows.append(Row(f"{label} mean {fmt_number(finite.mean())}, min {fmt_number(finite.min())}, "
                                f"max {fmt_number(finite.max())}", small=True))
        if bad:
            rows.append(Row(f"{label} has {count_text(bad)}", bold=True, color=style.PROBLEM_COLOR))
        return rows

    def check_rows(self, i: int) -> list[Row]:
        entry = self.problems.check.get(i)
        if entry is None:
            return []
        if entry.passed:
            return [Row(f"gradcheck passed (rel err {float(entry.rel_error):.1e})", color=style.PASSED_COLOR)]
        return [Row(f"gradcheck FAILED (rel err {float(entry.rel_error):.1e})", bold=True,
                    color=style.PROBLEM_COLOR)]

    # ---- groups ---------------------------------------------------------------------------------
    def group_rows(self, unit: Unit, rows: list[Row]) -> list[Row]:
        nodes = self.graph.nodes
        ops = Counter(op_name(nodes[i].fn) for i in unit.members if nodes[i].kind == OP)
        if ops:
            rows.append(Row(cut(f"ops: {counter_text(ops)}"), small=True))
        if unit.modules:
            names = unit.modules
            listed = names[0] if len(names) == 1 else f"{names[0]} ... {names[-1]} ({len(names)})"
            rows.append(Row(cut(f"modules: {listed}"), small=True))
        weights = [i for i in unit.members if nodes[i].kind in (PARAMETER, LEAF)]
        if unit.kind == MODULE:
            for i in weights[:MAX_LISTED]:
                rows.extend(self.param_rows(i, unit.title))
            if len(weights) > MAX_LISTED:
                rows.append(Row(f"+{len(weights) - MAX_LISTED} more parameters", small=True))
        elif weights:
            rows.append(Row(f"{len(weights):,} parameters", small=True))
        rows.extend(self.grad_range_rows(unit))
        rows.extend(self.group_problem_rows(unit))
        return rows

    def repeat_rows(self, unit: Unit) -> list[Row]:
        """A run of identical blocks: ×N, one block in words, which blocks, the shapes in and out."""
        repeat = unit.repeat
        rows = [Row(f"×{repeat.times}", bold=True), Row(cut(repeat.pattern))]
        if repeat.blocks:
            rows.append(Row(cut(f"blocks {repeat.blocks[0]} … {repeat.blocks[-1]}"), small=True))
        shapes_in = ", ".join(fmt_shape_only(s) for s in repeat.shapes_in) or "-"
        shapes_out = ", ".join(fmt_shape_only(s) for s in repeat.shapes_out) or "-"
        rows.append(Row(cut(f"in {shapes_in} → out {shapes_out}"), small=True))
        weights = [i for i in unit.members if self.graph.nodes[i].kind in (PARAMETER, LEAF)]
        if weights:
            size = sum(int(np.prod(self.graph.nodes[i].shape or ())) for i in weights)
            rows.append(Row(f"{len(weights):,} parameters ({size:,} numbers)", small=True))
        rows.extend(self.grad_range_rows(unit))
        rows.extend(self.group_problem_rows(unit))
        return rows

    def param_rows(self, i: int, module: str | None) -> list[Row]:
        node = self.graph.nodes[i]
        name = node.name or "(unnamed)"
        if module and name.startswith(module + "."):
            name = name[len(module) + 1:]
        rows = [Row(f"{name} {fmt_shape(node.shape, node.dtype)}", small=True)]
        grad_norm = self.problems.grad_norm.get(i)
        if self.show_grads and grad_norm is not None:
            colour = style.grad_color(grad_norm)
            rows.append(Row(f"{name} grad norm {grad_norm:.3g}", bgcolor=colour, color=style.text_color(colour),
                            small=True))
        for row in self.check_rows(i):
            row.text = f"{name}: {row.text}"
            rows.append(row)
        return rows

    def grad_range_rows(self, unit: Unit) -> list[Row]:
        """For a fold: the smallest and largest gradient norms of the tensors inside it, coloured."""
        if unit.kind not in (FOLD, REPEAT) or not self.show_grads:
            return []
        norms = [self.problems.grad_norm[i] for i in unit.members if i in self.problems.grad_norm]
        if not norms:
            return []
        rows = []
        for label, value in (("smallest", min(norms)), ("largest", max(norms))):
            colour = style.grad_color(value)
            rows.append(Row(f"{label} grad norm {value:.3g}", bgcolor=colour, color=style.text_color(colour),
                            small=True))
        return rows

    def group_problem_rows(self, unit: Unit) -> list[Row]:
        p = self.problems
        bad = sum(1 for i in unit.members if i in p.bad_data or i in p.bad_grad)
        failed = [self.graph.nodes[i].name for i in unit.members if i in p.check and not p.check[i].passed]
        rows = []
        if bad:
            rows.append(Row(f"NaN/Inf in {bad} tensor(s)", bold=True, color=style.PROBLEM_COLOR))
        if failed:
            rows.append(Row(cut("gradcheck FAILED: " + ", ".join(str(f) for f in failed)), bold=True,
                            color=style.PROBLEM_COLOR))
        return rows

    def note_rows(self) -> list[Row]:
        rows = [Row("drawn shorter to stay readable:", bold=True)] if self.view.notes else []
        rows.extend(Row(text) for text in self.view.notes)
        if self.problems.unmatched:
            rows.append(Row(cut("gradcheck entries not drawn: " + ", ".join(self.problems.unmatched), 120),
                            color=style.PROBLEM_COLOR))
        return rows

    def is_bad(self, unit: Unit) -> bool:
        return any(self.problems.is_bad(i) for i in unit.members)

    def has_nonfinite(self, unit: Unit) -> bool:
        p = self.problems
        return any(i in p.bad_data or i in p.bad_grad for i in unit.members)

    def check_state(self, unit: Unit) -> str | None:
        """"failed" if a member failed its gradient check, "passed" if all checked members passed, else None."""
        entries = [self.problems.check[i] for i in unit.members if i in self.problems.check]
        if not entries:
            return None
        return "passed" if all(e.passed for e in entries) else "failed"

