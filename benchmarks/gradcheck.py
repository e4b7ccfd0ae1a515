"""How long gradient checks take, against PyTorch's gradcheck on the same functions, measured in one run.

Two problems, each checked in full (every component compared) and in fast mode:

- the MLP 64-64-64-10 model check: 8,970 parameters, tanh, batch 32, cross-entropy, float64;
  our `gradcheck_model` against `torch.autograd.gradcheck` on the same weights and data
  (target: our full check <= 0.5x torch's), plus the notes' loop written by hand in numpy
  (the same 17,940 forward passes, no checker around them) and our check calling the
  function instead of replaying its graph;
- the 100x100 op check: a hand-written Function y = A @ x (A 100x100), its 10,000-entry
  Jacobian compared entry by entry (target: < 0.2 s), and torch's gradcheck of the same op
  written as a torch.autograd.Function.

Every round runs every contender once, in a fresh random order; the table gives the median
and the minimum over the rounds (the machine is shared) and each median's ratio to torch's
full check of the same problem. numpy runs on one BLAS thread and torch on one thread.

    OPENBLAS_NUM_THREADS=1 python benchmarks/gradcheck.py [rounds]

torch is not a dependency: install it into the environment to get its rows.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the project, from a plain checkout too

from tinygrad_notes import Function, Tensor, gradcheck, gradcheck_model  # noqa: E402

SIZES = [64, 64, 64, 10]
BATCH = 32
ROUNDS = 5


# ---- the MLP ----------------------------------------------------------------------------------------
def make_problem(seed: int = 0) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    params = {}
    for layer, (n_in, n_out) in enumerate(zip(SIZES[:-1], SIZES[1:]), start=1):
        params[f"W{layer}"] = rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)  # Xavier, for tanh
        params[f"b{layer}"] = 0.1 * rng.standard_normal(n_out)
    X = rng.standard_normal((BATCH, SIZES[0]))
    Y = np.eye(SIZES[-1])[rng.integers(0, SIZES[-1], BATCH)]
    return params, X, Y


def forward(params: dict[str, Tensor], X: Tensor) -> Tensor:
    h = X
    for layer in (1, 2, 3):
        h = h @ params[f"W{layer}"] + params[f"b{layer}"]
        if layer < 3:
            h = h.tanh()
    return h


def cross_entropy(logits: Tensor, Y: np.ndarray) -> Tensor:
    return -(logits.log_softmax(-1) * Y).sum() / len(Y)


def numpy_loop(params: dict[str, np.ndarray], X: np.ndarray, Y: np.ndarray) -> float:
    """The notes' gradient_check_n, by hand: backprop for dθ, then 2n forward passes for dθ_approx."""
    names = list(params)

    def cost(p: dict[str, np.ndarray]) -> float:
        a1 = np.tanh(X @ p["W1"] + p["b1"])
        a2 = np.tanh(a1 @ p["W2"] + p["b2"])
        z = a2 @ p["W3"] + p["b3"]
        z = z - z.max(axis=1, keepdims=True)
        return float(-(Y * (z - np.log(np.exp(z).sum(axis=1, keepdims=True)))).sum() / len(Y))

    a1 = np.tanh(X @ params["W1"] + params["b1"])
    a2 = np.tanh(a1 @ params["W2"] + params["b2"])
    z = a2 @ params["W3"] + params["b3"]
    p = np.exp(z - z.max(axis=1, keepdims=True))
    dz3 = (p / p.sum(axis=1, keepdims=True) - Y) / len(Y)
    dz2 = dz3 @ params["W3"].T * (1 - a2**2)
    dz1 = dz2 @ params["W2"].T * (1 - a1**2)
    grads = {"W3": a2.T @ dz3, "b3": dz3.sum(0), "W2": a1.T @ dz2, "b2": dz2.sum(0), "W1": X.T @ dz1,
             "b1": dz1.sum(0)}
    theta = np.concatenate([params[n].ravel() for n in names])
    dtheta = np.concatenate([grads[n].ravel() for n in names])
    shapes = [params[n].shape for n in names]
    bounds = np.cumsum([0] + [int(np.prod(s)) for s in shapes])

    def unpack(t: np.ndarray) -> dict[str, np.ndarray]:
        return {n: t[a:b].reshape(s) for n, a, b, s in zip(names, bounds[:-1], bounds[1:], shapes)}

    approx = np.empty_like(theta)
    eps = 1e-7
    for i in range(theta.size):
        plus, minus = theta.copy(), theta.copy()
        plus[i] += eps
        minus[i] -= eps
        approx[i] = (cost(unpack(plus)) - cost(unpack(minus))) / (2 * eps)
    return float(np.linalg.norm(approx - dtheta) / (np.linalg.norm(approx) + np.linalg.norm(dtheta)))


# ---- the 100x100 op ------------------------------------------------------------------------------------
OP_RNG = np.random.default_rng(0)
A = OP_RNG.standard_normal((100, 100))
X_OP = OP_RNG.standard_normal(100)


class MatVec(Function):
    """y = A @ x with its backward written by hand: dx = A^T g."""

    def forward(ctx, x):
        return A @ x

    def backward(ctx, g):
        return Tensor(A).T @ g


