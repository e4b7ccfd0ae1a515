"""Vanishing and exploding gradients in a 50-layer network: the course notes' week 1 experiment, and the fix.

Three parts, every network L = 50 layers deep:

1. The notes' deep linear network y = W[L] ... W[1] x with every W[l] = s I (no bias). Then
   y = s^L x exactly: with s = 1.5 the output is 1.5^50 = 6.4e8 times the input, with s = 0.5 it
   is 0.5^50 = 8.9e-16 times it. The gradients follow: for J = sum(y), dJ/dW[l] = s^(L-1) 1 x^T
   in every layer. The script prints both next to these closed forms.
2. A 50-layer ReLU network of width 64 on the digits, weights drawn N(0, g^2 * 2/n_in): g = 1 is
   He initialization (the notes' choice for ReLU); g = 0.5 and g = 1.5 are "a little below" and
   "a little above". A ReLU layer multiplies the activations' root mean square by about g, so
   they shrink like 0.5^l, stay level, or grow like 1.5^l, and the gradients of the weights
   (measured after one backward of the cross-entropy) come out near 0.5^50, 1 and 1.5^50. The
   fourth network is tanh with the notes' Xavier initialization N(0, 1/n_in): its activations
   shrink only slowly (tanh' < 1 away from 0), nothing like 0.5^l. The factor per layer is fitted
   to log RMS over the layers.
3. Training each for a few epochs of Adam (alpha = 1e-3, mini-batches of 64): He and Xavier-tanh
   learn (slowly: 50 plain layers are hard to train even from a good start); g = 0.5 stays at the
   cost of a uniform guess, ln 10, since its gradients of 1e-15 cannot move the weights (Adam's
   eps = 1e-8 dwarfs them); g = 1.5 starts at a cost in the hundreds of millions. With plain gradient
   descent (alpha = 0.01) the g = 1.5 network's first steps overflow to NaN;
   `nn.utils.clip_grad_norm_(params, 1.0)` caps every step and keeps it finite, but the cost stays
   huge: clipping treats a symptom, initialization fixes the scale.

Parts 2 and 3 run over 3 seeds (data split and weights; one with --quick), and report the mean and
the spread.

What to look for: `layers.png` for part 2, the RMS of each layer's activations (log scale, dotted:
g^l) and each layer's weight-gradient norm; `linear.png` for part 1; `training.png` the cost per
step in part 3.

    python examples/vanishing_exploding.py [--out DIR] [--quick] [--seed N] [--compile]

--compile trains with compiled steps (tinygrad_notes.compile): the same numbers, less time.
"""

from __future__ import annotations

import math
from functools import partial
from pathlib import Path

import _common
import numpy as np

import nn
import optim
from tinygrad_notes import Tensor, no_grad

DEFAULT_OUT = _common.default_out(__file__)
DEPTH, WIDTH = 50, 64
LINEAR_SCALES = (1.5, 0.5)
NETWORKS = {  # name: (activation, initializer, expected gain per layer)
    "ReLU, g = 0.5": (nn.ReLU, partial(nn.init.he_normal_, gain=0.5), 0.5),
    "ReLU, He (g = 1)": (nn.ReLU, nn.init.he_normal_, 1.0),
    "ReLU, g = 1.5": (nn.ReLU, partial(nn.init.he_normal_, gain=1.5), 1.5),
    "tanh, Xavier": (nn.Tanh, nn.init.xavier_normal_, 1.0),
}
COLOURS = dict(zip(NETWORKS, ("#2171b5", "#238b45", "#cb181d", "#6a51a3")))


# ---- part 1: the notes' deep linear network --------------------------------------------------------------
def linear_network(scale: float, x: np.ndarray) -> dict:
    """y = (s I)^L x in float64; activation norms per layer and every layer's weight gradient for J = sum(y)."""
    n = len(x)
    weights = [Tensor(scale * np.eye(n), requires_grad=True) for _ in range(DEPTH)]
    a, norms = Tensor(x[None, :]), [float(np.linalg.norm(x))]
    for W in weights:
        a = a @ W.T  # nn.Linear's convention: x @ W^T
        norms.append(float(np.linalg.norm(a.data)))
    a.sum().backward()
    grad_norms = [float(np.linalg.norm(W.grad.data)) for W in weights]
    return {"activation_norms": norms, "grad_norms": grad_norms, "output_ratio": norms[-1] / norms[0],
            "closed_form_ratio": scale**DEPTH,
            "closed_form_grad_norm": scale ** (DEPTH - 1) * math.sqrt(n) * float(np.linalg.norm(x))}


