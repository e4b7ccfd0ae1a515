"""viz: graphviz pictures of computation graphs, interactive pages of them, and training plots.

`draw_graph(loss)` returns a `graphviz.Digraph` (shown inline in Jupyter);
`render(graph, "graph.svg")` writes it. Values and gradients together, micrograd
style, after a plain backward:

    viz.retain_grads(loss)              # optional: keep intermediate values and gradients too
    loss.backward()
    viz.render(viz.draw_graph(loss, model), "graph.svg")
    viz.to_html(loss, "graph.html", params=model)        # pan, zoom, click a node, search, expand
    viz.backprop_steps(loss, "steps.html", params=model)  # the backward walk, one node at a time

The plots (learning curves, gradient norms per layer, learning-rate schedules,
EWMA smoothing, decision boundaries) need matplotlib, imported only when a plot
is asked for.
"""

__distribution__ = "tinygrad-notes"  # checked by tinygrad_notes.distribution.import_ours

from viz.diagnose import diagnose, explain
from viz.draw import draw_graph
from viz.graph import GraphFreedError, retain_grads
from viz.html import to_html
from viz.plots import (
    ewma,
    grad_norms,
    plot_decision_boundary,
    plot_grad_norms,
    plot_learning_curves,
    plot_lr_schedule,
    plot_smoothed,
    save_figure,
)
from viz.render import GraphvizNotFoundError, GraphvizRenderError, render
from viz.steps import Step, backprop_steps

__all__ = [
    "draw_graph", "retain_grads", "render", "to_html", "backprop_steps", "Step", "GraphFreedError",
    "GraphvizNotFoundError", "GraphvizRenderError",
    "diagnose", "explain", "ewma", "grad_norms", "plot_learning_curves", "plot_grad_norms", "plot_lr_schedule",
    "plot_smoothed", "plot_decision_boundary", "save_figure",
]
