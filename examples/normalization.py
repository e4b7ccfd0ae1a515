"""Input normalization on vs off: the course notes' week 1 "normalizing inputs" experiment.

Two features on very different scales: x1 between 0 and 1, x2 between 0 and 1,000 (think of a
ratio next to a size in square feet), and a target that depends on both. The model is linear
(nn.Linear(2, 1) with the mean squared error), so that the cost is exactly the notes' bowl over
(w1, w2, b): elongated when the inputs are raw, round when they are normalized with the training
set's mu and sigma (tinygrad_notes.data.Normalizer, applied unchanged to the dev set).

Batch gradient descent is run for a fixed number of steps at learning rates from 1e-7 to 10; a
learning rate "converges" when the cost ends finite and below where it started. On a quadratic bowl
gradient descent converges exactly when alpha < 2 / lambda_max, lambda_max the largest eigenvalue of
the cost's Hessian H = (2/m) [X 1]^T [X 1], so the script prints that limit beside what it found.
Raw, lambda_max is about 2 * mean(x2^2), hundreds of thousands, and alpha must stay around 1e-6:
small enough for the steep w2 direction, far too small for w1 and b to move in the steps given.
Normalized, every direction has about the same curvature and alpha near 1 works.

What to look for: `lr_sweep.png` shows the final cost per learning rate for both (raw inputs blow
up past about 1e-6, normalized ones work up to about 1, each near its dotted 2 / lambda_max line);
`costs.png` shows the cost per step at each one's largest converging learning rate: normalized
reaches the noise floor (0.01, the noise's variance) in a few steps; raw settles w2 just as fast and
then stalls about a hundred times higher, since w1 and b hardly move.

    python examples/normalization.py [--out DIR] [--quick] [--seed N] [--compile]

--compile trains with compiled steps (tinygrad_notes.compile): the same numbers, less time.
"""

from __future__ import annotations

from pathlib import Path

import _common
import numpy as np

import nn
import optim
from tinygrad_notes import Tensor, no_grad
from tinygrad_notes.data import Normalizer

DEFAULT_OUT = _common.default_out(__file__)


def make_data(m: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """x1 in [0, 1], x2 in [0, 1000]; y = 2 x1 - 0.003 x2 + 1 + noise (both features matter about equally)."""
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.uniform(0, 1, m), rng.uniform(0, 1000, m)])
    y = 2 * X[:, 0] - 0.003 * X[:, 1] + 1 + rng.normal(0, 0.1, m)
    return X.astype(np.float32), y[:, None].astype(np.float32)


def stability_limit(X: np.ndarray) -> float:
    """2 / lambda_max of the Hessian of the mean squared error of a linear model: gradient descent's largest alpha."""
    A = np.column_stack([X, np.ones(len(X))]).astype(np.float64)
    hessian = 2 * A.T @ A / len(X)
    return float(2 / np.linalg.eigvalsh(hessian).max())


def train(X: np.ndarray, y: np.ndarray, lr: float, steps: int,
          compiled: bool = False) -> tuple[nn.Linear, list[float]]:
    """Batch gradient descent on the mean squared error from w = 0, b = 0; the cost before each step and after."""
    model = nn.Linear(2, 1, init="zeros")  # one linear unit has no symmetry to break: start both runs at w = 0
    opt = optim.SGD(model.parameters(), lr=lr)
    inputs, costs = Tensor(X), []

    def step() -> Tensor:  # forward and backward; the update stays outside, where a refused one can be caught
        opt.zero_grad()
        cost = nn.functional.mse_loss(model(inputs), y)
        cost.backward()
        return cost

    step = _common.step_function(step, compiled)
    with np.errstate(over="ignore", invalid="ignore"):  # the learning rates that diverge overflow, on purpose
        for _ in range(steps):
            costs.append(step().item())
            try:
                opt.step()
            except optim.NonFiniteGradError:  # diverged: the gradient overflowed, and SGD refuses to apply it
                return model, costs + [float("inf")]
        with no_grad():
            costs.append(nn.functional.mse_loss(model(inputs), y).item())
    return model, costs


def converged(costs: list[float]) -> bool:
    return bool(np.isfinite(costs[-1]) and costs[-1] < costs[0])


