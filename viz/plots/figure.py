"""A matplotlib Figure on the Agg canvas (no display, no pyplot state) that Jupyter shows, and atomic saving."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from viz.render import write_atomic

SAVE_FORMATS = ("png", "svg", "pdf")
_figure_class: Any = None


def matplotlib() -> Any:
    """Import matplotlib, or say how to get it."""
    try:
        import matplotlib as mpl
    except ImportError:
        raise ImportError("viz plots need matplotlib: pip install matplotlib "
                          "(or pip install 'tinygrad-notes[plots]')") from None
    return mpl


def new_figure(ncols: int = 1, figsize: tuple[float, float] = (7.0, 4.2)) -> tuple[Any, list[Any]]:
    """A Figure with `ncols` axes side by side, drawn by Agg: it needs no display and leaves pyplot alone."""
    global _figure_class
    matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if _figure_class is None:
        class NotebookFigure(Figure):
            """A Figure that Jupyter displays as PNG without pyplot."""

            def _repr_png_(self) -> bytes:
                buf = io.BytesIO()
                self.savefig(buf, format="png", bbox_inches="tight")
                return buf.getvalue()

        _figure_class = NotebookFigure
    fig = _figure_class(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    axes = [fig.add_subplot(1, ncols, k + 1) for k in range(ncols)]
    return fig, axes


def save_figure(fig: Any, path: str | os.PathLike, format: str | None = None, dpi: int = 120) -> Path:
    """Save a Figure as png, svg or pdf (from the suffix unless `format` is given), never half-written."""
    path = Path(path)
    fmt = (format or path.suffix.lstrip(".") or "png").lower()
    if fmt not in SAVE_FORMATS:
        raise ValueError(f"save_figure: format must be one of {', '.join(SAVE_FORMATS)}; got {fmt!r}")
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=dpi)
    write_atomic(path, buf.getvalue())
    return path


def legend_outside(fig: Any, axes: Any, where: str = "upper center", fontsize: str = "small") -> Any:
    """One legend for the curves of `axes` (an Axes or several, e.g. a plot and its twin), placed outside every
    axes by the layout engine ("upper center": above them, "right upper": beside them), so it never covers data.
    Returns the Legend, or None when nothing has a label."""
    handles: list[Any] = []
    labels: list[str] = []
    for ax in axes if isinstance(axes, (list, tuple)) else [axes]:
        more_handles, more_labels = ax.get_legend_handles_labels()
        handles += more_handles
        labels += more_labels
    if not handles:
        return None
    ncols = min(len(handles), 4) if where.endswith("center") else 1 + len(handles) // 16
    return fig.legend(handles, labels, loc=f"outside {where}", ncols=ncols, fontsize=fontsize)


def finish(fig: Any, path: str | os.PathLike | None) -> Any:
    """Save the figure when a path was given; return it."""
    if path is not None:
        save_figure(fig, path)
    return fig


def series(values: Any, what: str, where: str) -> Any:
    """A 1-D float array from a list, array or Tensor of numbers."""
    import numpy as np

    a = np.asarray(values, dtype=np.float64)
    if a.ndim != 1 or a.size == 0:
        raise ValueError(f"{where}: {what} must be a non-empty 1-D sequence of numbers; got shape {a.shape}")
    return a
