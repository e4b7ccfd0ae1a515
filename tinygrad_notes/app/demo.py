"""The main job: the course notes end to end on handwritten digits, every figure written to a folder.

Split train/dev/test, normalize with the training statistics, build an MLP with He
initialization, gradient-check it at random initialization, train with mini-batch
Adam, learning-rate decay, L2 and dropout and early stopping on the dev cost,
gradient-check it again, read bias and variance off the errors, and write the
computation graph, the learning curves, the per-layer gradient norms, a
checkpoint and `report.json`. nn, optim and viz are imported inside `run`, so
importing tinygrad_notes never needs them.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tinygrad_notes.data import Normalizer, train_dev_test_split
from tinygrad_notes.datasets import load_digits
from tinygrad_notes.jit import compile as compile_step
from tinygrad_notes.mode import no_grad
from tinygrad_notes.tensor import Tensor


@dataclass
class DemoConfig:
    """The demo's settings; the defaults reach about 98% test accuracy in a few seconds of training."""

    out: str = "out/demo"
    seed: int = 0
    hidden: tuple[int, ...] = (128,)
    dropout: float = 0.2  # p of nn.Dropout: each hidden unit is kept with probability 0.8
    lambd: float = 0.1  # L2 strength λ in λ/(2m) Σ‖W‖²
    lr: float = 2e-3
    decay_rate: float = 0.05  # α = α₀ / (1 + decay_rate · epoch)
    batch_size: int = 64
    max_epochs: int = 1000  # a cap only: early stopping ends training (about 100 epochs with the defaults)
    patience: int = 8
    check_examples: int = 32  # examples the gradient checks' cost J is computed on
    progress: bool = True
    sizes: tuple[float, float, float] = (0.6, 0.2, 0.2)
    compile: bool = False  # train with a compiled step (tinygrad_notes.compile): same results, less overhead


@dataclass
class Digits:
    """The digits split three ways and normalized with the training statistics."""

    Xtr: np.ndarray
    ytr: np.ndarray
    Xdv: np.ndarray
    ydv: np.ndarray
    Xte: np.ndarray
    yte: np.ndarray
    normalizer: Normalizer


def load_split(seed: int, sizes: tuple[float, float, float] = (0.6, 0.2, 0.2)) -> Digits:
    """The notes' recipe: a stratified train/dev/test split, then μ and σ² of the training set for all three."""
    X, y = load_digits()
    Xtr, ytr, Xdv, ydv, Xte, yte = train_dev_test_split(X, y, sizes, seed=seed, stratify=True)
    normalizer = Normalizer().fit(Xtr)
    return Digits(normalizer.transform(Xtr), ytr, normalizer.transform(Xdv), ydv, normalizer.transform(Xte), yte,
                  normalizer)


def build_mlp(n_in: int, hidden: tuple[int, ...], dropout: float, rng: np.random.Generator) -> Any:
    """Linear layers with He initialization (sqrt(2/n_in), the notes' choice for ReLU), dropout after each ReLU."""
    import nn

    layers: list[Any] = []
    sizes = (n_in, *hidden)
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b, init="he", generator=rng), nn.ReLU()]
        if dropout:
            layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers, nn.Linear(sizes[-1], 10, init="he", generator=rng))


def cost(logits: Tensor, labels: np.ndarray) -> Tensor:
    """Softmax cross-entropy, the cost J without its regularization term."""
    import nn

    return nn.functional.cross_entropy(logits, labels)