# ---- part 2: deep nonlinear networks at initialization ------------------------------------------------------
def build(name: str, generator: np.random.Generator) -> nn.Sequential:
    activation, init, _ = NETWORKS[name]
    layers: list[nn.Module] = []
    n_in = 64
    for layer in range(DEPTH):
        n_out = 10 if layer == DEPTH - 1 else WIDTH
        layers.append(nn.Linear(n_in, n_out, init=init, generator=generator))
        if layer < DEPTH - 1:
            layers.append(activation())
        n_in = n_out
    return nn.Sequential(*layers)


def measure(model: nn.Sequential, X: np.ndarray, y: np.ndarray) -> dict:
    """RMS of the activations after each hidden layer (and of the logits), and ||dJ/dW[l]|| for every layer."""
    a, rms = Tensor(X), []
    with np.errstate(over="ignore", invalid="ignore"):
        for module in model:
            a = module(a)
            if not isinstance(module, nn.Linear) or module is model[len(model) - 1]:
                rms.append(float(np.sqrt(np.mean(a.data.astype(np.float64) ** 2))))
        nn.functional.cross_entropy(a, y).backward()
    grads = [float(np.linalg.norm(m.weight.grad.data.astype(np.float64))) for m in model if isinstance(m, nn.Linear)]
    model.zero_grad()
    return {"activation_rms": rms, "grad_norms": grads, "rate": fitted_rate(rms)}


def fitted_rate(rms: list[float]) -> float:
    """The factor per layer: exp of the least-squares slope of log RMS over the layers."""
    layers = np.arange(1, len(rms) + 1)
    return float(np.exp(np.polyfit(layers, np.log(np.asarray(rms)), 1)[0]))


# ---- part 3: training ---------------------------------------------------------------------------------------
def train(model: nn.Sequential, data: dict, epochs: int, seed: int, opt: optim.Optimizer,
          clip: float | None = None, compiled: bool = False) -> list[float]:
    """Mini-batches of 64; the cost of every step, up to the first that overflows to NaN (nothing comes back)."""
    costs: list[float] = []
    batches = optim.minibatches(data["X_train"], data["y_train"], batch_size=64, seed=seed)

    forward_backward = _common.cross_entropy_step(model, opt, compiled)
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(epochs):
            for xb, yb in batches:
                costs.append(forward_backward(xb, yb).item())
                if not np.isfinite(costs[-1]):  # no step from a NaN gradient
                    return costs
                if clip is not None:  # reads the gradients' norm into Python: outside the compiled part
                    nn.utils.clip_grad_norm_(model.parameters(), max_norm=clip)
                opt.step()
    return costs


def summary(costs: list[float], model: nn.Module, data: dict) -> dict:
    """The first step's cost, the mean cost of the last epoch's steps, the dev accuracy, the first NaN step."""
    steps_per_epoch = len(optim.minibatches(data["X_train"], batch_size=64))
    with no_grad(), np.errstate(over="ignore", invalid="ignore"):
        accuracy = _common.evaluate(model, data["X_dev"], data["y_dev"])[1]
    finite = np.isfinite(costs[-1])
    return {"first_cost": costs[0], "last_epoch_cost": float(np.mean(costs[-steps_per_epoch:])) if finite else np.nan,
            "dev_accuracy": accuracy,
            "first_nan_step": next((i + 1 for i, c in enumerate(costs) if not np.isfinite(c)), None)}


