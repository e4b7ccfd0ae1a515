"""`to_html`: the graph picture as one interactive, offline HTML page.

Pan and zoom, click a node for a side panel (name, op and formula, shape and
dtype, a value summary with a small histogram, the gradient's summary and norm,
the line of user code that made it, its gradient-check row), search tensors by
name, and expand or collapse module clusters.

Expanding a cluster needs a new layout. The page carries it pre-rendered: every
level of module collapsing (modules cut at depth 1, 2, ..., then all expanded)
is laid out by `dot` when the page is written, and expanding or collapsing a
module switches to the level where it is drawn that way. We chose this over
embedding a JavaScript build of Graphviz (about 1.5 MB of WebAssembly from the
npm registry, vendored with its license) because the layouts are then exactly
the `dot` pictures `viz.render` writes (same version, deterministic), the page
stays small and needs no code we did not write, and each level still honours
`max_nodes`, so no layout can take minutes in the browser. The cost: the levels
are per depth, so expanding one module expands its siblings at that depth too.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

import graphviz

from viz.draw import Drawing, Options, make_scene, picture_of, scene_lines
from viz.graph import as_roots, describe
from viz.modules import module_titles
from viz.names import parameter_names
from viz.pages import page, svg_of, write_page
from viz.problems import Problems
from viz.summary import module_details, node_detail
from viz.view import MODULE

WHO = "to_html"


def to_html(root_or_graph: Any, path: str | os.PathLike, params: Any = None, *, report: Any = None,
            title: str | None = None, **draw_options: Any) -> Path:
    """Write the interactive page of a graph to `path` (one self-contained .html file) and return its path.

    `root_or_graph` is the tensor (or tensors) whose graph to draw, with `params`, `report` and
    draw_graph's options (`show_values`, `fold`, `max_nodes`, ...) as in `draw_graph`; or a picture
    `draw_graph` returned, whose options are reused (the page always draws the forward graph). Needs
    Graphviz's `dot` (each level of module collapsing is laid out once, here). Drawn inside
    `tinygrad_notes.record_sources()`, each node's panel shows the line of code that made it. The
    page needs no server and no network.
    """
    if isinstance(root_or_graph, graphviz.Digraph):
        drawing = getattr(root_or_graph, "viz_drawing", None)
        if drawing is None:
            raise TypeError(f"{WHO}: this graphviz graph was not drawn by viz.draw_graph, so its tensors are "
                            "unknown; pass the tensor instead: viz.to_html(loss, path, params=model)")
        if params is not None or report is not None or draw_options:
            raise TypeError(f"{WHO}: a picture from draw_graph brings its own params, report and options; pass "
                            "them to draw_graph, or give to_html the tensor instead")
    else:
        options = Options(**draw_options)
        options.check()
        roots = as_roots(root_or_graph, WHO)
        drawing = Drawing(describe(roots, parameter_names(params, WHO)), module_titles(params), report, options)
    levels, start = _levels(drawing)
    problems = Problems(drawing.graph, drawing.report)
    shown = {i for level in levels for unit in level["units"] if unit["kind"] != MODULE and len(unit["members"]) == 1
             for i in unit["members"]}
    nodes = [node_detail(drawing.graph, i, problems) if i in shown else
             {"kind": n.kind, "name": n.name, "hidden": True} for i, n in enumerate(drawing.graph.nodes)]
    data = {"levels": [{k: v for k, v in level.items() if k != "svg"} for level in levels], "start": start,
            "nodes": nodes, "modules": module_details(drawing.graph, drawing.titles, problems)}
    name = title or _default_title(drawing)
    return write_page(path, page(name, _body(name, levels), data, ["panzoom.js", "graph.js"]), WHO)


def _levels(drawing: Drawing) -> tuple[list[dict[str, Any]], int]:
    """Each distinct level of module collapsing, laid out: (levels, the index of the one shown first)."""
    scopes = {n.scope for n in drawing.graph.nodes if n.scope is not None}
    deepest = max((s.count(".") + 1 for s in scopes), default=0)
    wanted = drawing.options.collapse
    first = deepest if wanted is True else min(wanted, deepest) if wanted is not False else False
    levels: list[dict[str, Any]] = []
    seen: dict[tuple, int] = {}
    start = 0
    for collapse in [*range(1, deepest + 1), False]:
        k = len(levels)
        scene = make_scene(drawing, collapse, ids=f"L{k}")
        partition = tuple(tuple(u.members) for u in scene.view.units)
        if partition in seen:
            if collapse == first:
                start = seen[partition]
            continue
        seen[partition] = k
        if collapse == first:
            start = k
        lines = scene_lines(scene)
        source = picture_of(lines, drawing.options.rankdir).source
        units = [{"kind": u.kind, "members": u.members, "scope": u.scope, "title": u.title,
                  "rows": [] if u.single else [row.text for row in scene.labeler.rows(u)]}
                 for u in scene.view.units]
        levels.append({
            "name": "all expanded" if collapse is False else f"modules collapsed at depth {collapse}",
            "svg": svg_of(source, f"L{k}", WHO),
            "units": units,
            "unit_of": scene.view.unit_of,
            "collapsed": {u.title: j for j, u in enumerate(scene.view.units) if u.kind == MODULE},
            "clusters": {scope: f"L{k}{name}" for name, scope in scene.clusters.items()},
        })
    return levels, start


def _default_title(drawing: Drawing) -> str:
    names = [drawing.graph.nodes[r].name for r in drawing.graph.roots]
    return "graph of " + ", ".join(n or "output" for n in names)


def _body(title: str, levels: list[dict[str, Any]]) -> str:
    svgs = "\n".join(f'<div class="level" id="level{k}" hidden>{level["svg"]}</div>' for k, level in enumerate(levels))
    buttons = "".join(f'<button type="button" class="level-button" data-level="{k}">{html.escape(level["name"])}'
                      "</button>" for k, level in enumerate(levels))
    return f"""<header>
<h1>{html.escape(title)}</h1>
<input id="search" type="search" placeholder="search a tensor or module by name" autocomplete="off">
<span class="levels">{buttons if len(levels) > 1 else ""}</span>
<button type="button" id="fit">fit</button>
<span class="hint">drag to pan, wheel to zoom, click a node; click a cluster's title to collapse it</span>
</header>
<main>
<div id="canvas">{svgs}</div>
<aside id="panel"><div id="results"></div><div id="details"><p class="muted">Click a node to see its values,
gradient and where it was made.</p></div></aside>
</main>"""
