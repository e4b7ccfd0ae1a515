"""The learning-rate schedule: α per epoch, for one schedule or several side by side."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from viz.plots.figure import finish, legend_outside, new_figure, series


def _curves(schedule: Any, epochs: int | None, name: str) -> dict[str, np.ndarray]:
    """{label: α per epoch} of one schedule: rates, a function epoch -> rate, or a scheduler of `optim` (read
    through its `lr_at(epoch)`, one curve per param group, without stepping it)."""
    lr_at = getattr(schedule, "lr_at", None)
    if callable(lr_at) or callable(schedule):
        if epochs is None:
            what = f"the scheduler {type(schedule).__name__}" if callable(lr_at) else "a function"
            raise ValueError(f"plot_lr_schedule: give epochs=... to evaluate the schedule {name!r} ({what})")
    if callable(lr_at):
        per_group = np.array([lr_at(e) for e in range(epochs)], dtype=np.float64).reshape(epochs, -1)
        if per_group.shape[1] == 1:
            return {name: series(per_group[:, 0], name, "plot_lr_schedule")}
        return {f"{name}, group {g}": series(per_group[:, g], name, "plot_lr_schedule")
                for g in range(per_group.shape[1])}
    if callable(schedule):
        return {name: series([schedule(e) for e in range(epochs)], name, "plot_lr_schedule")}
    values = series(schedule, name, "plot_lr_schedule")
    return {name: values if epochs is None else values[:epochs]}


def plot_lr_schedule(schedule: Any, epochs: int | None = None, *, log: bool = False,
                     path: str | os.PathLike | None = None) -> Any:
    """Plot α per epoch. `schedule` is a sequence of rates, a function epoch -> rate or a scheduler of `optim`
    (`optim.StepDecay(opt)`...; both need `epochs`), or a dict {label: any of these} to compare schedules
    (1/(1 + decay·epoch), 0.95^epoch·α0, staircase...). A scheduler is read, never stepped."""
    schedules: Mapping[str, Any] = schedule if isinstance(schedule, Mapping) else {"learning rate": schedule}
    fig, (ax,) = new_figure()
    curves = {label: values for name, s in schedules.items() for label, values in _curves(s, epochs, str(name)).items()}
    for label, values in curves.items():
        ax.step(np.arange(len(values)), values, where="post", label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("learning rate α")
    ax.set_title("learning-rate schedule")
    if log:
        ax.set_yscale("log")
    if len(curves) > 1:
        legend_outside(fig, ax)
    return finish(fig, path)