def train(model: Any, data: Digits, *, lr: float, lambd: float, beta1: float = 0.9, decay_rate: float = 0.05,
          batch_size: int = 64, max_epochs: int = 1000, patience: int = 8, seed: int = 0,
          on_epoch: Any = None, compiled: bool = False) -> dict[str, Any]:
    """Mini-batch Adam with learning-rate decay and L2, early stopping on the dev cost (best weights restored).

    `compiled=True` runs each mini-batch step through `tinygrad_notes.compile`: the same numbers, bit for bit.
    """
    import nn
    import optim

    opt = optim.Adam(model.parameters(), lr=lr, betas=(beta1, 0.999))
    schedule = optim.InverseTimeDecay(opt, decay_rate=decay_rate)
    stopper = optim.EarlyStopping(patience=patience)
    history: dict[str, list[float]] = {"train_cost": [], "dev_cost": [], "train_accuracy": [], "dev_accuracy": [],
                                       "lr": []}
    def step(xb: np.ndarray, yb: np.ndarray) -> None:
        opt.zero_grad()
        loss = cost(model(Tensor(xb)), yb) + nn.l2_penalty(model, lambd, len(xb))
        loss.backward()
        opt.step()

    if compiled:
        step = compile_step(step)
    epochs, stopped_early = 0, False
    for epoch in range(max_epochs):
        model.train()
        for xb, yb in optim.minibatches(data.Xtr, data.ytr, batch_size=batch_size, seed=seed * 10_000 + epoch):
            step(xb, yb)
        history["lr"].append(schedule.get_last_lr()[0])
        schedule.step()
        epochs = epoch + 1
        for name, Xs, ys in (("train", data.Xtr, data.ytr), ("dev", data.Xdv, data.ydv)):
            c, a = evaluate(model, Xs, ys)
            history[f"{name}_cost"].append(c)
            history[f"{name}_accuracy"].append(a)
        if on_epoch is not None:
            on_epoch(epoch, history)
        if stopper.step(history["dev_cost"][-1], model):
            stopped_early = True
            break
    else:
        stopper.restore(model)  # the epochs ran out: keep the best weights seen on the dev set
    return {"history": history, "epochs": epochs, "optimizer": opt, "stopped_early": stopped_early,
            "best_epoch": int(np.argmin(history["dev_cost"])) + 1}


def run(config: DemoConfig) -> dict[str, Any]:
    """Run the whole demo and return the report (also written to `<out>/report.json`)."""
    import nn
    import viz
    from tinygrad_notes import random as tn_random
    from tinygrad_notes.gradcheck.model import gradcheck_model

    started = time.perf_counter()
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(config.seed)
    tn_random.manual_seed(config.seed)

    # 1. Data: the notes' split and input normalization (training statistics for every set).
    data = load_split(config.seed, config.sizes)
    say(f"digits: {len(data.Xtr)} train / {len(data.Xdv)} dev / {len(data.Xte)} test, {data.Xtr.shape[1]} features, "
        "normalized with the training set's mean and variance")

    # 2. Model: Linear layers with He initialization, dropout after each hidden layer.
    model = build_mlp(data.Xtr.shape[1], config.hidden, config.dropout, rng)
    n_params = int(sum(p.size for p in model.parameters()))
    say(f"model: {' -> '.join(map(str, (data.Xtr.shape[1], *config.hidden, 10)))}, {n_params:,} parameters")

    def l2(m: Any) -> Tensor:  # λ/(2m) Σ‖W‖², m = the examples J is taken over
        return nn.l2_penalty(m, config.lambd, config.check_examples)

    # 3. Gradient check at random initialization: J with its L2 term, dropout masks frozen.
    check_X, check_y = data.Xtr[: config.check_examples], data.ytr[: config.check_examples]
    before = _gradcheck(gradcheck_model, model, check_X, check_y, l2)
    say("gradient check at random initialization:\n" + str(before))

    # 4. Train: mini-batch Adam, learning-rate decay, L2, dropout, early stopping on the dev cost.
    norms: list[dict[str, float]] = []
    bar = _progress(config.progress)

    def on_epoch(epoch: int, history: dict[str, list[float]]) -> None:
        norms.append(viz.grad_norms(model))  # from the epoch's last mini-batch
        bar.update(1)
        bar.set_postfix(loss=f"{history['train_cost'][-1]:.3f}", dev_acc=f"{history['dev_accuracy'][-1]:.3f}")

    train_started = time.perf_counter()
    result = train(model, data, lr=config.lr, lambd=config.lambd, decay_rate=config.decay_rate,
                   batch_size=config.batch_size, max_epochs=config.max_epochs, patience=config.patience,
                   seed=config.seed, on_epoch=on_epoch, compiled=config.compile)
    train_seconds = time.perf_counter() - train_started
    bar.close()
    history = result["history"]
    how = (f"early stopping after {config.patience} epochs without a better dev cost" if result["stopped_early"]
           else f"the cap of {config.max_epochs} epochs")
    say(f"trained {result['epochs']} epochs in {train_seconds:.1f} s, until {how}; best dev cost at epoch "
        f"{result['best_epoch']} (its weights restored)")

    # 5. Gradient check again after training (the notes: backprop can be right only near w = 0).
    after = _gradcheck(gradcheck_model, model, check_X, check_y, l2)
    say("gradient check after training:\n" + str(after))

    # 6. Errors and the notes' bias/variance reading.
    errors = {name: 1 - evaluate(model, Xs, ys)[1]
              for name, Xs, ys in (("train", data.Xtr, data.ytr), ("dev", data.Xdv, data.ydv),
                                   ("test", data.Xte, data.yte))}
    diagnosis = viz.diagnose(errors["train"], errors["dev"])
    say(f"errors: train {errors['train']:.2%}, dev {errors['dev']:.2%}, test {errors['test']:.2%}")
    say(viz.explain(errors["train"], errors["dev"]))

    # 7. Files: graph, curves, gradient norms, checkpoint, report.
    files = write_outputs(out, model, data, history, norms, result["optimizer"], nn, viz)
    report = {
        "config": asdict(config),
        "data": {"train": len(data.Xtr), "dev": len(data.Xdv), "test": len(data.Xte),
                 "features": int(data.Xtr.shape[1])},
        "parameters": n_params,
        "gradcheck_at_init": _check_summary(before),
        "gradcheck_after_training": _check_summary(after),
        "epochs_run": result["epochs"],
        "stopped_early": result["stopped_early"],
        "best_epoch": result["best_epoch"],
        "train_seconds": round(train_seconds, 3),
        "history": history,
        "grad_norms": norms,
        "errors": errors,
        "accuracy": {k: 1 - v for k, v in errors.items()},
        "diagnosis": diagnosis,
        "files": files,
    }
    files["report"] = str(out / "report.json")
    report["total_seconds"] = round(time.perf_counter() - started, 3)
    _write_json(out / "report.json", report)
    say(f"wrote {', '.join(sorted(files.values()))} in {report['total_seconds']:.1f} s")
    return report


