"""Gradient descent vs momentum vs RMSprop vs Adam, each at its own best learning rate: the course notes' week 2.

Comparing optimizers at one shared alpha mostly measures how well that alpha suits each of them
(momentum in the notes' form V = beta V + (1 - beta) dW moves exactly as fast as gradient descent
at the same alpha; what it buys is a larger alpha). So every optimizer here gets a small sweep of
learning rates (3 per decade from 1e-3 to about 5) on the same budget of steps, and is judged at
the one that ends with the lowest cost. Two problems:

1. The digits MLP (64 -> 64 -> 10, ReLU, He initialization; mini-batches of 64; 200 steps, about
   12 epochs), scored by the training cost after the last step; over 3 seeds, each seed sweeping
   for itself. Twice: on the raw pixels (0 to 16), whose cost surface is elongated like the notes'
   bowl, and on pixels normalized with the training set's mu and sigma, whose surface is much
   rounder. On raw pixels gradient descent must keep alpha small for the steep directions and
   crawls along the shallow ones; momentum damps the zigzag across the steep ones, takes an alpha
   several times larger and ends several times lower. On normalized pixels gradient descent can
   already take alpha near 1 and momentum's gain is small: normalization and momentum fix the
   same elongation. RMSprop and Adam rescale every parameter by its own gradient size and beat
   gradient descent on both; Adam ends lowest on raw pixels. (--quick runs the raw pixels only,
   one seed, 100 steps, 2 learning rates per decade.)
2. The notes' elongated bowl f(w) = 0.02 w1^2 + w2^2 (fifty times steeper across than along),
   50 steps from (-9, 2), each optimizer at the alpha of its own sweep (8 per decade from 0.01 to
   10): gradient descent can take at most alpha = 1 (above it the steep direction diverges) and
   so creeps along w1; momentum takes alpha = 3 and gets hundreds of times closer.

What to look for: `costs.png`, the mini-batch cost per step at each optimizer's best alpha
(smoothed by an EWMA, optim.EWMA with beta = 0.9), raw and normalized pixels; `sweep.png`, the
final training cost for every alpha tried (where each optimizer's best lies, and where it
diverges); `bowl.png`, the four paths on the bowl's contours.

    python examples/optimizers.py [--out DIR] [--quick] [--seed N] [--compile]

--compile trains with compiled steps (tinygrad_notes.compile): the same numbers, less time.
"""

from __future__ import annotations

from pathlib import Path

import _common
import numpy as np

import nn
import optim
from tinygrad_notes import Tensor

DEFAULT_OUT = _common.default_out(__file__)
OPTIMIZERS = {
    "gradient descent": lambda params, lr: optim.SGD(params, lr=lr),
    "momentum": lambda params, lr: optim.Momentum(params, lr=lr, beta=0.9),
    "RMSprop": lambda params, lr: optim.RMSprop(params, lr=lr, beta=0.9),
    "Adam": lambda params, lr: optim.Adam(params, lr=lr, betas=(0.9, 0.999)),
}
INPUTS = ("raw", "normalized")
HIDDEN = 64
BOWL_CURVATURE = np.array([0.02, 1.0])  # f(w) = 0.02 w1^2 + w2^2
BOWL_START, BOWL_STEPS = (-9.0, 2.0), 50
COLOURS = {"gradient descent": "#1f77b4", "momentum": "#ff7f0e", "RMSprop": "#2ca02c", "Adam": "#d62728"}


def learning_rates(quick: bool) -> np.ndarray:
    per_decade = 2 if quick else 3
    return 10.0 ** (np.arange(-3 * per_decade, 0.7 * per_decade) / per_decade)  # 1e-3 ... about 5


def build_model(generator: np.random.Generator) -> nn.Sequential:
    return nn.Sequential(nn.Linear(64, HIDDEN, generator=generator), nn.ReLU(),
                         nn.Linear(HIDDEN, 10, generator=generator))


