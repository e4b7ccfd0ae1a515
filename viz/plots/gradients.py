"""Gradient norm per layer (and per epoch): where gradients vanish or explode, on a log scale."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tinygrad_notes import Tensor
from viz import style
from viz.names import parameter_names
from viz.plots.figure import finish, legend_outside, new_figure
from viz.problems import norm

ZERO_MARKER = {"linestyle": "none", "marker": "v", "markersize": 8, "markeredgecolor": "#333333", "clip_on": False,
               "zorder": 3}  # how a norm of exactly 0 is drawn on the symmetric-log axis


def grad_norms(params: Any) -> dict[str, float]:
    """{name: ||grad||_2} for named parameters (a dict, a model with named_parameters(), or pairs); call it
    after each backward to build the history `plot_grad_norms` draws. A parameter without a gradient is NaN."""
    out = {}
    for name, tensor in parameter_names(params, "grad_norms").values():
        g = tensor.grad
        out[name] = float("nan") if g is None else norm(g.numpy() if isinstance(g, Tensor) else g)
    return out


def _as_table(history: Any) -> tuple[list[str], np.ndarray]:
    """(layer names, array [epoch, layer]) from a list of per-epoch dicts or a dict of per-layer sequences."""
    if isinstance(history, Mapping):
        names = list(history)
        columns = [np.asarray(history[k], dtype=np.float64).reshape(-1) for k in names]
        lengths = {len(c) for c in columns}
        if len(lengths) > 1:
            raise ValueError(f"plot_grad_norms: every layer needs one norm per epoch; got lengths {sorted(lengths)}")
        table = np.stack(columns, axis=1) if columns else np.zeros((0, 0))
    elif isinstance(history, Sequence) and history and all(isinstance(h, Mapping) for h in history):
        names = list(history[0])
        for e, h in enumerate(history):
            if list(h) != names:
                raise ValueError(f"plot_grad_norms: epoch {e} has layers {list(h)} but epoch 0 has {names}")
        table = np.array([[float(h[k]) for k in names] for h in history], dtype=np.float64)
    else:
        raise TypeError("plot_grad_norms: history must be a list of {layer: norm} dicts (one per epoch, e.g. "
                        f"from viz.grad_norms) or a {{layer: [norm per epoch]}} dict; got {type(history).__name__}")
    if table.size == 0:
        raise ValueError("plot_grad_norms: history is empty")
    return names, table


def plot_grad_norms(history: Any, *, path: str | os.PathLike | None = None) -> Any:
    """Left: each layer's gradient norm at the last epoch, coloured like the graph pictures; right (with more
    than one epoch): each layer's norm per epoch. Log scale, with the vanishing and exploding bands shaded.

    A norm of exactly 0 (a dead layer, the extreme of vanishing) has no place on a log scale: when there is
    one, the axis becomes symmetric-log, linear in one decade below the smallest positive norm, so 0 gets a
    tick labelled "0" at the bottom and the zero norms are drawn there (a marker on each zero bar)."""
    names, table = _as_table(history)
    epochs = table.shape[0]
    fig, axes = new_figure(ncols=2 if epochs > 1 else 1, figsize=(10.0, 4.2) if epochs > 1 else (7.0, 4.2))
    last = table[-1]
    positive = table[np.isfinite(table) & (table > 0)]
    lo, hi = (positive.min() / 10, positive.max() * 10) if positive.size else (1e-6, 10.0)
    has_zero = bool(np.any(table == 0))
    bars = axes[0].bar(range(len(names)), np.where(np.isfinite(last), last, 0.0),
                       color=[style.grad_color(v) for v in np.where(np.isnan(last), 0.0, last)], edgecolor="#333333")
    for bar, value in zip(bars, last):
        if not np.isfinite(value):
            bar.set_edgecolor(style.PROBLEM_COLOR)
    zeros = np.flatnonzero(last == 0)
    if zeros.size:  # a zero bar has no height: mark it where 0 is, and say so
        axes[0].plot(zeros, np.zeros(zeros.size), **ZERO_MARKER, color=style.grad_color(0.0))
        for x in zeros:
            axes[0].annotate("0", (x, 0.0), xytext=(0, 8), textcoords="offset points", ha="center",
                             fontsize="small")
    axes[0].set_xticks(range(len(names)), names, rotation=45 if len(names) > 4 else 0, ha="right",
                       fontsize="small")
    axes[0].set_title(f"gradient norm per layer (epoch {epochs})")
    for ax in axes:
        if has_zero:
            floor = 10.0 ** np.floor(np.log10(lo))  # a whole decade, so the log ticks above 0 stay round
            ax.set_yscale("symlog", linthresh=floor, linscale=0.5)
            ax.set_ylim(0.0, hi)
            lo = floor
        else:
            ax.set_yscale("log")
            ax.set_ylim(lo, hi)
        if lo < style.VANISHING_BELOW:
            ax.axhspan(0.0 if has_zero else lo, style.VANISHING_BELOW, color="#6baed6", alpha=0.15,
                       label="vanishing")
        if hi > style.EXPLODING_ABOVE:
            ax.axhspan(style.EXPLODING_ABOVE, hi, color="#fdae6b", alpha=0.2, label="exploding")
        ax.set_ylabel("||grad||")
    if epochs > 1:
        ax = axes[1]
        for k, name in enumerate(names):
            (line,) = ax.plot(np.arange(1, epochs + 1), np.where(table[:, k] >= 0, table[:, k], np.nan), label=name)
            zero_epochs = np.flatnonzero(table[:, k] == 0) + 1
            if zero_epochs.size:  # on the bottom edge a line is hard to see: mark its zeros (a dozen at most)
                shown = zero_epochs[np.unique(np.linspace(0, zero_epochs.size - 1, 12).astype(int))]
                ax.plot(shown, np.zeros(shown.size), **ZERO_MARKER, color=line.get_color())
        from matplotlib.ticker import MaxNLocator  # (matplotlib is imported only once a plot is made)

        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))  # room for 5-digit epochs
        ax.set_xlabel("epoch")
        ax.set_title("gradient norm per epoch")
        legend_outside(fig, ax, where="right upper", fontsize="x-small")
    return finish(fig, path)
