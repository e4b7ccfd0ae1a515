"""The learning-rate schedule: α per epoch, for one schedule or several side by side."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from viz.plots.figure import finish, new_figure, series


def _values(schedule: Any, epochs: int | None, name: str) -> np.ndarray:
    if callable(schedule):
        if epochs is None:
            raise ValueError(f"plot_lr_schedule: give epochs=... to evaluate the schedule {name!r} (a function)")
        return series([schedule(e) for e in range(epochs)], name, "plot_lr_schedule")
    values = series(schedule, name, "plot_lr_schedule")
    return values if epochs is None else values[:epochs]


def plot_lr_schedule(schedule: Any, epochs: int | None = None, *, log: bool = False,
                     path: str | os.PathLike | None = None) -> Any:
    """Plot α per epoch. `schedule` is a sequence of rates, a function epoch -> rate (with `epochs`), or a
    dict {label: either} to compare schedules (1/(1 + decay·epoch), 0.95^epoch·α0, staircase...)."""
    schedules: Mapping[str, Any] = schedule if isinstance(schedule, Mapping) else {"learning rate": schedule}
    fig, (ax,) = new_figure()
    for name, s in schedules.items():
        values = _values(s, epochs, str(name))
        ax.step(np.arange(len(values)), values, where="post", label=str(name))
    ax.set_xlabel("epoch")
    ax.set_ylabel("learning rate α")
    ax.set_title("learning-rate schedule")
    if log:
        ax.set_yscale("log")
    if len(schedules) > 1:
        ax.legend(fontsize="small")
    return finish(fig, path)


