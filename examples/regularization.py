"""No regularization vs L2 vs dropout: the course notes' week 1 "regularizing your neural network" experiment.

A network far bigger than the problem needs (2 -> 100 -> 100 -> 1, ReLU) learns 200 moons points
of which 15% carry the wrong label (flipped at random), and is judged on 500 dev points from the
same distribution. No classifier can beat about 15% error here: that is the base (Bayes) error the
notes' bias/variance reading compares with. Three runs with the same data, start and optimizer
(full-batch Adam):

- no regularization: the network learns the flipped labels too; the training error falls far below
  15% and the dev cost climbs back up: high variance (the notes: train error low, dev error much
  higher).
- L2: the cost gets (lambd / 2m) * sum ||W||_F^2 added (nn.l2_penalty), so the weights stay small
  ("weight decay") and the boundary smooth.
- dropout: inverted dropout after each hidden layer (nn.Dropout), a fresh mask every step, none when
  evaluating. The costs plotted are those of the network without dropout (the notes: with dropout
  the cost is not well defined).

What to look for: in `costs.png` the dev cost (dashed) of the unregularized network turns up while
its train cost (solid) keeps falling, while with L2 and dropout the two stay close;
`curves_<run>.png` adds accuracies and the notes' bias/variance reading; `boundary_<run>.png`
shows the unregularized boundary wrapping around single mislabelled points, the regularized ones smooth.

    python examples/regularization.py [--out DIR] [--quick] [--seed N] [--compile]

--compile trains with compiled steps (tinygrad_notes.compile): the same numbers, less time.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import _common
import numpy as np

import nn
import optim
import viz
from tinygrad_notes import Tensor, no_grad
from tinygrad_notes.datasets import make_moons

DEFAULT_OUT = _common.default_out(__file__)
LAMBD = 1.0  # L2 strength (the notes' lambd)
DROP = 0.5  # dropout probability of each hidden unit (keep_prob = 0.5)
FLIP = 0.15  # fraction of labels flipped: the base error no classifier can beat
EVAL_EVERY = 10  # epochs between two evaluations of the train and dev cost
RUNS = ("none", "L2", "dropout")


def build_model(run: str, hidden: int, generator: np.random.Generator) -> nn.Sequential:
    """The big network; with dropout after each hidden layer for the dropout run."""
    def dropout() -> nn.Module:
        return nn.Dropout(DROP, generator=generator) if run == "dropout" else nn.Identity()

    return nn.Sequential(
        nn.Linear(2, hidden, generator=generator), nn.ReLU(), dropout(),
        nn.Linear(hidden, hidden, generator=generator), nn.ReLU(), dropout(),
        nn.Linear(hidden, 1, generator=generator),
    )


def logits_of(model: nn.Module, X: np.ndarray) -> Tensor:
    """The network's output in eval mode (no dropout: the notes' test time), without recording a graph."""
    model.eval()
    with no_grad():
        logits = model(Tensor(X))
    model.train()
    return logits


def predict(model: nn.Module, X: np.ndarray) -> np.ndarray:
    return logits_of(model, X).data[:, 0] > 0


def evaluate(model: nn.Module, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(cross-entropy cost, accuracy) of the network in eval mode."""
    logits = logits_of(model, X)
    cost = nn.functional.binary_cross_entropy_with_logits(logits, y[:, None].astype(np.float32)).item()
    return cost, float(((logits.data[:, 0] > 0) == y).mean())


def train(run: str, model: nn.Module, data: dict, epochs: int, compiled: bool = False) -> dict[str, list]:
    """Full-batch Adam; train and dev cost and accuracy every EVAL_EVERY epochs."""
    opt = optim.Adam(model.parameters(), lr=0.01)
    X, y = data["X_train"], data["y_train"]
    inputs, targets = Tensor(X), y[:, None].astype(np.float32)
    history: dict[str, list] = {"train_cost": [], "dev_cost": [], "train_accuracy": [], "dev_accuracy": []}

    def step() -> None:  # dropout draws a new mask on every call, compiled or not, from the model's generator
        opt.zero_grad()
        cost = nn.functional.binary_cross_entropy_with_logits(model(inputs), targets)
        if run == "L2":
            cost = cost + nn.l2_penalty(model, LAMBD, m=len(y))
        cost.backward()
        opt.step()

    step = _common.step_function(step, compiled)
    for epoch in range(1, epochs + 1):
        step()
        if epoch % EVAL_EVERY:
            continue
        for split in ("train", "dev"):
            c, a = evaluate(model, data[f"X_{split}"], data[f"y_{split}"])
            history[f"{split}_cost"].append(c)
            history[f"{split}_accuracy"].append(a)
    return history


