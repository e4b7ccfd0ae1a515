"""The decision boundary of a classifier on 2-D data: its prediction over a grid, with the points on top."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_notes import no_grad
from viz.plots.figure import finish, new_figure


def _labels(out: Any, n: int, where: str) -> np.ndarray:
    """Class labels from predictions: argmax of (n, C) scores, 0.5 threshold of (n,) or (n, 1) probabilities."""
    a = np.asarray(out)
    if a.ndim == 2 and a.shape[1] > 1:
        return a.argmax(axis=1)
    a = a.reshape(-1)
    if a.size != n:
        raise ValueError(f"{where}: predict returned {a.size} values for {n} points; return one label, "
                         "probability or row of class scores per point")
    if a.dtype.kind == "f" and not np.all(a == np.round(a)):
        return (a > 0.5).astype(np.int64)
    return a.astype(np.int64)


def plot_decision_boundary(predict: Callable[[np.ndarray], Any], X: Any, y: Any, *, resolution: int = 200,
                           margin: float = 0.5, title: str = "decision boundary",
                           path: str | os.PathLike | None = None) -> Any:
    """Colour the plane by `predict(points)` (points: an (m, 2) float array; it may return labels,
    probabilities or class scores, numpy or Tensor) and scatter X coloured by y.

    `predict` runs under `no_grad()` (no graph is recorded for the grid); put a model with dropout
    or batch norm in eval mode first."""
    where = "plot_decision_boundary"
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"{where}: X must have shape (n, 2) for 2-D data; got {X.shape}")
    y = np.asarray(y)
    y = y.argmax(axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(-1)
    if len(y) != len(X):
        raise ValueError(f"{where}: y has {len(y)} labels for {len(X)} points")
    y = (y > 0.5).astype(np.int64) if y.dtype.kind == "f" and not np.all(y == np.round(y)) else y.astype(np.int64)
    (x0, y0), (x1, y1) = X.min(axis=0) - margin, X.max(axis=0) + margin
    gx, gy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    with no_grad():
        Z = _labels(predict(grid.astype(np.float32)), len(grid), where).reshape(gx.shape)
    classes = np.union1d(np.unique(Z), np.unique(y))
    fig, (ax,) = new_figure(figsize=(5.5, 4.8))
    levels = np.concatenate([classes - 0.5, [classes[-1] + 0.5]])
    ax.contourf(gx, gy, Z, levels=levels, cmap="coolwarm" if len(classes) <= 2 else "tab10", alpha=0.35)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm" if len(classes) <= 2 else "tab10", vmin=classes[0],
               vmax=classes[-1], edgecolors="k", linewidths=0.4, s=18)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title(title)
    return finish(fig, path)
