"""Learning curves: train and dev cost (and accuracy) per epoch on one chart, with the bias/variance reading."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from viz.diagnose import explain
from viz.plots.figure import finish, legend_outside, new_figure, series


def plot_learning_curves(train_cost: Any, dev_cost: Any = None, *, train_accuracy: Any = None,
                         dev_accuracy: Any = None, base_error: float = 0.0, xlabel: str = "epoch",
                         title: str = "learning curves", path: str | os.PathLike | None = None) -> Any:
    """Cost per epoch (left axis) and accuracy (right axis, when given) for train and dev, on one chart.

    With both accuracies, the last epoch's errors (1 - accuracy) are read as the
    notes do (`viz.explain`): the text is written under the chart and kept as
    `fig.diagnosis`. Returns the Figure (saved to `path` when given).
    """
    where = "plot_learning_curves"
    curves = {"train cost": series(train_cost, "train_cost", where)}
    if dev_cost is not None:
        curves["dev cost"] = series(dev_cost, "dev_cost", where)
    accuracies = {}
    if train_accuracy is not None:
        accuracies["train accuracy"] = series(train_accuracy, "train_accuracy", where)
    if dev_accuracy is not None:
        accuracies["dev accuracy"] = series(dev_accuracy, "dev_accuracy", where)
    n = len(curves["train cost"])
    for name, values in {**curves, **accuracies}.items():
        if len(values) != n:
            raise ValueError(f"{where}: {name} has {len(values)} values but train cost has {n}; give one per epoch")
    fig, (ax,) = new_figure()
    epochs = np.arange(1, n + 1)
    colours = {"train": "#2171b5", "dev": "#cb181d"}
    for name, values in curves.items():
        ax.plot(epochs, values, color=colours[name.split()[0]], label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("cost")
    ax.set_title(title)
    axes = [ax]
    if accuracies:
        acc_ax = ax.twinx()
        for name, values in accuracies.items():
            acc_ax.plot(epochs, values, color=colours[name.split()[0]], linestyle="--", label=name)
        acc_ax.set_ylabel("accuracy")
        axes.append(acc_ax)
    legend_outside(fig, axes)  # one legend for both axes, above them: the twin axis can no longer draw over it
    fig.diagnosis = None
    if len(accuracies) == 2:
        train_error = 1.0 - float(accuracies["train accuracy"][-1])
        dev_error = 1.0 - float(accuracies["dev accuracy"][-1])
        fig.diagnosis = explain(train_error, dev_error, base_error)
        fig.supxlabel(fig.diagnosis, x=0.01, ha="left", fontsize="x-small", wrap=True)  # the layout makes room
    return finish(fig, path)
