"""`draw_graph`: the picture of the graph behind some tensors, as a `graphviz.Digraph`.

The steps, one file each: walk the graph (graph.py), decide what is visible
(view.py: module clusters, collapsing past `max_nodes`), find what is wrong
(problems.py), write the labels (labels.py) and the DOT text (dot.py, legend.py).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import graphviz

from tinygrad_notes.function import op_name
from viz import dot, style
from viz.graph import OP, as_roots, walk
from viz.labels import Labeler
from viz.legend import legend_lines
from viz.names import parameter_names
from viz.problems import Problems
from viz.view import NOTE, Unit, View, build_view

RANKDIRS = ("LR", "TB", "RL", "BT")
ORDERLESS_OPS = {"add", "mul", "maximum", "minimum"}  # no need to number their inputs (nor those of ops with
# more than three, where the numbers would only clutter)
DEFAULT_MAX_NODES = 200


def draw_graph(root: Any, params: Any = None, *, show_values: Any = "auto", show_grads: bool = True,
               rankdir: str = "LR", group_modules: bool = True, collapse: bool | int = False,
               max_nodes: int | None = DEFAULT_MAX_NODES, report: Any = None, legend: bool = True) -> graphviz.Digraph:
    """Draw the computation graph that produced `root` (a Tensor or several) as a graphviz.Digraph.

    - params: names for parameters: a {name: Tensor} dict, a model with named_parameters(), or
      (name, Tensor) pairs; other tensors show their `Tensor.name`.
    - show_values: "auto" prints the values of tensors with at most 4 elements (micrograd style), True up
      to 16 and a mean/min/max summary beyond, an int sets the limit, False prints none.
    - show_grads: print gradients (values when small, else the norm), coloured by norm on a log scale.
      Intermediate tensors have gradients only after `viz.retain_grads(root)` and
      `backward(retain_graph=True)`.
    - group_modules: draw ops recorded under `name_scope` (nn modules) in clusters titled with the name.
    - collapse: True draws each module as one node; an int cuts dotted names at that depth first.
    - max_nodes: past this many nodes the picture collapses modules, then folds the middle of long chains,
      then leaves out what is farthest from the output, and says so in a note (None: draw everything).
    - report: a gradient-check report (with .entries of .name, .passed, .rel_error); failed parameters and
      the ops that consume them are marked in red.

    Show it in Jupyter by leaving it as a cell's value; save it with `viz.render(graph, "graph.svg")`.
    """
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw_graph: rankdir must be one of {', '.join(RANKDIRS)}; got {rankdir!r}")
    roots = as_roots(root)
    graph = walk(roots, parameter_names(params))
    view = build_view(graph, collapse, max_nodes)
    problems = Problems(graph, report)
    if problems.unmatched and not any(u.kind == NOTE for u in view.units):
        view.units.append(Unit(NOTE, [], None))
    labeler = Labeler(view, problems, show_values, show_grads)
    lines = body_lines(view, labeler, group_modules)
    if legend:
        kinds = {u.kind for u in view.units if u.kind != NOTE}
        grads = show_grads and bool(problems.grad_norm)
        bad = bool(problems.bad_data or problems.bad_grad)
        failed = any(not e.passed for e in problems.check.values())
        lines.extend(legend_lines(kinds, grads, bad, failed))
    return graphviz.Digraph(
        graph_attr={"rankdir": rankdir, "fontname": style.FONT, "fontsize": "11", "nodesep": "0.2",
                    "ranksep": "0.3"},
        node_attr={"fontname": style.FONT, "fontsize": "10", "margin": "0.06,0.03", "height": "0.3"},
        edge_attr={"fontname": style.FONT, "fontsize": "8", "color": "#555555", "arrowsize": "0.6"},
        body=lines,
    )


def node_attrs(unit: Unit, labeler: Labeler) -> dict[str, str]:
    """Shape and colours of one unit: its kind's look, overridden in red where something is wrong."""
    attrs = style.LOOKS[unit.kind].attrs()
    classes = [unit.kind] if unit.kind in (OP, "module", "fold", NOTE) else ["tensor", unit.kind]
    if labeler.has_nonfinite(unit):
        attrs.update(fillcolor=style.PROBLEM_FILL, color=style.PROBLEM_COLOR, penwidth="2")
        classes.append("nonfinite")
    if any(i in labeler.problems.nan_origin for i in unit.members):
        attrs.update(fillcolor=style.PROBLEM_FILL, color=style.PROBLEM_COLOR, penwidth="2")
        classes.append("nan-origin")
    check = labeler.check_state(unit)
    if check == "failed" or any(i in labeler.problems.failed_input for i in unit.members):
        attrs.update(color=style.PROBLEM_COLOR, penwidth="3")
        classes.append("gradcheck-failed")
    elif check == "passed":
        classes.append("gradcheck-passed")
    attrs["class"] = " ".join(classes)
    return attrs


