"""`draw_graph(loss, view="backward")`: the backward graph, as torchviz draws it.

One node per vector-Jacobian product (each op's backward rule, with the
formula written beside it), arrows in the direction the gradient flows: from
the output's rule back to the leaves, whose gradients are accumulated. What
each op saved for its backward (its tensor inputs, and its output for exp,
tanh, ...) hangs off its rule as a dotted node; after a plain backward those
arrays are gone, and the dotted node says so.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

import numpy as np

from tinygrad_notes import op_name
from tinygrad_notes.graph import is_freed
from viz import dot, style
from viz.formulas import formula_of
from viz.graph import CONSTANT, LEAF, OP, OUTPUT, PARAMETER
from viz.labels import Labeler, Row
from viz.legend import legend_lines
from viz.problems import Problems
from viz.text import cut, fmt_array, fmt_shape, fmt_shape_only
from viz.view import build_view

if TYPE_CHECKING:
    from viz.draw import Drawing

SAVED_VALUES_UP_TO = 4  # elements of a saved tensor printed in its node


def backward_lines(drawing: Drawing) -> list[str]:
    """DOT body lines of the backward graph of `drawing.graph` (at most `max_nodes` nodes, with a note)."""
    graph, options = drawing.graph, drawing.options
    nodes = graph.nodes
    producer: dict[int, int] = {}  # tensor node -> the op that made it
    inputs: dict[int, list[int]] = {}  # op -> its input nodes by position
    for src, dst, pos in sorted(graph.edges, key=lambda e: (e[1], e[2])):
        if pos < 0:
            producer[dst] = src
        else:
            inputs.setdefault(dst, []).append(src)
    # Gradient edges, from each op's rule to the rules (or leaves) its gradient reaches.
    flows: dict[int, list[int]] = {}
    saved: list[tuple[int, int, str]] = []  # (op, node saved, what it is to the op)
    for op in (i for i, n in enumerate(nodes) if n.kind == OP):
        fn = nodes[op].fn
        for k, src in enumerate(inputs.get(op, ())):
            kind = nodes[src].kind
            if src in producer:
                flows.setdefault(op, []).append(producer[src])
            elif kind in (PARAMETER, LEAF):
                flows.setdefault(op, []).append(src)
            if kind != CONSTANT or nodes[src].shape != ():
                saved.append((op, src, f"input {k}"))
        if type(fn).saves_output:
            saved.append((op, -1, "output"))
    roots = [r for r in graph.roots if r in producer]
    # Keep what fits: every rule and leaf reached from the outputs, breadth first, then the saved tensors.
    budget = options.max_nodes if options.max_nodes is not None else len(nodes) + len(saved) + 1
    keep: list[int] = []
    seen = set(roots)
    queue = deque(producer[r] for r in roots)
    seen.update(queue)
    while queue and len(keep) + len(roots) < budget - 1:
        v = queue.popleft()
        keep.append(v)
        for w in flows.get(v, ()):
            if w not in seen:
                seen.add(w)
                queue.append(w)
    kept = set(keep)
    room = budget - 1 - len(keep) - len(roots)
    shown_saved = [s for s in saved if s[0] in kept][:max(room, 0)]
    notes = []
    left = sum(1 for i, n in enumerate(nodes) if (n.kind == OP or n.kind in (PARAMETER, LEAF)) and i not in kept)
    if left:
        notes.append(f"{left:,} rules and leaves farthest from the output left out (max_nodes={options.max_nodes})")
    if len(shown_saved) < sum(1 for s in saved if s[0] in kept):
        notes.append(f"{len(saved) - len(shown_saved):,} saved tensors left out to stay under max_nodes")

    view = build_view(graph, False, None, fold=False)
    labeler = Labeler(view, Problems(graph, drawing.report), options.show_values, options.show_grads)
    lines = []
    for r in roots:
        lines.append(dot.node(f"n{r}", labeler.tensor_rows(r), _attrs(OUTPUT)))
        lines.append(dot.edge(f"n{r}", f"n{producer[r]}"))
    out_of = {op: tensor for tensor, op in producer.items()}
    for v in keep:
        node = nodes[v]
        if node.kind == OP:
            lines.append(dot.node(f"n{v}", _rule_rows(drawing, v, out_of[v]), _attrs("vjp")))
        else:
            lines.append(dot.node(f"n{v}", labeler.tensor_rows(v), _attrs(node.kind)))
    for v in keep:
        for w in flows.get(v, ()):
            if w in kept:
                lines.append(dot.edge(f"n{v}", f"n{w}"))
    for k, (op, src, what) in enumerate(shown_saved):
        target = out_of[op] if src == -1 else src
        lines.append(dot.node(f"s{k}", _saved_rows(drawing, op, target, what), _attrs("saved")))
        lines.append(dot.edge(f"s{k}", f"n{op}", {"style": "dotted", "arrowhead": "none"}))
    if notes:
        lines.append(dot.node("note", [Row(text) for text in notes], _attrs("note")))
    if options.legend:
        kinds = {"vjp", "saved", "output"} | {nodes[v].kind for v in keep if nodes[v].kind != OP}
        if not shown_saved:
            kinds.discard("saved")
        lines.extend(legend_lines(kinds, options.show_grads and bool(labeler.problems.grad_norm), False, False))
    return lines


def _attrs(kind: str) -> dict[str, str]:
    attrs = style.LOOKS[kind].attrs()
    attrs["class"] = kind if kind in ("vjp", "saved", "note") else f"tensor {kind}"
    return attrs


def _rule_rows(drawing: Drawing, op: int, out: int) -> list[Row]:
    """An op's backward rule: its name, its formula, and the gradient it receives (of its output `out`)."""
    nodes = drawing.graph.nodes
    fn = nodes[op].fn
    rows = [Row(f"{op_name(fn)} backward", bold=True)]
    formula = formula_of(type(fn))
    if formula:
        rows.append(Row(cut(formula, 70), small=True))
    shape = nodes[out].shape
    rows.append(Row(f"gets the gradient of its output, {fmt_shape_only(shape)}", small=True, italic=True))
    return rows


def _saved_rows(drawing: Drawing, op: int, target: int, what: str) -> list[Row]:
    """A tensor an op saved for its backward: which one, its shape, its values while they are kept."""
    node = drawing.graph.nodes[target]
    fn = drawing.graph.nodes[op].fn
    rows = [Row(f"saved {what}", italic=True, small=True)]
    if node.name:
        rows.append(Row(cut(node.name, 60), bold=True))
    rows.append(Row(fmt_shape(node.shape, node.dtype), small=True))
    if is_freed(fn):
        rows.append(Row("freed by backward", small=True, color="#969696"))
    elif node.value is not None and node.shape is not None and len(node.shape) < 3:
        a = np.asarray(node.value)
        if a.size <= SAVED_VALUES_UP_TO:
            rows.append(Row(cut(fmt_array(a), 80), small=True))
    return rows
