"""Gradient descent vs momentum vs RMSprop vs Adam: the course notes' week 2 "optimization algorithms".

Two experiments:

1. The same network (2 -> 16 -> 16 -> 1, ReLU, He initialization) learns the same moons with
   mini-batches of 64, once with each optimizer at the same learning rate (the notes' setup). The
   cost of each mini-batch is noisy (every batch is a different sample), so it is drawn thin, with
   its exponentially weighted average (optim.EWMA, beta = 0.95: about the last 20 batches) in bold.
   At the same alpha, Adam and RMSprop get far lower than gradient descent. Momentum in the notes'
   form V = beta V + (1 - beta) dW moves at the same average speed as gradient descent (its steps
   are averages of the same gradients), so at the same alpha it follows gradient descent closely;
   what it buys is damping, which the second experiment shows.
2. The notes' elongated bowl f(w) = 0.02 w1^2 + w2^2, a picture of the cost surface of badly scaled
   parameters: each optimizer starts at (-9, 2) and takes 50 steps, each at a learning rate that
   suits it. Gradient descent zigzags across the steep direction and crawls along the shallow one
   (alpha = 0.9 is near its limit: above 1 it diverges across). Momentum averages the zigzag into a
   slow swing, which lets it take alpha = 2 and travel faster along; RMSprop divides each
   coordinate by its root mean square gradient, so both directions advance at about the same pace
   and it goes almost straight; Adam combines the two.

What to look for: `costs.png` (log scale) shows the smoothed curves of Adam and RMSprop well below
those of gradient descent and momentum; `bowl.png` shows the four paths on the contours of f.

    python examples/optimizers.py [--out DIR] [--quick] [--seed N]
"""

from __future__ import annotations

import os

# These matrices are small: one BLAS thread is faster than several fighting for 2 shared cores.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
from pathlib import Path

import numpy as np

import nn
import optim
import viz
from tinygrad_notes import Tensor, compile, no_grad
from tinygrad_notes.datasets import make_moons

DEFAULT_OUT = "out/examples/optimizers"
LR = 0.01  # the same learning rate for every optimizer on the moons
OPTIMIZERS = {
    "gradient descent": lambda params, lr: optim.SGD(params, lr=lr),
    "momentum": lambda params, lr: optim.Momentum(params, lr=lr, beta=0.9),
    "RMSprop": lambda params, lr: optim.RMSprop(params, lr=lr, beta=0.9),
    "Adam": lambda params, lr: optim.Adam(params, lr=lr, betas=(0.9, 0.999)),
}
BOWL_CURVATURE = np.array([0.02, 1.0])  # f(w) = 0.02 w1^2 + w2^2: fifty times steeper across than along
BOWL_START = (-9.0, 2.0)
BOWL_LR = {"gradient descent": 0.9, "momentum": 2.0, "RMSprop": 0.3, "Adam": 0.5}
COLOURS = {"gradient descent": "#1f77b4", "momentum": "#ff7f0e", "RMSprop": "#2ca02c", "Adam": "#d62728"}


def build_model(generator: np.random.Generator) -> nn.Sequential:
    return nn.Sequential(nn.Linear(2, 16, generator=generator), nn.ReLU(),
                         nn.Linear(16, 16, generator=generator), nn.ReLU(),
                         nn.Linear(16, 1, generator=generator))


def train(name: str, X: np.ndarray, y: np.ndarray, epochs: int, seed: int,
          compiled: bool = False) -> tuple[nn.Module, list, list]:
    """Mini-batch training with one optimizer; the cost of every mini-batch, raw and EWMA-smoothed."""
    model = build_model(np.random.default_rng(seed))
    opt = OPTIMIZERS[name](model.parameters(), LR)
    batches = optim.minibatches(X, y[:, None].astype(np.float32), batch_size=64, seed=seed)  # same order for all
    smoother = optim.EWMA(beta=0.95)
    raw, smooth = [], []

    def step(xb: np.ndarray, yb: np.ndarray) -> Tensor:
        opt.zero_grad()
        cost = nn.functional.binary_cross_entropy_with_logits(model(Tensor(xb)), yb)
        cost.backward()
        opt.step()
        return cost

    step = compile(step) if compiled else step
    for _ in range(epochs):
        for xb, yb in batches:
            cost = step(xb, yb)
            raw.append(cost.item())
            smooth.append(smoother.update(cost.item()))
    return model, raw, smooth


