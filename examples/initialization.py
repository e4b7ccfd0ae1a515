"""Zeros vs large random vs He initialization: the course notes' week 1 "weight initialization" experiment.

The same ReLU network (2 -> 10 -> 5 -> 1, the notes' sizes) learns the same circles with the same
gradient descent three times; only the starting weights differ (large random and He even draw the
same random numbers, only scaled differently):

- zeros: every hidden unit computes the same thing and gets the same (here: zero) gradient, so the
  symmetry is never broken. Only the output bias learns, and the cost stays at that of a constant
  guess (ln 2 for balanced classes): 50% accuracy.
- large random (randn * 10): the first cost is in the thousands (confident wrong predictions cost a
  lot) and the first gradients are hundreds of times He's; gradient descent spends its first
  hundreds of steps undoing the start, jumping about, and (depending on the draw) may end well
  above He or catch up with it.
- He (randn * sqrt(2 / n_in)): the notes' choice for ReLU; the cost falls steadily and it classifies
  the circles.

What to look for in the figures: `costs.png` (log scale) shows zeros flat at ln 2, large random
starting hundreds of times higher than He; `grad_norms_<init>.png` shows each layer's gradient
norm per epoch (zeros: exactly 0 for every weight, nothing drawn; large random: above 100 at the
start, against below 1 for He); `boundary_<init>.png` shows what each network learned.

    python examples/initialization.py [--out DIR] [--quick] [--seed N]
"""

from __future__ import annotations

import os

# These matrices are small: one BLAS thread is faster than several fighting for 2 shared cores.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import math
from functools import partial
from pathlib import Path

import numpy as np

import nn
import optim
import viz
from tinygrad_notes import Tensor, compile, no_grad
from tinygrad_notes.datasets import make_circles

DEFAULT_OUT = "out/examples/initialization"


def large_random_(weight: Tensor, generator: np.random.Generator | None = None) -> Tensor:
    """The notes' "large random" initialization: W = randn(shape) * 10."""
    return nn.init.normal_(weight, std=10.0, generator=generator)


INITS = {"zeros": "zeros", "large random": large_random_, "He": "he"}


def build_model(init, generator: np.random.Generator) -> nn.Sequential:
    """The notes' 3-layer ReLU network; biases start at 0 whatever the init."""
    return nn.Sequential(
        nn.Linear(2, 10, init=init, generator=generator), nn.ReLU(),
        nn.Linear(10, 5, init=init, generator=generator), nn.ReLU(),
        nn.Linear(5, 1, init=init, generator=generator),
    )


def predict(model: nn.Module, X: np.ndarray) -> np.ndarray:
    """Class 1 where the logit is positive (sigmoid > 1/2); no graph recorded."""
    with no_grad():
        return model(Tensor(X)).data[:, 0] > 0


def accuracy(model: nn.Module, X: np.ndarray, y: np.ndarray) -> float:
    return float((predict(model, X) == y).mean())


def train(model: nn.Module, X: np.ndarray, y: np.ndarray, lr: float, epochs: int,
          compiled: bool = False) -> tuple[list, list]:
    """Batch gradient descent on the cross-entropy cost; the cost and every layer's gradient norm per epoch."""
    opt = optim.SGD(model.parameters(), lr=lr)
    inputs, targets = Tensor(X), Tensor(y[:, None].astype(np.float32))
    costs, norms = [], []

    def step() -> Tensor:
        opt.zero_grad()
        cost = nn.functional.binary_cross_entropy_with_logits(model(inputs), targets)
        cost.backward()
        opt.step()  # leaves .grad as it is: the norms below are this step's gradients
        return cost

    step = compile(step) if compiled else step
    for _ in range(epochs):
        costs.append(step().item())
        norms.append(viz.grad_norms(model))
    return costs, norms


def plot_costs(costs: dict[str, list], path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.2), layout="constrained")
    ax = fig.add_subplot()
    for name, values in costs.items():
        ax.plot(np.arange(1, len(values) + 1), values, label=name)
    ax.set_yscale("log")
    ax.set_xlabel("epoch (one gradient descent step on the whole training set)")
    ax.set_ylabel("cost (cross-entropy)")
    ax.set_title("the same network from three initializations")
    ax.legend()
    viz.save_figure(fig, path)


def main(out_dir: str = DEFAULT_OUT, quick: bool = False, seed: int = 0, compiled: bool = False) -> dict:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    epochs, lr = (600, 0.1) if quick else (15000, 0.01)  # the notes: 15,000 iterations at alpha = 0.01
    X, y = make_circles(600, noise=0.08, seed=seed)
    X_train, y_train, X_dev, y_dev = X[:300], y[:300], X[300:], y[300:]
    p = y_train.mean()
    constant_guess_cost = -(p * math.log(p) + (1 - p) * math.log(1 - p))  # the best a constant prediction can do

    results, costs = {}, {}
    for name, init in INITS.items():
        model = build_model(init, np.random.default_rng(seed))
        costs[name], norms = train(model, X_train, y_train, lr, epochs, compiled)
        tag = name.replace(" ", "_").lower()
        viz.plot_grad_norms(norms, path=out / f"grad_norms_{tag}.png")
        viz.plot_decision_boundary(partial(predict, model), X_train, y_train,
                                   title=f"{name} initialization", path=out / f"boundary_{tag}.png")
        weights = [k for k in norms[0] if k.endswith("weight")]
        results[name] = {
            "initial_cost": costs[name][0],
            "final_cost": costs[name][-1],
            "train_accuracy": accuracy(model, X_train, y_train),
            "dev_accuracy": accuracy(model, X_dev, y_dev),
            "initial_grad_norms": norms[0],
            "max_weight_grad_norm": max(n[k] for n in norms for k in weights),  # zeros: exactly 0 throughout
        }
    plot_costs(costs, out / "costs.png")

    print(f"{epochs} epochs of gradient descent, learning rate {lr}; a constant guess costs "
          f"{constant_guess_cost:.4f}")
    print(f"{'init':<13} {'first cost':>11} {'last cost':>10} {'train acc':>10} {'dev acc':>8}  "
          f"first-step gradient norm of W1, W2, W3")
    for name, r in results.items():
        w = [r["initial_grad_norms"][f"{i}.weight"] for i in (0, 2, 4)]
        print(f"{name:<13} {r['initial_cost']:11.4g} {r['final_cost']:10.4f} {r['train_accuracy']:10.1%} "
              f"{r['dev_accuracy']:8.1%}  " + ", ".join(f"{v:.3g}" for v in w))
    print(f"figures in {out}/")
    return {"epochs": epochs, "learning_rate": lr, "constant_guess_cost": constant_guess_cost, **results}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"folder for the figures (default {DEFAULT_OUT})")
    parser.add_argument("--quick", action="store_true", help="a shorter run (seconds), for a smoke test")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data and the initial weights")
    parser.add_argument("--compile", action="store_true",
                        help="train with compiled steps (tinygrad_notes.compile): the same numbers, less time")
    args = parser.parse_args()
    main(args.out, args.quick, args.seed, args.compile)