def train(name: str, lr: float, data: dict, steps: int, seed: int, compiled: bool = False) -> dict:
    """`steps` mini-batch steps from the seed's start: every step's cost, then the training cost and dev accuracy."""
    model = build_model(np.random.default_rng(seed))
    opt = OPTIMIZERS[name](model.parameters(), lr)
    batches = optim.minibatches(data["X_train"], data["y_train"], batch_size=64, seed=seed)  # same order for all
    costs: list[float] = []

    forward_backward = _common.cross_entropy_step(model, opt, compiled)
    with np.errstate(over="ignore", invalid="ignore"):
        while len(costs) < steps:
            for xb, yb in batches:
                costs.append(forward_backward(xb, yb).item())
                if not np.isfinite(costs[-1]):  # diverged: no step from a NaN gradient
                    return {"costs": costs, "train_cost": np.inf, "dev_accuracy": 0.0}
                opt.step()
                if len(costs) == steps:
                    break
        train_cost = _common.evaluate(model, data["X_train"], data["y_train"])[0]
    dev_accuracy = _common.evaluate(model, data["X_dev"], data["y_dev"])[1]
    return {"costs": costs, "train_cost": train_cost if np.isfinite(train_cost) else np.inf,
            "dev_accuracy": dev_accuracy}


def sweep(name: str, data: dict, lrs: np.ndarray, steps: int, seed: int,
          compiled: bool = False) -> tuple[int, list[dict]]:
    """Every learning rate's run, and the index of the one with the lowest final training cost."""
    runs = [train(name, float(lr), data, steps, seed, compiled) for lr in lrs]
    return int(np.argmin([r["train_cost"] for r in runs])), runs


def bowl_path(name: str, lr: float, compiled: bool = False) -> np.ndarray:
    """The points an optimizer visits on the elongated bowl, from BOWL_START."""
    w = Tensor(np.array(BOWL_START), requires_grad=True)
    opt = OPTIMIZERS[name]([w], lr)
    curvature = Tensor(BOWL_CURVATURE)
    points = [w.data.copy()]

    def step() -> None:
        opt.zero_grad()
        (curvature * w * w).sum().backward()
        opt.step()

    step = _common.step_function(step, compiled)
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(BOWL_STEPS):
            step()
            points.append(w.data.copy())
    return np.array(points)


def bowl_cost(point: np.ndarray) -> float:
    value = float((BOWL_CURVATURE * point**2).sum())
    return value if np.isfinite(value) else np.inf


def plot_costs(curves: dict[str, dict[str, tuple[float, list]]], path: Path) -> None:
    fig, axes = _common.figure(ncols=len(curves), figsize=(6 * len(curves), 4.5))
    for ax, inputs in zip(axes, curves):
        for name, (lr, costs) in curves[inputs].items():
            smoother = optim.EWMA(beta=0.9)
            smooth = [smoother.update(c) for c in costs]
            ax.plot(np.arange(1, len(costs) + 1), costs, color=COLOURS[name], linewidth=0.5, alpha=0.3)
            ax.plot(np.arange(1, len(costs) + 1), smooth, color=COLOURS[name], linewidth=2,
                    label=f"{name}, alpha = {lr:.3g}")
        ax.set_yscale("log")
        ax.set_xlabel("mini-batch step")
        ax.set_ylabel("mini-batch cost (thin: raw, bold: EWMA)")
        ax.set_title(f"digits MLP, {inputs} pixels, each at its best alpha")
        ax.legend(fontsize="small")
    _common.save(fig, path)


def plot_sweep(lrs: np.ndarray, finals: dict[str, dict[str, list[float]]], path: Path) -> None:
    fig, axes = _common.figure(ncols=len(finals), figsize=(6 * len(finals), 4.5))
    for ax, inputs in zip(axes, finals):
        for name, values in finals[inputs].items():
            values = np.asarray(values)
            ax.plot(lrs, np.where(np.isfinite(values) & (values < 10), values, np.nan), "o-", markersize=3,
                    color=COLOURS[name], label=name)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("learning rate alpha")
        ax.set_ylabel("training cost after the last step (gaps: diverged)")
        ax.set_title(f"{inputs} pixels: the sweep")
        ax.legend(fontsize="small")
    _common.save(fig, path)


def plot_bowl(paths: dict[str, np.ndarray], lrs: dict[str, float], path: Path) -> None:
    fig, (ax,) = _common.figure(figsize=(9, 4.2))
    w1, w2 = np.meshgrid(np.linspace(-10, 3, 300), np.linspace(-3, 3, 200))
    cost = BOWL_CURVATURE[0] * w1**2 + BOWL_CURVATURE[1] * w2**2
    ax.contour(w1, w2, cost, levels=np.logspace(-2, 1.3, 12), colors="#bbbbbb", linewidths=0.7)
    for name, points in paths.items():
        ax.plot(points[:, 0], points[:, 1], "o-", color=COLOURS[name], markersize=3, linewidth=1.2,
                label=f"{name} (alpha = {lrs[name]:.3g})")
    ax.plot(0, 0, "k*", markersize=12)
    ax.set_xlim(-10, 3)
    ax.set_ylim(-3, 3)
    ax.set_aspect("equal")
    ax.set_xlabel("w1 (shallow direction)")
    ax.set_ylabel("w2 (steep)")
    ax.set_title(f"{BOWL_STEPS} steps on f = {BOWL_CURVATURE[0]} w1² + w2², each at its best alpha")
    ax.legend(loc="lower right", fontsize="small")
    _common.save(fig, path)


