"""Engine speed: per-op overhead, an MLP training step against hand-written numpy, and a million-op chain.

Run: python benchmarks/engine.py [--quick]
Prints one table per measurement. Times are the minimum over repeats (this machine's
timings are noisy; the minimum is the least disturbed run). PyTorch and HIPS autograd are
measured too when they are installed; micrograd's scalar engine is included inline (its engine.py).
"""

from __future__ import annotations

import argparse
import gc
import math
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workloads import N_OPS, chain_step, mlp_numpy_step  # noqa: E402  (this folder is on sys.path)

from tinygrad_notes import Tensor, no_grad  # noqa: E402


def best_of_each(fns: dict[str, Callable[[], object] | None], repeats: int) -> dict[str, float]:
    """Minimum wall time of each function, measured in turns (one run of each per round), so a slow
    spell of this shared machine hits all of them alike instead of whichever ran during it."""
    live = {name: fn for name, fn in fns.items() if fn is not None}
    for fn in live.values():
        fn()
    best = dict.fromkeys(live, float("inf"))
    for _ in range(repeats):
        for name, fn in live.items():
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))


# ---- per-op overhead ----------------------------------------------------------------------------
def chain_numpy(shape: tuple[int, ...]) -> Callable[[], object]:
    """The same chain with its backward written by hand: the floor any engine pays for numpy itself."""
    x0 = np.full(shape, 0.5)

    def run() -> object:
        outs = []
        y = x0
        for _ in range(N_OPS // 3):
            y = np.tanh(y * 1.01 + 0.1)
            outs.append(y)
        g = np.ones(shape)
        for y in reversed(outs):
            g = g * (1 - y * y) * 1.01
        return g

    return run


class Value:
    """micrograd's scalar, as in its engine.py: floats, a closure per op, a set of children, recursive topo sort."""

    def __init__(self, data: float, _children: tuple = (), _op: str = "") -> None:
        self.data = data
        self.grad = 0
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op

    def __add__(self, other: object) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward() -> None:
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other: object) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward() -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def tanh(self) -> Value:  # as in micrograd's lecture notebook
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward() -> None:
            self.grad += (1 - t * t) * out.grad
        out._backward = _backward
        return out

    def backward(self) -> None:
        topo, visited = [], set()

        def build_topo(v: Value) -> None:
            if v not in visited:
                visited.add(v)
                for child in v._prev:
                    build_topo(child)
                topo.append(v)
        build_topo(self)
        self.grad = 1
        for v in reversed(topo):
            v._backward()


