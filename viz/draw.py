"""`draw_graph`: the picture of the graph behind some tensors, as a `graphviz.Digraph`.

The steps, one file each: describe the graph (graph.py, through the engine's
walk), decide what is visible (view.py: repeated blocks folded, module clusters,
collapsing past `max_nodes`), find what is wrong (problems.py), write the labels
(labels.py) and the DOT text (dot.py, legend.py). `view="backward"` draws the
backward graph instead (backward_view.py).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import graphviz

from viz import dot, style
from viz.graph import OP, ComputationGraph, as_roots, describe
from viz.labels import Labeler, values_limit
from viz.legend import legend_lines
from viz.modules import cluster_title, module_titles
from viz.names import parameter_names
from viz.problems import Problems
from viz.view import NOTE, REPEAT, Unit, View, build_view

RANKDIRS = ("LR", "TB", "RL", "BT")
VIEWS = ("forward", "backward")
DEFAULT_MAX_NODES = 200
GROUP_KINDS = (OP, "module", "fold", NOTE, REPEAT)  # units whose class is their kind alone (not "tensor KIND")


@dataclass
class Options:
    """How to draw: draw_graph's keyword arguments, checked."""

    show_values: Any = "auto"
    show_grads: bool = True
    rankdir: str = "LR"
    group_modules: bool = True
    collapse: bool | int = False
    max_nodes: int | None = DEFAULT_MAX_NODES
    legend: bool = True
    fold: bool = True
    view: str = "forward"

    def check(self) -> None:
        if self.rankdir not in RANKDIRS:
            raise ValueError(f"draw_graph: rankdir must be one of {', '.join(RANKDIRS)}; got {self.rankdir!r}")
        if self.view not in VIEWS:
            raise ValueError(f"draw_graph: view must be one of {', '.join(VIEWS)}; got {self.view!r}")
        values_limit(self.show_values)  # raises for a bad value


@dataclass
class Drawing:
    """What a picture was drawn from: the graph, the module titles, the gradient-check report, the options."""

    graph: ComputationGraph
    titles: dict[str, str]
    report: Any
    options: Options


@dataclass
class Scene:
    """One forward picture, ready to write: the units shown, their labels, and ids for an HTML page."""

    drawing: Drawing
    view: View
    labeler: Labeler
    ids: str | None = None  # for a page: SVG ids are ids + "u" + unit number, and ids + the cluster's name
    clusters: dict[str, str] = field(default_factory=dict)  # cluster name -> module scope


def draw_graph(root: Any, params: Any = None, *, show_values: Any = "auto", show_grads: bool = True,
               rankdir: str = "LR", group_modules: bool = True, collapse: bool | int = False,
               max_nodes: int | None = DEFAULT_MAX_NODES, report: Any = None, legend: bool = True,
               fold: bool = True, view: str = "forward") -> graphviz.Digraph:
    """Draw the computation graph that produced `root` (a Tensor or several) as a graphviz.Digraph.

    Works before and after `backward()`: after a plain backward it shows the leaves' values and
    gradients, the output's value and every intermediate's shape; intermediate values and
    gradients too when `viz.retain_grads(root)` ran before the backward (or retain_graph=True).

    - params: names for parameters: a {name: Tensor} dict, a model with named_parameters(), or
      (name, Tensor) pairs; other tensors show their `Tensor.name`. A model's clusters are titled
      with each module's class and sizes (`0: Linear(64→128)`).
    - show_values: "auto" prints the values of tensors with at most 4 elements (micrograd style), True up
      to 16 and a mean/min/max summary beyond, an int sets the limit, False prints none.
    - show_grads: print gradients (values when small, else the norm), coloured by norm on a log scale.
    - group_modules: draw ops recorded under `name_scope` (nn modules) in clusters titled with the name.
    - collapse: True draws each module as one node; an int cuts dotted names at that depth first.
    - fold: draw each run of repeated blocks (identical sibling modules, a repeated op pattern in a
      chain) as one `×N` box with its shapes in and out; False draws every block.
    - max_nodes: past this many nodes the picture collapses modules, then folds the middle of long chains,
      then leaves out what is farthest from the output, and says so in a note (None: draw everything).
    - report: a gradient-check report (with .entries of .name, .passed, .rel_error); failed parameters and
      the ops that consume them are marked in red.
    - view: "forward" (the default), or "backward": one node per vector-Jacobian product, with the
      tensors each op saved for it as dotted nodes (torchviz's picture).

    Show it in Jupyter by leaving it as a cell's value; save it with `viz.render(graph, "graph.svg")`,
    or as an interactive page with `viz.to_html(graph, "graph.html")`: the Digraph keeps what it was drawn
    from as `graph.viz_drawing` for that.
    """
    options = Options(show_values, show_grads, rankdir, group_modules, collapse, max_nodes, legend, fold, view)
    options.check()
    roots = as_roots(root)
    drawing = Drawing(describe(roots, parameter_names(params)), module_titles(params), report, options)
    if view == "backward":
        from viz.backward_view import backward_lines

        lines = backward_lines(drawing)
    else:
        lines = scene_lines(make_scene(drawing))
    return picture_of(lines, options.rankdir, drawing)