# ---- contenders -------------------------------------------------------------------------------------------
def contenders() -> tuple[dict[str, tuple[str, Callable[[], Any]]], str]:
    """name -> (problem, a run returning something to verify); and a description of torch."""
    params, X, Y = make_problem()
    tensors = {n: Tensor(a.copy(), requires_grad=True) for n, a in params.items()}

    def ours(**options: Any) -> Callable[[], Any]:
        def run() -> Any:
            report = gradcheck_model(tensors, cross_entropy, X, Y, forward=forward, **options)
            assert report.passed, str(report)
            return report
        return run

    def ours_op(**options: Any) -> Callable[[], Any]:
        def run() -> Any:
            report = gradcheck(lambda x: MatVec.apply(x), [X_OP], **options)
            assert report.passed and report.entries[0].checked == (10_000 if not options else 32), str(report)
            return report
        return run

    runs: dict[str, tuple[str, Callable[[], Any]]] = {
        "tinygrad_notes full check": ("mlp", ours()),
        "  same, calling the function": ("mlp", ours(replay=False)),
        "tinygrad_notes fast mode": ("mlp", ours(fast=True)),
        "hand-written numpy loop (notes)": ("mlp", lambda: numpy_loop(params, X, Y)),
        "tinygrad_notes 100x100 op, full": ("op", ours_op()),
        "tinygrad_notes 100x100 op, fast": ("op", ours_op(fast=True)),
    }
    try:
        import torch
    except ImportError:
        return runs, "torch not installed: no torch rows"
    torch.set_num_threads(1)
    weights = [torch.tensor(params[n], dtype=torch.float64, requires_grad=True) for n in params]
    Xt, Yt = torch.tensor(X), torch.tensor(Y)

    def loss(W1: Any, b1: Any, W2: Any, b2: Any, W3: Any, b3: Any) -> Any:
        h = torch.tanh(Xt @ W1 + b1)
        h = torch.tanh(h @ W2 + b2)
        return -(torch.log_softmax(h @ W3 + b3, dim=1) * Yt).sum() / len(Yt)

    At = torch.tensor(A)

    class TorchMatVec(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            return At @ x

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            return At.T @ g

    x_op = torch.tensor(X_OP, requires_grad=True)

    def torch_check(fn: Callable, inputs: Any, fast: bool) -> Callable[[], Any]:
        def run() -> Any:
            assert torch.autograd.gradcheck(fn, inputs, fast_mode=fast)
            return True
        return run

    runs["torch.autograd.gradcheck"] = ("mlp", torch_check(loss, weights, False))
    runs["torch.autograd.gradcheck fast_mode"] = ("mlp", torch_check(loss, weights, True))
    runs["torch.autograd.gradcheck, op"] = ("op", torch_check(TorchMatVec.apply, (x_op,), False))
    runs["torch.autograd.gradcheck fast_mode, op"] = ("op", torch_check(TorchMatVec.apply, (x_op,), True))
    return runs, f"torch {torch.__version__}, 1 thread"


TORCH_FULL = {"mlp": "torch.autograd.gradcheck", "op": "torch.autograd.gradcheck, op"}
TARGETS = {"tinygrad_notes full check": ("<= 0.5x torch", lambda t, ratio: ratio is not None and ratio <= 0.5),
           "tinygrad_notes 100x100 op, full": ("< 0.2 s", lambda t, ratio: t < 0.2)}


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else ROUNDS
    runs, torch_note = contenders()
    times: dict[str, list[float]] = {name: [] for name in runs}
    results: dict[str, Any] = {}
    order = list(runs)
    for name in order:  # one untimed warm-up round: first calls pay for imports and caches
        runs[name][1]()
    for _ in range(rounds):
        random.shuffle(order)
        for name in order:
            start = time.perf_counter()
            results[name] = runs[name][1]()
            times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(t) for name, t in times.items()}
    print(f"gradient checks, {rounds} rounds, contenders interleaved in random order; numpy on "
          f"{os.environ.get('OPENBLAS_NUM_THREADS')} BLAS thread(s), {torch_note}")
    print(f"{'':40s} {'median s':>9s} {'min s':>8s} {'vs torch':>9s}  {'target':18s} notes")
    for problem, title in (("mlp", f"MLP {'-'.join(map(str, SIZES))}: 8,970 parameters, tanh, batch {BATCH}, "
                                   "float64"),
                           ("op", "100x100 op: a hand-written Function y = A @ x, its 10,000-entry Jacobian")):
        print(title)
        torch_median = medians.get(TORCH_FULL[problem])
        for name in [n for n in runs if runs[n][0] == problem]:
            ratio = medians[name] / torch_median if torch_median else None
            target, met = TARGETS.get(name, ("", None))
            verdict = "" if met is None else " met" if met(medians[name], ratio) else " MISSED"
            print(f"  {name:38s} {medians[name]:9.4f} {min(times[name]):8.4f} "
                  f"{f'{ratio:.2g}x' if ratio is not None else '-':>9s}  {target + verdict:18s} "
                  f"{_notes(results[name])}")


def _notes(result: Any) -> str:
    if hasattr(result, "evaluations"):
        return (f"{result.evaluations} evaluations ({result.calls} calls), {sum(e.checked for e in result.entries)} "
                f"{'probes' if result.mode == 'fast' else 'components'}, rel. error {result.rel_error:.1e}")
    if isinstance(result, float):
        return f"rel. error {result:.1e}"
    return "passed"


if __name__ == "__main__":
    main()
