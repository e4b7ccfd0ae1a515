"""Batch norm on vs off in a deeper network: the course notes' week 3 "batch normalization".

A network 8 hidden layers deep (64 units each, ReLU, He initialization) learns the 8x8 handwritten
digits (normalized with the training set's statistics) twice, with the same start, mini-batches of
64 and plain gradient descent at the same learning rate (0.2):

- without batch norm: Linear -> ReLU, eight times;
- with batch norm: Linear (no bias: batch norm's beta takes its place) -> BatchNorm1d -> ReLU.

Batch norm normalizes each layer's z over the mini-batch, z_norm = (z - mu) / sqrt(sigma^2 + eps),
then scales and shifts it by the learned gamma and beta, so each layer sees inputs of a steady scale
however the layers before it change (the notes' "covariate shift"). The costs and accuracies are
measured after each epoch in eval mode, where batch norm uses the running averages of mu and
sigma^2 gathered during training (the notes' test-time recipe).

What to look for in `curves.png`: with batch norm the cost falls much faster in the first epochs
and the accuracy climbs steadily; without it the first epochs are slow, and at this learning rate
some steps overshoot (the spikes).
Later both fit the training set; batch norm's small regularizing effect (the noise of mini-batch
statistics) tends to show as a slightly better dev accuracy.

    python examples/batchnorm.py [--out DIR] [--quick] [--seed N] [--compile]

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
DEPTH, WIDTH, LR = 8, 64, 0.2
RUNS = {"without batch norm": False, "with batch norm": True}


def build_model(batch_norm: bool, generator: np.random.Generator) -> nn.Sequential:
    layers, n_in = [], 64
    for _ in range(DEPTH):
        if batch_norm:
            layers += [nn.Linear(n_in, WIDTH, bias=False, generator=generator), nn.BatchNorm1d(WIDTH), nn.ReLU()]
        else:
            layers += [nn.Linear(n_in, WIDTH, generator=generator), nn.ReLU()]
        n_in = WIDTH
    return nn.Sequential(*layers, nn.Linear(n_in, 10, generator=generator))


def train(batch_norm: bool, data: dict, epochs: int, seed: int, compiled: bool = False) -> dict[str, list]:
    """Mini-batch gradient descent; train and dev cost and accuracy after every epoch."""
    model = build_model(batch_norm, np.random.default_rng(seed))
    opt = optim.SGD(model.parameters(), lr=LR)
    batches = optim.minibatches(data["X_train"], data["y_train"], batch_size=64, seed=seed)
    history: dict[str, list] = {"train_cost": [], "dev_cost": [], "train_accuracy": [], "dev_accuracy": []}

    def step(xb: np.ndarray, yb: np.ndarray) -> None:
        opt.zero_grad()
        nn.functional.cross_entropy(model(Tensor(xb)), yb).backward()
        opt.step()  # batch norm's running averages are updated in the forward, compiled or not

    step = _common.step_function(step, compiled)
    for _ in range(epochs):
        for xb, yb in batches:
            step(xb, yb)
        for split in ("train", "dev"):
            cost, acc = _common.evaluate(model, data[f"X_{split}"], data[f"y_{split}"])
            history[f"{split}_cost"].append(cost)
            history[f"{split}_accuracy"].append(acc)
    return history


def plot_curves(histories: dict[str, dict], path: Path) -> None:
    fig, (cost_ax, acc_ax) = _common.figure(ncols=2, figsize=(10, 4.2))
    for (run, h), colour in zip(histories.items(), ("#cb181d", "#2171b5")):
        epochs = np.arange(1, len(h["train_cost"]) + 1)
        cost_ax.plot(epochs, h["train_cost"], "o-", color=colour, markersize=3, label=f"{run}: train")
        cost_ax.plot(epochs, h["dev_cost"], "--", color=colour, label=f"{run}: dev")
        acc_ax.plot(epochs, h["train_accuracy"], "o-", color=colour, markersize=3, label=f"{run}: train")
        acc_ax.plot(epochs, h["dev_accuracy"], "--", color=colour, label=f"{run}: dev")
    cost_ax.set_yscale("log")
    cost_ax.set_ylabel("cost (cross-entropy)")
    acc_ax.set_ylabel("accuracy")
    for ax in (cost_ax, acc_ax):
        ax.set_xlabel("epoch")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(fontsize="small")
    fig.suptitle(f"{DEPTH} hidden layers of {WIDTH}, gradient descent at alpha = {LR}, mini-batches of 64")
    _common.save(fig, path)


def main(out_dir: str = DEFAULT_OUT, quick: bool = False, seed: int = 0, compiled: bool = False) -> dict:
    out = _common.out_folder(out_dir)
    epochs = 3 if quick else 20
    data = _common.digits(seed, (0.7, 0.3, 0.0))  # normalized with the training set's statistics
    y_train, y_dev = data["y_train"], data["y_dev"]

    histories = {run: train(batch_norm, data, epochs, seed, compiled) for run, batch_norm in RUNS.items()}
    plot_curves(histories, out / "curves.png")

    print(f"digits: {len(y_train)} training and {len(y_dev)} dev images; {DEPTH} hidden layers of {WIDTH}, "
          f"{epochs} epochs of mini-batch gradient descent at alpha = {LR}")
    shown = sorted({1, 2, 3, epochs // 2, epochs} - {0})
    print(f"{'run':<19} " + " ".join(f"{'epoch ' + str(e):>15}" for e in shown) + "   (train cost / dev accuracy)")
    results = {}
    for run, h in histories.items():
        print(f"{run:<19} " + " ".join(f"{h['train_cost'][e - 1]:7.4f} / {h['dev_accuracy'][e - 1]:5.1%}"
                                       for e in shown))
        results[run] = {"train_cost": h["train_cost"], "dev_accuracy": h["dev_accuracy"],
                        "final_train_cost": h["train_cost"][-1], "final_dev_accuracy": h["dev_accuracy"][-1]}
    print(f"figures in {out}/")
    return {"epochs": epochs, **results}


if __name__ == "__main__":
    _common.run(main, __doc__, seed_help="seed of the split, the initial weights and the batches")