def bowl_path(name: str, steps: int) -> np.ndarray:
    """The points an optimizer visits on the elongated bowl, from BOWL_START."""
    w = Tensor(np.array(BOWL_START), requires_grad=True)
    opt = OPTIMIZERS[name]([w], BOWL_LR[name])
    curvature = Tensor(BOWL_CURVATURE)
    points = [w.data.copy()]
    for _ in range(steps):
        opt.zero_grad()
        (curvature * w * w).sum().backward()
        opt.step()
        points.append(w.data.copy())
    return np.array(points)


def plot_costs(curves: dict[str, tuple[list, list]], path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.5, 4.2), layout="constrained")
    ax = fig.add_subplot()
    for name, (raw, smooth) in curves.items():
        steps = np.arange(1, len(raw) + 1)
        ax.plot(steps, raw, color=COLOURS[name], linewidth=0.5, alpha=0.3)
        ax.plot(steps, smooth, color=COLOURS[name], linewidth=2, label=f"{name} (EWMA)",
                linestyle="--" if name == "momentum" else "-")  # dashed: it runs on top of gradient descent
    ax.set_yscale("log")
    ax.set_xlabel("mini-batch step")
    ax.set_ylabel("mini-batch cost")
    ax.set_title(f"the same network and batches, learning rate {LR} for all (thin: raw cost)")
    ax.legend()
    viz.save_figure(fig, path)


def plot_bowl(paths: dict[str, np.ndarray], path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 4.2), layout="constrained")
    ax = fig.add_subplot()
    w1, w2 = np.meshgrid(np.linspace(-10, 3, 300), np.linspace(-3, 3, 200))
    cost = BOWL_CURVATURE[0] * w1**2 + BOWL_CURVATURE[1] * w2**2
    ax.contour(w1, w2, cost, levels=np.logspace(-2, 1.3, 12), colors="#bbbbbb", linewidths=0.7)
    for name, points in paths.items():
        ax.plot(points[:, 0], points[:, 1], "o-", color=COLOURS[name], markersize=3, linewidth=1.2,
                label=f"{name} (alpha = {BOWL_LR[name]})")
    ax.plot(0, 0, "k*", markersize=12)
    ax.set_aspect("equal")
    ax.set_xlabel("w1 (shallow direction)")
    ax.set_ylabel("w2 (steep)")
    ax.set_title(f"{len(next(iter(paths.values()))) - 1} steps on the elongated bowl "
                 f"f = {BOWL_CURVATURE[0]} w1² + w2²")
    ax.legend(loc="lower right", fontsize="small")
    viz.save_figure(fig, path)


def main(out_dir: str = DEFAULT_OUT, quick: bool = False, seed: int = 0, compiled: bool = False) -> dict:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    epochs = 40 if quick else 300
    X, y = make_moons(300, noise=0.2, seed=seed)

    results, curves, paths = {}, {}, {}
    for name in OPTIMIZERS:
        model, raw, smooth = train(name, X, y, epochs, seed, compiled)
        curves[name] = (raw, smooth)
        with no_grad():
            logits = model(Tensor(X))
            cost = nn.functional.binary_cross_entropy_with_logits(logits, y[:, None].astype(np.float32)).item()
        paths[name] = bowl_path(name, steps=50)
        w_end = paths[name][-1]
        results[name] = {"final_cost": cost, "smoothed_cost": smooth[-1],
                         "accuracy": float(((logits.data[:, 0] > 0) == y).mean()),
                         "bowl_cost": float((BOWL_CURVATURE * w_end**2).sum())}
    plot_costs(curves, out / "costs.png")
    plot_bowl(paths, out / "bowl.png")

    steps = len(next(iter(curves.values()))[0])
    print(f"moons: {epochs} epochs of mini-batches of 64 ({steps} steps), learning rate {LR} for every optimizer")
    print(f"{'optimizer':<17} {'cost':>7} {'EWMA':>7} {'accuracy':>9}   bowl: f after 50 steps")
    for name, r in results.items():
        print(f"{name:<17} {r['final_cost']:7.4f} {r['smoothed_cost']:7.4f} {r['accuracy']:9.1%}   "
              f"{r['bowl_cost']:.2e} (alpha = {BOWL_LR[name]})")
    print(f"figures in {out}/")
    return {"epochs": epochs, "steps": steps, "learning_rate": LR, **results}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"folder for the figures (default {DEFAULT_OUT})")
    parser.add_argument("--quick", action="store_true", help="a shorter run (seconds), for a smoke test")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data, the initial weights and the batches")
    parser.add_argument("--compile", action="store_true",
                        help="train with compiled steps (tinygrad_notes.compile): the same numbers, less time")
    args = parser.parse_args()
    main(args.out, args.quick, args.seed, args.compile)
