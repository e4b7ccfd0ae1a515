"""Batch vs stochastic vs mini-batch gradient descent on the same time budget: the course notes' week 2.

The same MLP (64 -> 64 -> 10, ReLU, He initialization) learns the normalized digits (1,078
training images) with plain gradient descent and three batch sizes:

- batch gradient descent (all 1,078 examples per step): smooth, well vectorized, but one step per
  pass over the data;
- stochastic gradient descent (1 example per step): many cheap steps, but noisy, and it loses
  vectorization: almost all of a step's time is the per-step overhead, not arithmetic;
- mini-batches of 64 (a power of 2, the notes' advice): vectorized and many steps per epoch.

Each gets the same seconds of training time, measured around its steps only as CPU time of this
thread (`time.thread_time`: the load of other programs on a shared machine does not count against
it), and they run in turns, 10 ms each in a random order, so what load remains falls on all of them
alike. Each batch size runs at the best of 4 learning rates (its lowest training cost
at the end; a best at the edge of the grid is reported). The cost on the whole training set is
measured between turns, outside the budget. Over 3 seeds (1 with --quick).

The notes' rules: with a small training set (m <= 2,000) batch gradient descent is good enough;
otherwise mini-batches of 64 to 512. The digits are such a small set, and here batch gradient
descent does reach a low cost; mini-batches still get lower in the same time, stochastic gradient
descent far less low, processing fifty times fewer examples per second.

What to look for: `cost_vs_time.png`, the training cost against training time for each batch size
at its best learning rate (first seed); `throughput.png`, steps and examples per second.

    python examples/minibatch_size.py [--out DIR] [--quick] [--seed N] [--compile]

--compile trains with compiled steps (tinygrad_notes.compile): each step is the same as without it, and
cheaper, so more of them fit in the budget (the small batches gain the most: their time is per-step overhead).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import _common
import numpy as np

import nn
import optim
from tinygrad_notes import Tensor

DEFAULT_OUT = _common.default_out(__file__)
SLICE = 0.01  # seconds of training per turn
SIZES = {"batch (m)": None, "stochastic (1)": 1, "mini-batch (64)": 64}  # None: the whole training set
LEARNING_RATES = {"batch (m)": (0.5, 1.0, 2.0, 4.0), "stochastic (1)": (0.003, 0.01, 0.03, 0.1),
                  "mini-batch (64)": (0.5, 1.0, 2.0, 4.0)}
COLOURS = {"batch (m)": "#1f77b4", "stochastic (1)": "#d62728", "mini-batch (64)": "#2ca02c"}


class Contender:
    """One batch size at one learning rate, trained a slice of time at a time; the cost recorded between slices."""

    def __init__(self, name: str, lr: float, data: dict, seed: int, compiled: bool = False) -> None:
        self.name, self.lr, self.data = name, lr, data
        self.batch_size = SIZES[name] or len(data["X_train"])
        generator = np.random.default_rng(seed)  # the same start for every contender
        self.model = nn.Sequential(nn.Linear(64, 64, generator=generator), nn.ReLU(),
                                   nn.Linear(64, 10, generator=generator))
        # Some of the grid's learning rates diverge: their NaN steps are skipped (and counted), the cost stays inf.
        self.opt = optim.SGD(self.model.parameters(), lr=lr, skip_nonfinite=True)
        self.stream = _endless(optim.minibatches(data["X_train"], data["y_train"], self.batch_size, seed=seed))
        self.step = _common.step_function(self.step, compiled)
        self.elapsed, self.steps, self.examples = 0.0, 0, 0
        self.history = [(0.0, self.train_cost())]

    def run_for(self, seconds: float) -> None:
        """Take steps until `seconds` of training time have passed (at least one step)."""
        start = time.thread_time()  # CPU time: what this training costs, whatever else the machine runs
        with np.errstate(over="ignore", invalid="ignore"):
            while True:
                xb, yb = next(self.stream)
                self.step(xb, yb)
                self.steps += 1
                self.examples += len(xb)
                if time.thread_time() - start >= seconds:
                    break
        self.elapsed += time.thread_time() - start
        self.history.append((self.elapsed, self.train_cost()))

    def step(self, xb: np.ndarray, yb: np.ndarray) -> None:
        """One step of gradient descent on a mini-batch."""
        self.opt.zero_grad()
        nn.functional.cross_entropy(self.model(Tensor(xb)), yb).backward()
        self.opt.step()

    def train_cost(self) -> float:
        with np.errstate(over="ignore", invalid="ignore"):
            cost = _common.evaluate(self.model, self.data["X_train"], self.data["y_train"])[0]
        return cost if np.isfinite(cost) else np.inf


def _endless(batches: optim.Minibatches) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Mini-batches forever, a fresh shuffle every epoch."""
    while True:
        yield from batches