def _gradcheck(gradcheck_model: Any, model: Any, X: np.ndarray, y: np.ndarray, l2: Any) -> Any:
    """The model check, float32 parameters checked as float64 copies (the report's notes say so)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the float64-copies note is in the report itself
        return gradcheck_model(model, cost, X, y, regularization=l2)


def evaluate(model: Any, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(cost, accuracy) with dropout off, as at test time."""
    model.eval()
    try:
        with no_grad():
            logits = model(Tensor(X))
            return float(cost(logits, y).item()), float((logits.data.argmax(axis=1) == y).mean())
    finally:
        model.train()


def write_outputs(out: Path, model: Any, data: Digits, history: dict, norms: list, opt: Any, nn: Any,
                  viz: Any) -> dict[str, str]:
    """The computation graph (SVG, and an interactive HTML page), the curves and gradient norms (PNG), and the
    checkpoint."""
    from tinygrad_notes import record_sources

    files: dict[str, str] = {}
    with record_sources():  # the page shows the line of code behind each node
        loss = cost(model(Tensor(data.Xtr[:8])), data.ytr[:8])  # a small batch: the picture is about structure
    loss.backward()  # drawn after a plain backward: the parameters' gradients on this batch are shown
    try:
        files["graph"] = str(viz.render(viz.draw_graph(loss, model), out / "graph.svg"))
        files["graph_page"] = str(viz.to_html(loss, out / "graph.html", params=model))
    except viz.GraphvizNotFoundError as err:  # the DOT source is still written beside it
        say(str(err))
        files["graph_source"] = str(out / "graph.dot")
    viz.plot_learning_curves(history["train_cost"], history["dev_cost"], train_accuracy=history["train_accuracy"],
                             dev_accuracy=history["dev_accuracy"], path=out / "learning_curves.png")
    files["learning_curves"] = str(out / "learning_curves.png")
    viz.plot_grad_norms(norms, path=out / "grad_norms.png")
    files["grad_norms"] = str(out / "grad_norms.png")
    nn.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "normalizer": data.normalizer.state_dict()},
            out / "checkpoint.npz")
    files["checkpoint"] = str(out / "checkpoint.npz")
    return files


def _check_summary(report: Any) -> dict[str, Any]:
    return {"passed": bool(report.passed), "rel_error": float(report.rel_error),
            "parameters": {e.name: {"rel_error": float(e.rel_error), "passed": bool(e.passed),
                                    "verdict": e.verdict} for e in report.entries}}


def _write_json(path: Path, data: Any) -> None:
    """Write JSON atomically: a temporary file in the same folder, then a rename."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=_jsonable))
    os.replace(tmp, path)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, (np.ndarray, tuple)):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to report.json")


def say(message: str) -> None:
    print(message, flush=True)


class _Quiet:
    def update(self, n: int = 1) -> None: ...

    def set_postfix(self, **kwargs: Any) -> None: ...

    def close(self) -> None: ...


def _progress(enabled: bool) -> Any:
    """A progress bar without a total: early stopping, not a count, ends training."""
    if not enabled:
        return _Quiet()
    from tqdm.auto import tqdm  # a widget in Jupyter, a text bar in a terminal

    return tqdm(desc="training until early stopping", unit="epoch", leave=True)