def plot_sweep(lrs: np.ndarray, sweeps: dict[str, list], limits: dict[str, float], start_cost: float,
               path: Path) -> None:
    ceiling = 100 * start_cost
    fig, (ax,) = _common.figure()
    for (name, finals), colour in zip(sweeps.items(), ("#cb181d", "#2171b5")):
        finals = np.asarray(finals)
        blown = ~(finals < ceiling)  # grew past the top of the chart, or overflowed
        ax.plot(lrs, np.where(blown, ceiling, finals), "-", color=colour, label=f"{name} inputs")
        ax.plot(lrs[~blown], finals[~blown], "o", color=colour, markersize=3)
        ax.plot(lrs[blown], np.full(blown.sum(), ceiling), "x", color=colour, markersize=7)
        ax.axvline(limits[name], color=colour, linestyle=":", label=f"{name}: 2 / lambda_max")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("learning rate alpha")
    ax.set_ylabel(f"cost after training (x: diverged, above {ceiling:.3g})")
    ax.set_title("final cost per learning rate")
    ax.legend(fontsize="small")
    _common.save(fig, path)


def plot_costs(curves: dict[str, tuple[float, list]], path: Path) -> None:
    fig, (ax,) = _common.figure(figsize=(7, 4.2))
    for (name, (lr, costs)), colour in zip(curves.items(), ("#cb181d", "#2171b5")):
        ax.plot(costs, color=colour, label=f"{name} inputs, alpha = {lr:.3g}")
    ax.set_yscale("log")
    ax.set_xlabel("gradient descent step")
    ax.set_ylabel("cost (mean squared error)")
    ax.set_title("each from w = 0 at its largest converging learning rate")
    ax.legend()
    _common.save(fig, path)


def main(out_dir: str = DEFAULT_OUT, quick: bool = False, seed: int = 0, compiled: bool = False) -> dict:
    out = _common.out_folder(out_dir)
    steps, per_decade = (100, 2) if quick else (200, 4)
    lrs = 10.0 ** (np.arange(-7 * per_decade, per_decade + 1) / per_decade)  # 1e-7 ... 10
    X, y = make_data(300, seed)
    X_train, y_train, X_dev, y_dev = X[:200], y[:200], X[200:], y[200:]
    normalizer = Normalizer().fit(X_train)  # mu and sigma of the training set, used for dev too
    inputs = {"raw": (X_train, X_dev), "normalized": (normalizer.transform(X_train), normalizer.transform(X_dev))}

    results, sweeps, limits, curves = {}, {}, {}, {}
    for name, (train_X, dev_X) in inputs.items():
        models, runs = zip(*(train(train_X, y_train, float(lr), steps, compiled) for lr in lrs))
        sweeps[name] = [costs[-1] for costs in runs]
        limits[name] = stability_limit(train_X)
        ok = [i for i, costs in enumerate(runs) if converged(costs)]
        best = ok[-1]  # the largest converging learning rate (the smallest ones always converge)
        curves[name] = (float(lrs[best]), runs[best])
        with no_grad():
            dev_cost = nn.functional.mse_loss(models[best](Tensor(dev_X)), y_dev).item()
        first_failure = next((float(lrs[i]) for i in range(best + 1, len(lrs)) if not converged(runs[i])), None)
        results[name] = {"largest_converging_lr": float(lrs[best]), "first_failing_lr": first_failure,
                         "theoretical_limit": limits[name], "final_cost": runs[best][-1], "dev_cost": dev_cost,
                         "lowest_final_cost": min(c for c in sweeps[name] if np.isfinite(c))}
    start_cost = curves["raw"][1][0]  # the same for both: every run starts at w = 0, b = 0
    plot_sweep(lrs, sweeps, limits, start_cost, out / "lr_sweep.png")
    plot_costs(curves, out / "costs.png")

    print(f"linear model, mean squared error, {steps} steps of batch gradient descent per learning rate "
          f"({per_decade} per decade from 1e-7 to 10)")
    print(f"{'inputs':<11} {'largest converging alpha':>24} {'2 / lambda_max':>15} {'first failing':>14} "
          f"{'cost there':>11} {'dev cost':>9} {'best cost':>10}")
    for name, r in results.items():
        failing = "none" if r["first_failing_lr"] is None else f"{r['first_failing_lr']:.3g}"
        print(f"{name:<11} {r['largest_converging_lr']:24.3g} {r['theoretical_limit']:15.3g} {failing:>14} "
              f"{r['final_cost']:11.4g} {r['dev_cost']:9.4g} {r['lowest_final_cost']:10.4g}")
    print(f"figures in {out}/")
    return {"steps": steps, "learning_rates": lrs.tolist(), **results}


if __name__ == "__main__":
    _common.run(main, __doc__, seed_help="seed of the data")