def body_lines(view: View, labeler: Labeler, group_modules: bool) -> list[str]:
    """Node statements (nested in clusters per module when asked) followed by edge statements."""
    by_scope: dict[str | None, list[int]] = defaultdict(list)
    for u, unit in enumerate(view.units):
        by_scope[unit.scope if group_modules else None].append(u)
    children: dict[str | None, list[str]] = defaultdict(list)
    scopes = sorted({prefix for s in by_scope if s is not None for prefix in _prefixes(s)})
    for s in scopes:
        children[_parent(s)].append(s)
    lines: list[str] = []
    # Iterative nesting: ("nodes", scope) writes a scope's own nodes, ("open"/"close", scope) its cluster.
    stack: list[tuple[str, str | None, int]] = [("open", s, 1) for s in reversed(children[None])]
    stack.append(("nodes", None, 1))
    cluster_ids: dict[str, str] = {}
    while stack:
        action, scope, depth = stack.pop()
        indent = "\t" * depth
        if action == "nodes":
            for u in by_scope.get(scope, ()):
                unit = view.units[u]
                lines.append(dot.node(f"n{u}", labeler.rows(unit), node_attrs(unit, labeler), indent=indent))
        elif action == "open":
            cluster_ids[scope] = f"cluster_{len(cluster_ids)}"
            lines.append(dot.cluster_open(cluster_ids[scope], scope, {
                "style": "rounded,dashed", "color": "#9e9ac8", "fontcolor": "#54278f", "labeljust": "l",
                "class": "module-cluster"}, indent=indent))
            stack.append(("close", scope, depth))
            for child in reversed(children[scope]):
                stack.append(("open", child, depth + 1))
            stack.append(("nodes", scope, depth + 1))
        else:
            lines.append(dot.cluster_close(indent=indent))
    lines.extend(edge_lines(view, labeler))
    return lines


def edge_lines(view: View, labeler: Labeler) -> list[str]:
    units, nodes = view.units, view.graph.nodes
    lines = []
    for a, b, pos in view.edges:
        attrs: dict[str, str] = {}
        target = units[b]
        if pos >= 0 and target.kind == OP:
            op = nodes[target.members[0]]
            if 1 < len(op.obj.inputs) <= 3 and op_name(op.obj) not in ORDERLESS_OPS:
                attrs["headlabel"] = str(pos)
        if units[a].kind == NOTE:
            attrs["style"] = "dashed"
        elif labeler.check_state(units[a]) == "failed":
            attrs["color"] = style.PROBLEM_COLOR
        lines.append(dot.edge(f"n{a}", f"n{b}", attrs))
    return lines


def _prefixes(scope: str) -> list[str]:
    parts = scope.split(".")
    return [".".join(parts[: k + 1]) for k in range(len(parts))]


def _parent(scope: str) -> str | None:
    head, dot_, _ = scope.rpartition(".")
    return head if dot_ else None
