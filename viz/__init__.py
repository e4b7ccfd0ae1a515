"""viz: graphviz pictures of computation graphs, and training plots.

`draw_graph(loss)` returns a `graphviz.Digraph` (shown inline in Jupyter);
`render(graph, "graph.svg")` writes it. Values and gradients together, micrograd
style:

    viz.retain_grads(loss)              # keep the gradients of intermediate tensors too
    loss.backward(retain_graph=True)    # keep the graph, so it can still be drawn
    viz.render(viz.draw_graph(loss, model), "graph.svg")

The plots (learning curves, gradient norms per layer, learning-rate schedules,
EWMA smoothing, decision boundaries) need matplotlib, imported only when a plot
is asked for.
"""

__distribution__ = "tinygrad-notes"  # checked by tinygrad_notes.distribution.import_ours

from viz.diagnose import diagnose, explain
from viz.draw import draw_graph
from viz.graph import GraphFreedError, retain_grads
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

__all__ = [
    "draw_graph", "retain_grads", "render", "GraphFreedError", "GraphvizNotFoundError", "GraphvizRenderError",
    "diagnose", "explain", "ewma", "grad_norms", "plot_learning_curves", "plot_grad_norms", "plot_lr_schedule",
    "plot_smoothed", "plot_decision_boundary", "save_figure",
]
