"""What every example shares: one BLAS thread, the command line, the output folder, figures, the digits, seed spreads.

An example imports this module before numpy (the BLAS setting counts only then), defines
`main(out_dir, quick, seed) -> dict` (the numbers it prints) and ends with

    if __name__ == "__main__":
        _common.run(main, __doc__)

so that `python examples/NAME.py [--out DIR] [--quick] [--seed N]` and `bash go.sh example NAME`
behave the same for every example. An example that trains also takes `compiled: bool = False` in
`main`, which gives it `--compile`, and wraps its training step in `step_function(step, compiled)`:
the step then runs through `tinygrad_notes.compile` (traced once, checked against eager, replayed),
with the same numbers, bit for bit.
"""

from __future__ import annotations

import os

# The examples' matrices are small: one BLAS thread is faster than several fighting for 2 shared cores
# (a run was up to 7 times slower with the default). Set OPENBLAS_NUM_THREADS yourself to override.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import inspect
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import nn
import viz
from tinygrad_notes import Tensor, compile, no_grad
from tinygrad_notes.data import Normalizer, train_dev_test_split
from tinygrad_notes.datasets import load_digits


def default_out(script: str) -> str:
    """out/examples/<name>: where an example writes its figures unless told otherwise."""
    return f"out/examples/{Path(script).stem}"


def out_folder(out_dir: str | os.PathLike) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return out


def run(main: Callable[..., dict], doc: str | None, seed_help: str = "seed of the data, the weights and the batches",
        quick_help: str = "a shorter run (seconds), for a smoke test") -> dict:
    """The command line every example shares: --out, --quick, --seed, then main(out, quick, seed); and --compile,
    main(..., compiled=True), for an example whose main takes `compiled`."""
    script = inspect.getsourcefile(main) or "example"
    out = default_out(script)
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0] if doc else None)
    parser.add_argument("--out", default=out, help=f"folder for the figures (default {out})")
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--seed", type=int, default=0, help=seed_help)
    trains = "compiled" in inspect.signature(main).parameters
    if trains:
        parser.add_argument("--compile", action="store_true",
                            help="train with compiled steps (tinygrad_notes.compile): the same numbers, less time")
    args = parser.parse_args()
    if trains:
        return main(args.out, args.quick, args.seed, compiled=args.compile)
    return main(args.out, args.quick, args.seed)


def step_function(step: Callable[..., Any], compiled: bool) -> Callable[..., Any]:
    """`step` itself, or with `compiled` the step compiled (tinygrad_notes.compile): its first call traces it,
    the second checks the program against eager, later calls replay it; the numbers are the same, bit for bit.

    Keep reads into Python (`.item()`, a check that the cost is finite) outside the step: return the cost
    and read it after the call.
    """
    return compile(step) if compiled else step


def cross_entropy_step(model: nn.Module, opt: Any, compiled: bool) -> Callable[[np.ndarray, np.ndarray], Tensor]:
    """Forward and backward of a classifier on one mini-batch (xb, yb), returning the cost; `opt.step()` is left
    to the caller, so a step the optimizer refuses (a diverged run's NaN gradient) can be caught there."""

    def forward_backward(xb: np.ndarray, yb: np.ndarray) -> Tensor:
        opt.zero_grad()
        cost = nn.functional.cross_entropy(model(Tensor(xb)), yb)
        cost.backward()
        return cost

    return step_function(forward_backward, compiled)


def figure(ncols: int = 1, figsize: tuple[float, float] = (7, 4.2), nrows: int = 1) -> tuple[Any, list[Any]]:
    """A matplotlib Figure (no pyplot, no display) with nrows x ncols axes, in reading order."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    axes = [fig.add_subplot(nrows, ncols, k + 1) for k in range(nrows * ncols)]
    return fig, axes


def save(fig: Any, path: str | os.PathLike) -> Path:
    """Write a figure (PNG, SVG or PDF from the suffix), never half-written."""
    return viz.save_figure(fig, path)


def digits(seed: int, sizes: Sequence[float] = (0.6, 0.2, 0.2), normalize: bool = True) -> dict[str, np.ndarray]:
    """The 8x8 digits split (stratified) into X_train, y_train, X_dev, y_dev, X_test, y_test.

    With `normalize`, every set is normalized with the training set's mu and sigma (the notes' recipe).
    """
    X, y = load_digits()
    parts = train_dev_test_split(X, y, sizes, seed=seed, stratify=True)
    data = dict(zip(("X_train", "y_train", "X_dev", "y_dev", "X_test", "y_test"), parts))
    if normalize:
        normalizer = Normalizer().fit(data["X_train"])
        for split in ("train", "dev", "test"):
            data[f"X_{split}"] = normalizer.transform(data[f"X_{split}"])
    return data


def evaluate(model: nn.Module, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(softmax cross-entropy cost, accuracy) in eval mode (no dropout, batch norm on its running averages)."""
    model.eval()
    with no_grad():
        logits = model(Tensor(X))
        cost = nn.functional.cross_entropy(logits, y).item()
    model.train()
    return cost, float((logits.data.argmax(axis=1) == y).mean())


def spread(values: Sequence[float]) -> dict[str, float]:
    """Mean, standard deviation (over the seeds: ddof 0), smallest and largest of a result over several seeds."""
    a = np.asarray(values, dtype=np.float64)
    return {"mean": float(a.mean()), "std": float(a.std()), "min": float(a.min()), "max": float(a.max())}
