"""How long a gradient check of a real model takes: MLP 64-64-64-10 (8,970 parameters), tanh, batch 32, float64.

Rows: our full check (2 x 8,970 evaluations of the cost, every component
compared), the same evaluations made by calling the function instead of
replaying its graph, our fast mode (random projections), the notes' loop written
by hand in numpy (the same 17,940 forward passes, no checker around them), and
PyTorch's `torch.autograd.gradcheck` (full and fast_mode) when torch is
installed. Times are the minimum over several runs (the machine is shared).
Targets from the issue: full check <= 1.0 s, fast mode <= 0.05 s.

    python benchmarks/gradcheck.py
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the project, from a plain checkout too

from tinygrad_notes import Tensor, gradcheck_model  # noqa: E402

SIZES = [64, 64, 64, 10]
BATCH = 32


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


def best_of(fn: Callable[[], object], runs: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


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


def torch_rows(params: dict[str, np.ndarray], X: np.ndarray, Y: np.ndarray, runs: int) -> list[tuple]:
    try:
        import torch
    except ImportError:
        return [("torch.autograd.gradcheck", None, "torch not installed", "")]
    tensors = [torch.tensor(params[n], dtype=torch.float64, requires_grad=True) for n in params]
    Xt, Yt = torch.tensor(X), torch.tensor(Y)

    def loss(W1, b1, W2, b2, W3, b3):
        h = torch.tanh(Xt @ W1 + b1)
        h = torch.tanh(h @ W2 + b2)
        return -(torch.log_softmax(h @ W3 + b3, dim=1) * Yt).sum() / len(Yt)

    rows = []
    default_threads = torch.get_num_threads()
    for threads in sorted({default_threads, 1}, reverse=True):  # its default, and one thread as numpy uses
        torch.set_num_threads(threads)
        for fast in (False, True):
            seconds, ok = best_of(lambda fast=fast: torch.autograd.gradcheck(loss, tensors, fast_mode=fast),
                                  2 if not fast else runs)
            rows.append((f"torch.autograd.gradcheck{' fast_mode' if fast else ''}", seconds,
                         f"torch {torch.__version__}, {threads} thread(s), passed={ok}", ""))
    torch.set_num_threads(default_threads)
    return rows


def main() -> None:
    params, X, Y = make_problem()
    tensors = {n: Tensor(a.copy(), requires_grad=True) for n, a in params.items()}
    n = sum(a.size for a in params.values())

    def check(**options: object):
        report = gradcheck_model(tensors, cross_entropy, X, Y, forward=forward, **options)
        assert report.passed, str(report)
        return report

    rows = []
    t_full, report = best_of(check, 5)
    rows.append(("tinygrad_notes full check", t_full, f"{report.evaluations} evaluations, "
                 f"rel. error {report.rel_error:.1e}", "<= 1.0 s"))
    t_call, report_call = best_of(lambda: check(replay=False), 1)
    rows.append(("  same, calling the function", t_call, f"{report_call.evaluations} evaluations", ""))
    t_fast, report_fast = best_of(lambda: check(fast=True), 20)
    rows.append(("tinygrad_notes fast mode", t_fast, f"{report_fast.evaluations} evaluations, "
                 f"{len(report_fast.entries)} x 4 probes", "<= 0.05 s"))
    t_numpy, rel = best_of(lambda: numpy_loop(params, X, Y), 1)
    rows.append(("hand-written numpy loop (notes)", t_numpy, f"{2 * n} evaluations, rel. error {rel:.1e}", ""))
    rows += torch_rows(params, X, Y, runs=5)

    print(f"gradient check of an MLP {'-'.join(map(str, SIZES))}: {n} parameters, tanh, batch {BATCH}, float64")
    print(f"{'method':36s} {'seconds':>9s} {'vs numpy':>9s}  {'target':9s} notes")
    print("-" * 100)
    for name, seconds, notes, target in rows:
        if seconds is None:
            print(f"{name:36s} {'-':>9s} {'-':>9s}  {target:9s} {notes}")
            continue
        print(f"{name:36s} {seconds:9.3f} {seconds / t_numpy:8.2f}x  {target:9s} {notes}")
    print(f"\nfull check {'meets' if t_full <= 1.0 else 'MISSES'} its 1.0 s target; "
          f"fast mode {'meets' if t_fast <= 0.05 else 'MISSES'} its 0.05 s target")


if __name__ == "__main__":
    main()