def chain_micrograd() -> Callable[[], object]:
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))

    def run() -> object:
        x = Value(0.5)
        y = x
        for _ in range(N_OPS // 3):
            y = (y * 1.01 + 0.1).tanh()
        y.backward()
        return x.grad

    return run


def chain_torch(shape: tuple[int, ...]) -> Callable[[], object] | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    x = torch.full(shape, 0.5, dtype=torch.float64, requires_grad=True)

    def run() -> object:
        y = x
        for _ in range(N_OPS // 3):
            y = torch.tanh(y * 1.01 + 0.1)
        y.sum().backward()
        x.grad = None
        return y

    return run


def chain_autograd(shape: tuple[int, ...]) -> Callable[[], object] | None:
    try:
        import autograd
        import autograd.numpy as anp
    except ImportError:
        return None

    def f(x: object) -> object:
        y = x
        for _ in range(N_OPS // 3):
            y = anp.tanh(y * 1.01 + 0.1)
        return anp.sum(y)

    g = autograd.grad(f)
    x0 = np.full(shape, 0.5)
    return lambda: g(x0)


def per_op(repeats: int) -> None:
    rows = []
    for label, shape in [("0-d float64", ()), ("(8, 8) float64", (8, 8))]:
        fns: dict[str, Callable[[], object] | None] = {
            "tinygrad_notes": chain_step(shape), "numpy by hand": chain_numpy(shape),
            "PyTorch eager": chain_torch(shape), "HIPS autograd": chain_autograd(shape)}
        if not shape:
            fns["micrograd (floats)"] = chain_micrograd()
        times = best_of_each(fns, repeats)
        ours, floor = times["tinygrad_notes"], times["numpy by hand"]
        for name in fns:
            if name not in times:
                rows.append([label, name, "not installed", "", ""])
                continue
            t = times[name]
            rows.append([label, name, f"{t / N_OPS * 1e6:.2f}", f"{t / ours:.2f}", f"{t / floor:.1f}"])
    table(f"Per-op overhead: a chain of {N_OPS} ops (mul, add, tanh in turn), forward + backward "
          "(targets: 0-d <= 3 us/op, (8, 8) <= 4 us/op)",
          ["tensor", "engine", "us per op", "vs ours", "vs numpy floor"], rows)


# ---- MLP training step ----------------------------------------------------------------------------
SIZES = (784, 256, 128, 10)
BATCH = 128


def mlp_params(rng: np.random.Generator) -> list[np.ndarray]:
    params = []
    for n_in, n_out in zip(SIZES[:-1], SIZES[1:]):
        params += [(rng.standard_normal((n_in, n_out)) * np.sqrt(2 / n_in)).astype(np.float32),
                   np.zeros(n_out, np.float32)]
    return params


def mlp_numpy(params: list[np.ndarray], X: np.ndarray, y: np.ndarray, lr: float) -> Callable[[], object]:
    """One SGD step of the MLP, backward derived by hand: the baseline (benchmarks/workloads.py)."""
    return mlp_numpy_step(params, X, y, lr)


def mlp_ours(params: list[np.ndarray], X: np.ndarray, y: np.ndarray, lr: float) -> Callable[[], object]:
    ps = [Tensor(p, requires_grad=True) for p in params]
    W1, b1, W2, b2, W3, b3 = ps
    xt = Tensor(X)
    rows = np.arange(len(y))

    def step() -> object:
        logits = ((xt @ W1 + b1).relu() @ W2 + b2).relu() @ W3 + b3
        loss = -logits.log_softmax(axis=1)[rows, y].mean()
        loss.backward()
        with no_grad():
            for p in ps:
                w = p.inplace_data()
                w -= lr * p.grad.data
                p.grad = None
        return loss

    return step


def mlp_torch(params: list[np.ndarray], X: np.ndarray, y: np.ndarray, lr: float) -> Callable[[], object] | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    ps = [torch.tensor(p, requires_grad=True) for p in params]
    W1, b1, W2, b2, W3, b3 = ps
    xt, yt = torch.tensor(X), torch.tensor(y)

    def step() -> object:
        logits = torch.relu(torch.relu(xt @ W1 + b1) @ W2 + b2) @ W3 + b3
        loss = torch.nn.functional.cross_entropy(logits, yt)
        loss.backward()
        with torch.no_grad():
            for p in ps:
                p -= lr * p.grad
                p.grad = None
        return loss

    return step


def mlp(repeats: int) -> None:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], BATCH)
    makers = [("numpy by hand", mlp_numpy), ("tinygrad_notes", mlp_ours), ("PyTorch (1 thread)", mlp_torch)]
    fns = {name: make(mlp_params(np.random.default_rng(1)), X, y, 1e-3) for name, make in makers}
    times = best_of_each(fns, repeats)
    base = times["numpy by hand"]
    rows = [[name, f"{times[name] * 1e3:.3f}", f"{times[name] / base:.2f}"] if name in times
            else [name, "not installed", ""] for name in fns]
    table(f"MLP {'-'.join(map(str, SIZES))}, ReLU, softmax cross-entropy, batch {BATCH}, float32: one SGD step "
          "(target: <= 1.10 x numpy)", ["implementation", "ms per step", "vs numpy"], rows)


# ---- a million-op chain ---------------------------------------------------------------------------
def deep_chain(n: int) -> None:
    gc.collect()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    x = Tensor(0.5, requires_grad=True, dtype=np.float64)
    start = time.perf_counter()
    y = x
    for _ in range(n):
        y = y * 1.0000001
    built = time.perf_counter()
    y.backward()
    done = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert np.isclose(x.grad.item(), 1.0000001**n)
    table(f"A chain of {n:,} muls on a 0-d tensor: backward is an iterative walk (no recursion limit)",
          ["forward s", "backward s", "peak RSS MB", "growth MB", "bytes per op", "x.grad correct"],
          [[f"{built - start:.2f}", f"{done - built:.2f}", f"{peak / 1024:.0f}", f"{(peak - before) / 1024:.0f}",
            f"{(peak - before) * 1024 / n:.0f}", "yes"]])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats and a shorter deep chain")
    args = parser.parse_args()
    repeats = 5 if args.quick else 50
    per_op(repeats)
    mlp(repeats)
    deep_chain(100_000 if args.quick else 1_000_000)


if __name__ == "__main__":
    main()
