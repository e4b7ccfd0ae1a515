"""A raw curve beside its exponentially weighted average (the notes' v_t = β v_{t-1} + (1 - β) θ_t)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from viz.plots.figure import finish, legend_outside, new_figure, series


def ewma(values: Any, beta: float = 0.9, bias_correction: bool = True) -> np.ndarray:
    """v_t = β v_{t-1} + (1 - β) θ_t from v_0 = 0, an average over about 1/(1 - β) values; with
    bias_correction, v_t / (1 - β^t) so the first steps are not pulled towards 0."""
    if not 0.0 <= beta < 1.0:
        raise ValueError(f"ewma: beta must be in [0, 1) (0.9 averages about 10 values); got {beta!r}")
    theta = series(values, "values", "ewma")
    out = np.empty_like(theta)
    v = 0.0
    for t, x in enumerate(theta, start=1):
        v = beta * v + (1.0 - beta) * x
        out[t - 1] = v / (1.0 - beta**t) if bias_correction else v
    return out


def plot_smoothed(values: Any, beta: float = 0.9, *, smoothed: Any = None, bias_correction: bool = True,
                  label: str = "cost", xlabel: str = "iteration", path: str | os.PathLike | None = None) -> Any:
    """The raw series (thin) and its EWMA (bold); pass `smoothed` to draw a series smoothed elsewhere
    (e.g. by optim.EWMA) instead of computing it here."""
    raw = series(values, "values", "plot_smoothed")
    smooth = ewma(raw, beta, bias_correction) if smoothed is None else series(smoothed, "smoothed", "plot_smoothed")
    if len(smooth) != len(raw):
        raise ValueError(f"plot_smoothed: smoothed has {len(smooth)} values but values has {len(raw)}")
    fig, (ax,) = new_figure()
    steps = np.arange(1, len(raw) + 1)
    ax.plot(steps, raw, color="#9ecae1", linewidth=0.8, label=f"{label} (raw)")
    what = f"EWMA β={beta}" + (", bias-corrected" if bias_correction else "") if smoothed is None else "smoothed"
    ax.plot(steps, smooth, color="#08519c", linewidth=2.0, label=f"{label} ({what})")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(label)
    ax.set_title(f"{label}: raw and smoothed")
    legend_outside(fig, ax)
    return finish(fig, path)