def main(out_dir: str = DEFAULT_OUT, quick: bool = False, seed: int = 0, compiled: bool = False) -> dict:
    out = _common.out_folder(out_dir)
    steps = 100 if quick else 200
    seeds = [seed] if quick else [seed, seed + 1, seed + 2]
    lrs = learning_rates(quick)
    inputs_run = INPUTS[:1] if quick else INPUTS

    results: dict = {inputs: {} for inputs in inputs_run}
    curves: dict = {inputs: {} for inputs in inputs_run}
    finals: dict = {inputs: {} for inputs in inputs_run}
    for inputs in inputs_run:
        per_seed: dict[str, list[dict]] = {name: [] for name in OPTIMIZERS}
        for s in seeds:
            data = _common.digits(s, normalize=inputs == "normalized")
            for name in OPTIMIZERS:
                best, runs = sweep(name, data, lrs, steps, s, compiled)
                per_seed[name].append({"lr": float(lrs[best]), **runs[best]})
                if s == seeds[0]:
                    curves[inputs][name] = (float(lrs[best]), runs[best]["costs"])
                    finals[inputs][name] = [r["train_cost"] for r in runs]
        for name, runs in per_seed.items():
            results[inputs][name] = {"best_lr": [r["lr"] for r in runs],
                                     "train_cost": _common.spread([r["train_cost"] for r in runs]),
                                     "dev_accuracy": _common.spread([r["dev_accuracy"] for r in runs]),
                                     "train_costs": [r["train_cost"] for r in runs]}
    plot_costs(curves, out / "costs.png")
    plot_sweep(lrs, finals, out / "sweep.png")

    bowl, paths, bowl_lrs = {}, {}, {}
    per_decade = 4 if quick else 8
    bowl_grid = 10.0 ** (np.arange(-2 * per_decade, per_decade + 1) / per_decade)  # 0.01 ... 10
    for name in OPTIMIZERS:
        runs = [bowl_path(name, float(lr), compiled) for lr in bowl_grid]
        best = int(np.argmin([bowl_cost(p[-1]) for p in runs]))
        bowl_lrs[name], paths[name] = float(bowl_grid[best]), runs[best]
        bowl[name] = {"lr": bowl_lrs[name], "final_cost": bowl_cost(runs[best][-1])}
    plot_bowl(paths, bowl_lrs, out / "bowl.png")

    print(f"digits MLP 64 -> {HIDDEN} -> 10, {steps} steps of mini-batches of 64; each optimizer at the best of "
          f"{len(lrs)} learning rates ({lrs[0]:.3g} to {lrs[-1]:.3g}) for each of seeds {seeds[0]}..{seeds[-1]}")
    print(f"{'pixels':<11} {'optimizer':<17} {'best alpha per seed':>22} {'training cost: mean (min..max)':>31} "
          f"{'dev accuracy':>13}")
    for inputs in inputs_run:
        for name, r in results[inputs].items():
            c = r["train_cost"]
            lrs_text = ", ".join(f"{lr:.3g}" for lr in r["best_lr"])
            cost_text = f"{c['mean']:.4f} ({c['min']:.4f}..{c['max']:.4f})"
            print(f"{inputs:<11} {name:<17} {lrs_text:>22} {cost_text:>31} {r['dev_accuracy']['mean']:13.1%}")
    print(f"\nthe bowl f = 0.02 w1^2 + w2^2, {BOWL_STEPS} steps from {BOWL_START}, best of {len(bowl_grid)} learning "
          "rates")
    for name, r in bowl.items():
        print(f"{name:<17} alpha = {r['lr']:<7.3g} f = {r['final_cost']:.3g}")
    print(f"figures in {out}/")
    return {"steps": steps, "seeds": seeds, "learning_rates": lrs.tolist(), **results, "bowl": bowl}


if __name__ == "__main__":
    _common.run(main, __doc__)
