"""Saddle points and plateaus: the course notes' week 2 "the problem of local optima".

The notes: in high dimension a point where the gradient is 0 is almost never a bad local minimum
(that would need the cost to curve up in every one of thousands of directions); it is a saddle
point, curving up in some directions and down in others, and around it lies a plateau, where the
gradient is close to 0 for a long way and learning crawls. Momentum, RMSprop and Adam get off it
sooner. Here is a 2-D picture of that:

    f(x, y) = 10 x^2 + 0.1 (y^2 - 1)^2

It has two minima, f = 0 at (0, +-1), and a saddle at (0, 0), where f = 0.1: up steeply along x,
gently down along y (curvature -0.4). Every optimizer starts at the same point (0.8, 0.001), on the
plateau next to the saddle, and takes 100 steps. Each runs at its own best learning rate: the one
of a small sweep (4 per decade from 1e-3 to 3) with the lowest f after the 100 steps, so that no
method loses to a badly chosen alpha.

- Gradient descent: its alpha must stay below 1 / 10 (2 / the curvature 20 along x) or x
  diverges; at such an alpha y grows by at most 1 + 0.4 alpha = 1.04 per step, so 100 steps take
  it from 0.001 to about 0.05: it is still on the plateau when the steps run out, at f = 0.1.
- Momentum (the notes' form, beta = 0.9) averages the steps across x's steep walls, so it
  tolerates an alpha nearly 20 times larger, and runs down y that much faster.
- RMSprop and Adam divide each coordinate's step by its root mean square gradient: the tiny
  y-gradient gets a step of about alpha, the same as the steep x direction, and they slide off
  the saddle in a few steps.

What to look for: `paths.png`, the contours of f with the plateau shaded (the band around the
saddle where the slope along y, |df/dy|, is below 0.02) and the four paths; `costs.png`, f per
step (gradient descent flat at the saddle's 0.1, the others falling to the minimum's 0);
`sweep.png`, f after 100 steps for every learning rate tried.

    python examples/saddle_points.py [--out DIR] [--quick] [--seed N] [--compile]

--compile runs the steps compiled (tinygrad_notes.compile): the same numbers.

--seed 0 starts at (0.8, 0.001); another seed draws x0 in [0.5, 1] and y0 = +-10^r, r in [-4, -2].
"""

from __future__ import annotations

from pathlib import Path

import _common
import numpy as np

import optim
from tinygrad_notes import Tensor

DEFAULT_OUT = _common.default_out(__file__)
STEEP, DEPTH = 10.0, 0.1  # f = STEEP x^2 + DEPTH (y^2 - 1)^2
SADDLE_COST = DEPTH  # f(0, 0)
PLATEAU_SLOPE = 0.02  # |df/dy| below this, near the saddle: the plateau drawn in paths.png
OPTIMIZERS = {
    "gradient descent": lambda params, lr: optim.SGD(params, lr=lr),
    "momentum": lambda params, lr: optim.Momentum(params, lr=lr, beta=0.9),
    "RMSprop": lambda params, lr: optim.RMSprop(params, lr=lr, beta=0.9),
    "Adam": lambda params, lr: optim.Adam(params, lr=lr, betas=(0.9, 0.999)),
}
COLOURS = {"gradient descent": "#1f77b4", "momentum": "#ff7f0e", "RMSprop": "#2ca02c", "Adam": "#d62728"}


def f(w: Tensor) -> Tensor:
    """10 x^2 + 0.1 (y^2 - 1)^2 of w = (x, y)."""
    x, y = w[0], w[1]
    return STEEP * x * x + DEPTH * (y * y - 1) ** 2