def race(contenders: list[Contender], budget: float, rng: np.random.Generator) -> None:
    """Give every contender `budget` seconds of training, in turns of SLICE seconds, in a random order each round.

    BLAS runs on one thread throughout, whatever the environment says: several threads fight over a
    shared machine's cores on the big batch's matrices (measured: over 10 times slower under load), which
    would time the machine rather than the batch sizes.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        while True:
            waiting = [c for c in contenders if c.elapsed < budget]
            if not waiting:
                return
            for k in rng.permutation(len(waiting)):
                c = waiting[k]
                c.run_for(min(SLICE, budget - c.elapsed))


def plot_cost_vs_time(best: dict[str, Contender], path: Path) -> None:
    fig, (ax,) = _common.figure()
    for name, c in best.items():
        t, cost = np.array(c.history).T
        ax.plot(t, np.where(np.isfinite(cost), cost, np.nan), color=COLOURS[name],
                label=f"{name}, alpha = {c.lr:g}")
    ax.set_yscale("log")
    ax.set_xlabel("training time (s)")
    ax.set_ylabel("cost on the whole training set")
    ax.set_title("plain gradient descent, the same time for each batch size")
    ax.legend()
    _common.save(fig, path)


def plot_throughput(summary: dict[str, dict], path: Path) -> None:
    fig, axes = _common.figure(ncols=2, figsize=(10, 4))
    names = list(summary)
    for ax, key, label in zip(axes, ("steps_per_second", "examples_per_second"), ("steps", "examples")):
        ax.bar(range(len(names)), [summary[n][key]["mean"] for n in names], color=[COLOURS[n] for n in names])
        ax.set_xticks(range(len(names)), names)
        ax.set_yscale("log")
        ax.set_ylabel(f"{label} per second of training")
    fig.suptitle("what each step costs: stochastic steps are cheap, but carry one example each")
    _common.save(fig, path)


def main(out_dir: str = DEFAULT_OUT, quick: bool = False, seed: int = 0, compiled: bool = False) -> dict:
    out = _common.out_folder(out_dir)
    budget = 0.1 if quick else 0.3
    seeds = [seed] if quick else [seed, seed + 1, seed + 2]

    runs: dict[str, list[dict]] = {name: [] for name in SIZES}
    first_best: dict[str, Contender] = {}
    for s in seeds:
        data = _common.digits(s)
        contenders = [Contender(name, lr, data, s, compiled) for name in SIZES for lr in LEARNING_RATES[name]]
        race(contenders, budget, np.random.default_rng([s, 2]))
        for name in SIZES:
            mine = [c for c in contenders if c.name == name]
            c = min(mine, key=lambda c: c.history[-1][1])
            runs[name].append({"lr": c.lr, "train_cost": c.history[-1][1], "steps": c.steps,
                               "epochs": c.examples / len(data["X_train"]), "seconds": c.elapsed,
                               "steps_per_second": c.steps / c.elapsed, "examples_per_second": c.examples / c.elapsed,
                               "dev_accuracy": _common.evaluate(c.model, data["X_dev"], data["y_dev"])[1],
                               "best_at_edge": c.lr in (LEARNING_RATES[name][0], LEARNING_RATES[name][-1])})
            if s == seeds[0]:
                first_best[name] = c
    summary = {name: {key: _common.spread([r[key] for r in rs]) for key in
                      ("train_cost", "dev_accuracy", "steps", "epochs", "steps_per_second", "examples_per_second")}
               for name, rs in runs.items()}
    plot_cost_vs_time(first_best, out / "cost_vs_time.png")
    plot_throughput(summary, out / "throughput.png")

    print(f"digits, MLP 64 -> 64 -> 10, plain gradient descent, {budget:g} s of training for each batch size, "
          f"seeds {seeds[0]}..{seeds[-1]} (mean, and min..max)")
    print(f"{'batch size':<16} {'best alpha':>12} {'steps':>7} {'epochs':>7} {'examples/s':>11} "
          f"{'training cost':>28} {'dev accuracy':>13}")
    for name, r in summary.items():
        lrs = ", ".join(f"{x['lr']:g}" + ("*" if x["best_at_edge"] else "") for x in runs[name])
        c = r["train_cost"]
        cost_text = f"{c['mean']:.2e} ({c['min']:.1e}..{c['max']:.1e})"
        print(f"{name:<16} {lrs:>12} {r['steps']['mean']:7.0f} {r['epochs']['mean']:7.1f} "
              f"{r['examples_per_second']['mean']:11.3g} {cost_text:>28} {r['dev_accuracy']['mean']:13.1%}")
    if any(x["best_at_edge"] for rs in runs.values() for x in rs):
        print("(*: the best learning rate is at the edge of the grid tried)")
    print(f"figures in {out}/")
    return {"budget": budget, "seeds": seeds, "runs": runs, **summary}


if __name__ == "__main__":
    _common.run(main, __doc__)
