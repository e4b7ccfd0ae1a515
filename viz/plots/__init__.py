"""Training plots with matplotlib (an optional extra): matplotlib is imported only when a plot is made.

Each plot returns a matplotlib Figure drawn with the Agg backend (no display
needed; Jupyter shows it as a cell's value) and saves it when given `path=`.
"""

from viz.plots.boundary import plot_decision_boundary
from viz.plots.curves import plot_learning_curves
from viz.plots.figure import save_figure
from viz.plots.gradients import grad_norms, plot_grad_norms
from viz.plots.schedule import plot_lr_schedule
from viz.plots.smoothing import ewma, plot_smoothed

__all__ = [
    "plot_learning_curves", "plot_grad_norms", "grad_norms", "plot_lr_schedule", "ewma", "plot_smoothed",
    "plot_decision_boundary", "save_figure",
]