def f_grid(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return STEEP * x**2 + DEPTH * (y**2 - 1) ** 2


def slope_along_y(y: np.ndarray) -> np.ndarray:
    """|df/dy| = |0.4 y (y^2 - 1)|: the slope that leads off the saddle, once x has settled at 0."""
    return np.abs(4 * DEPTH * y * (y**2 - 1))


def descend(name: str, lr: float, start: tuple[float, float], steps: int, compiled: bool = False) -> np.ndarray:
    """The points (x, y, f) an optimizer visits from `start`, one row per step (the start first)."""
    w = Tensor(np.array(start), requires_grad=True)
    opt = OPTIMIZERS[name]([w], lr)
    rows = []

    def forward_backward() -> Tensor:
        opt.zero_grad()
        cost = f(w)
        cost.backward()
        return cost

    forward_backward = _common.step_function(forward_backward, compiled)
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            cost = forward_backward()
            rows.append((*w.data, cost.item()))
            if not np.isfinite(rows[-1][2]):  # diverged: no step from a NaN gradient
                break
            opt.step()
        rows.append((*w.data, f_grid(*w.data)))
    return np.array(rows)


def start_for(seed: int) -> tuple[float, float]:
    if seed == 0:
        return (0.8, 0.001)
    rng = np.random.default_rng(seed)
    return (float(rng.uniform(0.5, 1.0)), float(rng.choice([-1, 1]) * 10 ** rng.uniform(-4, -2)))


def plot_paths(paths: dict[str, np.ndarray], lrs: dict[str, float], start: tuple[float, float], path: Path) -> None:
    fig, (ax,) = _common.figure(figsize=(7.5, 6))
    x, y = np.meshgrid(np.linspace(-1.1, 1.1, 400), np.linspace(-1.5, 1.5, 400))
    cost = f_grid(x, y)
    plateau = (slope_along_y(y) < PLATEAU_SLOPE) & (np.abs(y) < 0.5)
    ax.contourf(x, y, plateau.astype(float), levels=[0.5, 1.5], colors=["#fde68a"])
    ax.contour(x, y, cost, levels=np.concatenate([[0.005, 0.02, 0.05], [SADDLE_COST], np.geomspace(0.2, 10, 8)]),
               colors="#aaaaaa", linewidths=0.7)
    for name in reversed(paths):  # gradient descent drawn last, on top of momentum's swings across x
        p = paths[name]
        ax.plot(p[:, 0], p[:, 1], "o-", color=COLOURS[name], markersize=3 if name == "gradient descent" else 2,
                linewidth=1, label=f"{name} (alpha = {lrs[name]:.3g})")
    ax.plot(*start, "ks", markersize=6, label="start")
    ax.plot([0, 0], [-1, 1], "k*", markersize=10, linestyle="none", label="minima")
    ax.plot(0, 0, "kx", markersize=9, label="saddle")
    ax.set_xlim(-1.1, 1.1)
    ax.set_ylim(-1.5, 1.5)
    ax.set_xlabel("x (steep: 10 x²)")
    ax.set_ylabel("y (gently down from the saddle)")
    ax.set_title(f"f = 10x² + 0.1(y² − 1)²; shaded: the plateau, |∂f/∂y| < {PLATEAU_SLOPE}")
    ax.legend(fontsize="small", loc="lower left")
    _common.save(fig, path)


def plot_costs(paths: dict[str, np.ndarray], path: Path) -> None:
    fig, (ax,) = _common.figure()
    for name, p in paths.items():
        ax.plot(np.arange(len(p)), p[:, 2], color=COLOURS[name], label=name)
    ax.axhline(SADDLE_COST, color="grey", linestyle=":", linewidth=1, label="f at the saddle")
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("f")
    ax.set_title("each optimizer at its own best learning rate")
    ax.legend()
    _common.save(fig, path)


def plot_sweep(lrs: np.ndarray, sweeps: dict[str, list[float]], path: Path) -> None:
    fig, (ax,) = _common.figure()
    for name, finals in sweeps.items():
        finals = np.asarray(finals)
        ax.plot(lrs, np.where(np.isfinite(finals) & (finals < 1e3), finals, np.nan), "o-", color=COLOURS[name],
                markersize=3, label=name)
    ax.axhline(SADDLE_COST, color="grey", linestyle=":", linewidth=1, label="f at the saddle")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("learning rate alpha")
    ax.set_ylabel("f after the last step (gaps: diverged)")
    ax.set_title("the sweep each optimizer's learning rate comes from")
    ax.legend(fontsize="small")
    _common.save(fig, path)


def main(out_dir: str = DEFAULT_OUT, quick: bool = False, seed: int = 0, compiled: bool = False) -> dict:
    out = _common.out_folder(out_dir)
    steps = 100
    per_decade = 2 if quick else 4
    lrs = 10.0 ** (np.arange(-3 * per_decade, per_decade // 2 + 1) / per_decade)  # 1e-3 ... about 3
    start = start_for(seed)

    results, paths, sweeps, best_lrs = {}, {}, {}, {}
    for name in OPTIMIZERS:
        runs = [descend(name, float(lr), start, steps, compiled) for lr in lrs]
        sweeps[name] = [float(r[-1, 2]) if len(r) == steps + 1 else np.inf for r in runs]
        best = int(np.nanargmin(sweeps[name]))
        best_lrs[name], paths[name] = float(lrs[best]), runs[best]
        p = paths[name]
        off = np.flatnonzero(np.abs(p[:, 1]) > 0.5)  # halfway from the saddle to a minimum
        results[name] = {"lr": best_lrs[name], "final_cost": float(p[-1, 2]), "final_point": p[-1, :2].tolist(),
                         "steps_to_leave_the_saddle": int(off[0]) if off.size else None}
    plot_paths(paths, best_lrs, start, out / "paths.png")
    plot_costs(paths, out / "costs.png")
    plot_sweep(lrs, sweeps, out / "sweep.png")

    print(f"f = 10x^2 + 0.1(y^2 - 1)^2 from ({start[0]:.3g}, {start[1]:.3g}), {steps} steps, each optimizer at the "
          f"best of {len(lrs)} learning rates; f = {SADDLE_COST} at the saddle, 0 at the minima")
    print(f"{'optimizer':<17} {'best alpha':>10} {'f after':>10} {'ends at (x, y)':>20} {'steps until |y| > 0.5':>22}")
    for name, r in results.items():
        x, y = r["final_point"]
        left = r["steps_to_leave_the_saddle"]
        print(f"{name:<17} {r['lr']:10.3g} {r['final_cost']:10.3g} {f'({x:.3f}, {y:.3f})':>20} "
              f"{'never' if left is None else left:>22}")
    print(f"figures in {out}/")
    return {"steps": steps, "start": start, "learning_rates": lrs.tolist(), **results}


if __name__ == "__main__":
    _common.run(main, __doc__, seed_help="0: start at (0.8, 0.001); another: a random start near the saddle")
