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

from tinygrad_notes import Tensor
from tinygrad_notes.function import op_name
from viz import style
from viz.graph import LEAF, OP, OUTPUT, PARAMETER, ComputationGraph
from viz.problems import Problems
from viz.view import FOLD, MODULE, NOTE, Unit, View

MAX_TEXT = 60  # characters of one attribute or value row before it is cut with "..."
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


def fmt_number(x: Any) -> str:
    """A number in at most 4 significant digits."""
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    return f"{float(x):.4g}"


def fmt_array(a: np.ndarray) -> str:
    """Values of a small array: `0.5` for one element, `[1, 2, 3]`, nested brackets for more dimensions."""
    if a.ndim == 0:
        return fmt_number(a.item())
    if a.dtype.kind == "b":
        return np.array2string(a, separator=", ")
    return np.array2string(a, separator=", ", formatter={"all": fmt_number})


def fmt_shape(shape: tuple[int, ...], dtype: Any) -> str:
    return f"scalar {dtype}" if shape == () else f"{tuple(shape)} {dtype}"


def cut(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def fmt_index(index: Any) -> str:
    """A numpy index as it was written: `[:, 1:3]`, `[0, 2]`, `[bool array (3, 4)]`."""
    items = index if isinstance(index, tuple) else (index,)
    return "[" + ", ".join("None" if v is None else fmt_attr(v) for v in items) + "]"


def fmt_attr(value: Any) -> str:
    """An op attribute as short text: numbers, shapes, dtypes, slices, arrays."""
    if isinstance(value, np.ndarray):
        if value.size <= 6 and value.dtype.kind != "b":
            return fmt_array(value)
        return f"{value.dtype} array {value.shape}"
    if isinstance(value, slice):
        parts = ["" if v is None else str(v) for v in (value.start, value.stop, value.step)]
        return ":".join(parts[:2]) + (f":{parts[2]}" if value.step is not None else "")
    if value is Ellipsis:
        return "..."
    if isinstance(value, (float, np.floating)):
        return fmt_number(value)
    if isinstance(value, np.dtype):
        return str(value)
    return repr(value)


def count_text(bad: tuple[int, int]) -> str:
    nan, inf = bad
    return " and ".join(p for p in (f"{nan} NaN" if nan else "", f"{inf} Inf" if inf else "") if p)


def counter_text(counts: Counter, limit: int = 4) -> str:
    items = [f"{name} x{n:,}" if n > 1 else name for name, n in counts.most_common()]
    return ", ".join(items[:limit]) + (f", +{len(items) - limit} more" if len(items) > limit else "")


class Labeler:
    """Rows and problem flags for the units of one view."""

    def __init__(self, view: View, problems: Problems, show_values: Any = "auto", show_grads: bool = True) -> None:
        self.view = view
        self.graph: ComputationGraph = view.graph
        self.problems = problems
        self.limit, self.summary = values_limit(show_values)
        self.show_grads = show_grads

    def rows(self, unit: Unit) -> list[Row]:
        if unit.kind == NOTE:
            return self.note_rows()
        if unit.kind == MODULE:
            return self.group_rows(unit, [Row(unit.title or "", bold=True), Row("module", italic=True, small=True)])
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
        rows = [Row(op_name(node.obj), bold=True)]
        for key, value in (node.obj.attrs or {}).items():
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
        obj = node.obj
        rows: list[Row] = []
        name = node.name if node.name is not None else "output" if node.kind == OUTPUT else None
        if name is not None:
            rows.append(Row(cut(name, 80), bold=True))
        if not isinstance(obj, Tensor):  # a number or array passed to an op
            a = np.asarray(obj)
            if a.size <= max(self.limit, 1) or a.ndim == 0:
                rows.append(Row(cut(fmt_array(a), 200)))
            else:
                rows.append(Row(fmt_shape(a.shape, a.dtype), small=True))
            return rows
        data = obj._data
        rows.append(Row(fmt_shape(data.shape, data.dtype), small=True))
        rows.extend(self.value_rows("data", data, self.problems.bad_data.get(i)))
        g = obj.grad
        if self.show_grads and g is not None:
            gd = np.asarray(g._data if isinstance(g, Tensor) else g)
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
        ops = Counter(op_name(nodes[i].obj) for i in unit.members if nodes[i].kind == OP)
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

    def param_rows(self, i: int, module: str | None) -> list[Row]:
        node = self.graph.nodes[i]
        t = node.obj
        name = node.name or "(unnamed)"
        if module and name.startswith(module + "."):
            name = name[len(module) + 1:]
        rows = [Row(f"{name} {fmt_shape(t.shape, t.dtype)}", small=True)]
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
        if unit.kind != FOLD or not self.show_grads:
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
        rows = [Row("collapsed to stay readable:", bold=True)] if self.view.notes else []
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