def plot_costs(histories: dict[str, dict], path: Path) -> None:
    fig, (ax,) = _common.figure(figsize=(7, 4.2))
    for (run, h), colour in zip(histories.items(), ("#cb181d", "#2171b5", "#238b45")):
        epochs = EVAL_EVERY * np.arange(1, len(h["train_cost"]) + 1)
        ax.plot(epochs, h["train_cost"], color=colour, label=f"{run}: train")
        ax.plot(epochs, h["dev_cost"], color=colour, linestyle="--", label=f"{run}: dev")
    ax.set_yscale("log")
    ax.set_xlabel("epoch (one Adam step on the whole training set)")
    ax.set_ylabel("cost (cross-entropy, without the penalty)")
    ax.set_title("train (solid) and dev (dashed) cost")
    ax.legend(ncols=3, fontsize="small")
    _common.save(fig, path)


def main(out_dir: str = DEFAULT_OUT, quick: bool = False, seed: int = 0, compiled: bool = False) -> dict:
    out = _common.out_folder(out_dir)
    epochs, hidden = (500, 50) if quick else (2000, 100)
    X, y = make_moons(700, noise=0.15, seed=seed)
    flipped = np.random.default_rng([seed, 1]).random(len(y)) < FLIP  # a random stream of its own
    y = np.where(flipped, 1 - y, y)
    data = {"X_train": X[:200], "y_train": y[:200], "X_dev": X[200:], "y_dev": y[200:]}

    results, histories = {}, {}
    for run in RUNS:
        model = build_model(run, hidden, np.random.default_rng(seed))
        h = histories[run] = train(run, model, data, epochs, compiled)
        tag = run.lower()
        viz.plot_learning_curves(h["train_cost"], h["dev_cost"], train_accuracy=h["train_accuracy"],
                                 dev_accuracy=h["dev_accuracy"], base_error=FLIP, title=f"{run}: learning curves",
                                 xlabel=f"evaluation (every {EVAL_EVERY} epochs)",
                                 path=out / f"curves_{tag}.png")
        viz.plot_decision_boundary(partial(predict, model), X[:200], y[:200],
                                   title=f"{run}: decision boundary (training points)",
                                   path=out / f"boundary_{tag}.png")
        train_error, dev_error = 1 - h["train_accuracy"][-1], 1 - h["dev_accuracy"][-1]
        results[run] = {
            "train_cost": h["train_cost"][-1], "dev_cost": h["dev_cost"][-1],
            "train_accuracy": h["train_accuracy"][-1], "dev_accuracy": h["dev_accuracy"][-1],
            "variance": dev_error - train_error,  # the notes' variance: dev error minus train error
            "lowest_dev_cost": min(h["dev_cost"]),
            "diagnosis": viz.diagnose(train_error, dev_error, base_error=FLIP),
        }
    plot_costs(histories, out / "costs.png")

    print(f"2 -> {hidden} -> {hidden} -> 1 network, 200 training and 500 dev points ({FLIP:.0%} of labels flipped: "
          f"the base error), {epochs} epochs of Adam; L2 lambd = {LAMBD}, dropout p = {DROP}")
    print(f"{'run':<8} {'train cost':>10} {'dev cost':>9} {'train acc':>10} {'dev acc':>8} {'dev-train error':>16}  "
          "reading")
    for run, r in results.items():
        print(f"{run:<8} {r['train_cost']:10.3f} {r['dev_cost']:9.3f} {r['train_accuracy']:10.1%} "
              f"{r['dev_accuracy']:8.1%} {r['variance']:16.1%}  {r['diagnosis']}")
    print(f"figures in {out}/")
    return {"epochs": epochs, "hidden": hidden, **results}


if __name__ == "__main__":
    _common.run(main, __doc__, seed_help="seed of the data, the initial weights and the masks")