# ---- figures -------------------------------------------------------------------------------------------------
def plot_linear(runs: dict[float, dict], path: Path) -> None:
    fig, (ax,) = _common.figure()
    layers = np.arange(DEPTH + 1)
    for scale, r in runs.items():
        ax.plot(layers, r["activation_norms"], "o", markersize=3, label=f"W[l] = {scale} I: ||a[l]||")
        ax.plot(layers, r["activation_norms"][0] * scale**layers, "k:", linewidth=1)
    ax.set_yscale("log")
    ax.set_xlabel("layer l")
    ax.set_ylabel("norm of the activations")
    ax.set_title(f"the notes' deep linear network (dotted: ||x|| s^l), L = {DEPTH}")
    ax.legend()
    _common.save(fig, path)


def plot_layers(results: dict[str, dict], path: Path) -> None:
    """Left: each layer's activation RMS (dotted: the first layer's times g^l); right: each layer's ||dJ/dW||."""
    fig, axes = _common.figure(ncols=2, figsize=(12, 4.6))
    for name, r in results.items():
        for ax, key in zip(axes, ("activation_rms", "grad_norms")):
            values = np.asarray(r[key])
            layers = np.arange(1, len(values) + 1)
            ax.plot(layers, values, "o-", markersize=2.5, color=COLOURS[name], label=name)
        rms = np.asarray(r["activation_rms"])
        axes[0].plot(layers, rms[0] * NETWORKS[name][2] ** np.arange(len(rms)), ":", color=COLOURS[name], linewidth=1)
    axes[0].set_ylabel("RMS of the activations")
    axes[0].set_title(f"{DEPTH} layers at initialization (dotted: g^l)")
    axes[1].set_ylabel("||dJ/dW[l]||")
    axes[1].set_title("each layer's weight gradient after one backward")
    for ax in axes:
        ax.set_yscale("log")
        ax.set_xlabel("layer l")
        ax.legend(fontsize="small")
    _common.save(fig, path)


def plot_training(curves: dict[str, list[float]], path: Path) -> None:
    """Left: the networks whose cost stays near ln 10 (linear scale); right: g = 1.5's, in the hundreds of millions."""
    fig, axes = _common.figure(ncols=2, figsize=(11, 4.5))
    for name, costs in curves.items():
        costs = np.asarray(costs)
        ax = axes[1] if name.startswith("ReLU, g = 1.5") else axes[0]
        style = "-" if "Adam" in name else ("--" if "clip" in name else "x:")
        ax.plot(np.arange(1, len(costs) + 1), np.where(np.isfinite(costs), costs, np.nan), style, label=name,
                color=COLOURS[name.split(":")[0]])
    axes[0].axhline(math.log(10), color="grey", linestyle=":", linewidth=1, label="ln 10: a uniform guess")
    axes[1].set_yscale("log")
    axes[0].set_title(f"training the {DEPTH}-layer networks")
    axes[1].set_title("g = 1.5 (plain SGD: NaN after its first step)")
    for ax in axes:
        ax.set_xlabel("mini-batch step")
        ax.set_ylabel("mini-batch cost (cross-entropy)")
        ax.legend(fontsize="x-small")
    _common.save(fig, path)