def make_scene(drawing: Drawing, collapse: bool | int | None = None, ids: str | None = None) -> Scene:
    """The units, labels and problems of one forward picture (`collapse` overrides the drawing's own)."""
    o = drawing.options
    view = build_view(drawing.graph, o.collapse if collapse is None else collapse, o.max_nodes, o.fold,
                      drawing.titles)
    problems = Problems(drawing.graph, drawing.report)
    if problems.unmatched and not any(u.kind == NOTE for u in view.units):
        view.units.append(Unit(NOTE, [], None))
    return Scene(drawing, view, Labeler(view, problems, o.show_values, o.show_grads, drawing.titles), ids)


def scene_lines(scene: Scene) -> list[str]:
    """The DOT body of a forward picture: nodes in their clusters, edges, the legend."""
    o = scene.drawing.options
    lines = body_lines(scene, o.group_modules)
    if o.legend:
        view, problems = scene.view, scene.labeler.problems
        kinds = {u.kind for u in view.units if u.kind != NOTE}
        grads = o.show_grads and bool(problems.grad_norm)
        bad = bool(problems.bad_data or problems.bad_grad)
        failed = any(not e.passed for e in problems.check.values())
        lines.extend(legend_lines(kinds, grads, bad, failed))
    return lines


def picture_of(lines: list[str], rankdir: str, drawing: Drawing | None = None) -> graphviz.Digraph:
    """The graphviz.Digraph of some DOT body lines, with the pictures' fonts and spacing; it keeps `drawing`
    (what it was drawn from) as `.viz_drawing`, for `viz.to_html`."""
    picture = graphviz.Digraph(
        graph_attr={"rankdir": rankdir, "fontname": style.FONT, "fontsize": "11", "nodesep": "0.2",
                    "ranksep": "0.3"},
        node_attr={"fontname": style.FONT, "fontsize": "10", "margin": "0.06,0.03", "height": "0.3"},
        edge_attr={"fontname": style.FONT, "fontsize": "8", "color": "#555555", "arrowsize": "0.6"},
        body=lines,
    )
    picture.viz_drawing = drawing
    return picture


def node_attrs(unit: Unit, labeler: Labeler) -> dict[str, str]:
    """Shape and colours of one unit: its kind's look, overridden in red where something is wrong."""
    attrs = style.LOOKS[unit.kind].attrs()
    classes = [unit.kind] if unit.kind in GROUP_KINDS else ["tensor", unit.kind]
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


def body_lines(scene: Scene, group_modules: bool) -> list[str]:
    """Node statements (nested in clusters per module when asked) followed by edge statements."""
    view, labeler, ids = scene.view, scene.labeler, scene.ids
    titles = scene.drawing.titles
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
    while stack:
        action, scope, depth = stack.pop()
        indent = "\t" * depth
        if action == "nodes":
            for u in by_scope.get(scope, ()):
                unit = view.units[u]
                attrs = node_attrs(unit, labeler)
                if ids is not None:
                    attrs["id"] = f"{ids}u{u}"
                lines.append(dot.node(f"n{u}", labeler.rows(unit), attrs, indent=indent))
        elif action == "open":
            cluster_id = f"cluster_{len(scene.clusters)}"
            scene.clusters[cluster_id] = scope
            attrs = {"style": "rounded,dashed", "color": "#9e9ac8", "fontcolor": "#54278f", "labeljust": "l",
                     "class": "module-cluster"}
            if ids is not None:
                attrs["id"] = f"{ids}{cluster_id}"
            lines.append(dot.cluster_open(cluster_id, cluster_title(scope, titles), attrs, indent=indent))
            stack.append(("close", scope, depth))
            for child in reversed(children[scope]):
                stack.append(("open", child, depth + 1))
            stack.append(("nodes", scope, depth + 1))
        else:
            lines.append(dot.cluster_close(indent=indent))
    lines.extend(edge_lines(view, labeler))
    return lines


def edge_lines(view: View, labeler: Labeler) -> list[str]:
    """Edges between units; an op whose input order matters (not commutative, 2 or 3 inputs) numbers them."""
    units, nodes = view.units, view.graph.nodes
    n_inputs = Counter(dst for _, dst, pos in view.graph.edges if pos >= 0)
    lines = []
    for a, b, pos in view.edges:
        attrs: dict[str, str] = {}
        target = units[b]
        if pos >= 0 and target.kind == OP:
            i = target.members[0]
            if 1 < n_inputs[i] <= 3 and not type(nodes[i].fn).commutative:
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
