"""What a page's side panel says about each node: a value or gradient summary with a small histogram,
the op and its formula, the line of user code that made it, and its gradient-check row.

Everything here is plain JSON data (numbers, strings, lists), written into the
page once; the page's script only lays it out.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_notes import op_name, source_of
from viz.formulas import formula_of
from viz.graph import OP, ComputationGraph, GNode
from viz.modules import cluster_title
from viz.problems import Problems, norm
from viz.text import cut, fmt_array, fmt_attr, fmt_index, fmt_number, fmt_shape

BINS = 16  # histogram bars in the panel
VALUES_UP_TO = 16  # elements printed in full; beyond, only the summary


def array_summary(a: Any) -> dict[str, Any]:
    """Size, min/mean/max/std of the finite entries, NaN and Inf counts, a histogram, and the values if few."""
    a = np.asarray(a)
    out: dict[str, Any] = {"size": int(a.size)}
    if a.size <= VALUES_UP_TO:
        out["values"] = cut(fmt_array(a), 400)
    if a.dtype.kind not in "biuf" or a.size == 0:
        return out
    x = a.astype(np.float64, copy=False).ravel()
    finite = x[np.isfinite(x)]
    out["nan"] = int(np.isnan(x).sum())
    out["inf"] = int(x.size - finite.size - out["nan"])
    if finite.size:
        out.update(min=fmt_number(finite.min()), max=fmt_number(finite.max()), mean=fmt_number(finite.mean()),
                   std=fmt_number(finite.std()))
        counts, edges = np.histogram(finite, bins=BINS)
        out["hist"] = {"counts": counts.tolist(), "lo": fmt_number(edges[0]), "hi": fmt_number(edges[-1])}
    return out


def node_detail(graph: ComputationGraph, i: int, problems: Problems) -> dict[str, Any]:
    """The side panel's facts about graph node `i`."""
    node: GNode = graph.nodes[i]
    fn = node.fn
    out: dict[str, Any] = {"kind": node.kind, "name": node.name, "scope": node.scope}
    if node.kind == OP:
        out["op"] = op_name(fn)
        out["formula"] = formula_of(type(fn))
        out["attrs"] = [cut(f"{k}={fmt_index(v) if k == 'index' else fmt_attr(v)}", 120)
                        for k, v in (fn.attrs or {}).items() if v is not None and v is not False]
    else:
        out["shape"] = fmt_shape(node.shape, node.dtype)
        if fn is not None:
            out["op"] = op_name(fn)
        if node.value is not None:
            out["value"] = array_summary(node.value)
        elif fn is not None:
            out["value_note"] = "freed by backward (viz.retain_grads before backward keeps it)"
        if node.grad is not None:
            out["grad"] = array_summary(node.grad)
            out["grad"]["norm"] = fmt_number(norm(node.grad))
    if fn is not None:
        out["source"] = source_of(fn)
    entry = problems.check.get(i)
    if entry is not None:
        out["check"] = check_row(entry)
    return out


def check_row(entry: Any) -> dict[str, Any]:
    """A gradient-check entry as the report prints it: verdict, relative error, and the worst component."""
    row: dict[str, Any] = {"name": str(entry.name), "passed": bool(entry.passed),
                           "rel_error": f"{float(entry.rel_error):.2e}"}
    for key in ("verdict", "mode", "checked", "failed"):
        value = getattr(entry, key, None)
        if value is not None:
            row[key] = value if isinstance(value, (int, str)) else str(value)
    worst = getattr(entry, "worst", None)
    if worst:
        w = worst[0]
        row["worst"] = (f"at {tuple(getattr(w, 'index', ()))}: analytical {fmt_number(w.analytical)}, "
                        f"numerical {fmt_number(w.numerical)}")
    return row


def module_details(graph: ComputationGraph, titles: dict[str, str], problems: Problems) -> dict[str, Any]:
    """Per module (dotted scope): its title, its parameters with shapes and gradient norms, its op counts."""
    from collections import Counter

    modules: dict[str, Any] = {}
    for i, node in enumerate(graph.nodes):
        scope = node.scope
        while scope:
            info = modules.setdefault(scope, {"title": cluster_title(scope, titles), "params": [],
                                              "ops": Counter()})
            if node.kind == OP:
                info["ops"][op_name(node.fn)] += 1
            elif node.kind in ("parameter", "leaf"):
                grad = problems.grad_norm.get(i)
                info["params"].append([node.name or "(unnamed)", fmt_shape(node.shape, node.dtype),
                                       None if grad is None else fmt_number(grad)])
            scope = scope.rpartition(".")[0]
    for info in modules.values():
        info["ops"] = ", ".join(f"{name} ×{n}" if n > 1 else name for name, n in info["ops"].most_common())
    return modules