def main(out_dir: str = DEFAULT_OUT, quick: bool = False, seed: int = 0, compiled: bool = False) -> dict:
    out = _common.out_folder(out_dir)
    epochs = 4 if quick else 10
    seeds = [seed] if quick else [seed, seed + 1, seed + 2]

    # part 1
    x = np.random.default_rng(seed).standard_normal(2)
    linear = {s: linear_network(s, x) for s in LINEAR_SCALES}
    plot_linear(linear, out / "linear.png")

    # part 2, over the seeds (the first seed's layers are drawn)
    curves: dict[str, list[float]] = {}
    at_init: dict[str, list[dict]] = {name: [] for name in NETWORKS}
    for s in seeds:
        data = _common.digits(s)
        X, y = data["X_train"][:256], data["y_train"][:256]
        for name in NETWORKS:
            at_init[name].append(measure(build(name, np.random.default_rng(s)), X, y))
    first = {name: runs[0] for name, runs in at_init.items()}
    plot_layers(first, out / "layers.png")

    # part 3, over the seeds (the first seed's curves are drawn)
    per_seed: dict[str, list[dict]] = {}
    for s in seeds:
        data = _common.digits(s)
        runs: dict[str, tuple[nn.Module, optim.Optimizer, float | None]] = {}
        for name in NETWORKS:
            model = build(name, np.random.default_rng(s))
            runs[f"{name}: Adam"] = (model, optim.Adam(model.parameters(), lr=1e-3), None)
        for clip in (None, 1.0):
            model = build("ReLU, g = 1.5", np.random.default_rng(s))
            runs["ReLU, g = 1.5: SGD" + (", clipped at 1" if clip else "")] = \
                (model, optim.SGD(model.parameters(), lr=0.01), clip)
        for label, (model, opt, clip) in runs.items():
            costs = train(model, data, epochs, s, opt, clip, compiled)
            per_seed.setdefault(label, []).append(summary(costs, model, data))
            if s == seeds[0]:
                curves[label] = costs
    trained = {label: runs[0] for label, runs in per_seed.items()}
    over_seeds = {label: {k: _common.spread([r[k] for r in runs]) for k in ("last_epoch_cost", "dev_accuracy")}
                  for label, runs in per_seed.items()}
    plot_training(curves, out / "training.png")

    results = {name: {"rate": _common.spread([r["rate"] for r in runs]),
                      "first_layer_grad": _common.spread([r["grad_norms"][0] for r in runs]),
                      "last_rms": _common.spread([r["activation_rms"][-2] for r in runs]),
                      "activation_rms": runs[0]["activation_rms"], "grad_norms": runs[0]["grad_norms"]}
               for name, runs in at_init.items()}

    print(f"1. the notes' linear network, L = {DEPTH}, W[l] = s I, x = {np.round(x, 3).tolist()}")
    print(f"{'s':>5} {'||y|| / ||x||':>14} {'s^L':>10} {'||dJ/dW[l]||, every l':>22} {'s^(L-1) sqrt(n) ||x||':>22}")
    for s, r in linear.items():
        print(f"{s:5} {r['output_ratio']:14.4g} {r['closed_form_ratio']:10.4g} {r['grad_norms'][0]:22.4g} "
              f"{r['closed_form_grad_norm']:22.4g}")
    print(f"\n2. {DEPTH}-layer networks of width {WIDTH} at initialization, seeds {seeds[0]}..{seeds[-1]} "
          "(mean, and min to max)")
    print(f"{'network':<17} {'factor per layer':>22} {'RMS at layer 49':>25} {'||dJ/dW[1]||':>25}")
    for name, r in results.items():
        print(f"{name:<17} " + " ".join(f"{_fmt(r[k]):>{w}}" for k, w in
                                       (("rate", 22), ("last_rms", 25), ("first_layer_grad", 25))))
    print(f"\n3. training, {epochs} epochs of mini-batches of 64, seeds {seeds[0]}..{seeds[-1]} (mean, and min to max)")
    print(f"{'network: optimizer':<34} {'first cost':>10} {'last epoch cost':>30} {'dev accuracy':>22}")
    for label, r in over_seeds.items():
        nan_steps = [x["first_nan_step"] for x in per_seed[label] if x["first_nan_step"]]
        nan = f"  (NaN from step {', '.join(map(str, nan_steps))})" if nan_steps else ""
        c, a = r["last_epoch_cost"], r["dev_accuracy"]
        cost_text = f"{c['mean']:.4g} ({c['min']:.3g}..{c['max']:.3g})" if not nan_steps else "nan"
        acc_text = f"{a['mean']:.1%} ({a['min']:.0%}..{a['max']:.0%})"
        print(f"{label:<34} {trained[label]['first_cost']:10.4g} {cost_text:>30} {acc_text:>22}{nan}")
    print(f"figures in {out}/")
    return {"epochs": epochs, "seeds": seeds, "linear": linear, "at_init": results, "trained": trained,
            "trained_over_seeds": over_seeds}


def _fmt(s: dict[str, float]) -> str:
    return f"{s['mean']:.3g} ({s['min']:.2g}..{s['max']:.2g})"


if __name__ == "__main__":
    _common.run(main, __doc__)
