"""Benchmark: what an optimizer step costs next to a training step, and what it allocates.

The model is the 784-256-128-10 MLP (bare float32 Tensors, ReLU, softmax cross-entropy through
log_softmax) on a batch of 128. A training step is zero_grad + forward + backward + optimizer step;
the goal is Adam's step at most 15% of it. Hand-written numpy Adam is timed for comparison, in the
textbook form that allocates new arrays every step and in place, and PyTorch's Adam (its own training
step on the same MLP) when torch is installed. tracemalloc measures the memory a step allocates once the state exists.

    PYTHONPATH=. python benchmarks/optim.py [--repeat 200]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import tracemalloc
from collections.abc import Callable

# This script is called optim.py, and Python puts its folder first on sys.path: swap that entry for the
# project root, so `import optim` finds the package (not this file) from a plain checkout too.
_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [os.path.dirname(_here)] + [p for p in sys.path if os.path.abspath(p or ".") != _here]

import numpy as np  # noqa: E402

import optim  # noqa: E402
from tinygrad_notes import Tensor  # noqa: E402

SIZES = [784, 256, 128, 10]
BATCH = 128


def make_mlp(rng: np.random.Generator) -> list[Tensor]:
    params = []
    for n_in, n_out in zip(SIZES[:-1], SIZES[1:]):
        params.append(Tensor((rng.standard_normal((n_in, n_out)) * np.sqrt(2 / n_in)).astype(np.float32),
                             requires_grad=True))  # He init
        params.append(Tensor(np.zeros(n_out, np.float32), requires_grad=True))
    return params


def loss_of(params: list[Tensor], x: Tensor, y: Tensor) -> Tensor:
    h = x
    for i in range(0, len(params), 2):
        h = h @ params[i] + params[i + 1]
        if i < len(params) - 2:
            h = h.relu()
    return -(y * h.log_softmax()).sum(axis=1).mean()


def best_time(fn: Callable[[], object], repeat: int) -> float:
    """The minimum over `repeat` runs (the least disturbed by the other work on the machine), in seconds."""
    for _ in range(3):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def numpy_adam_allocating(params: list[Tensor], lr: float = 1e-3, b1: float = 0.9, b2: float = 0.999,
                          eps: float = 1e-8) -> Callable[[], None]:
    """The textbook numpy Adam: new arrays for V, S, V̂, Ŝ and the update every step."""
    V = [np.zeros_like(p.data) for p in params]
    S = [np.zeros_like(p.data) for p in params]
    t = [0]

    def step() -> None:
        t[0] += 1
        for i, p in enumerate(params):
            g = p.grad.data
            V[i] = b1 * V[i] + (1 - b1) * g
            S[i] = b2 * S[i] + (1 - b2) * g * g
            v_hat, s_hat = V[i] / (1 - b1 ** t[0]), S[i] / (1 - b2 ** t[0])
            w = p.inplace_data()
            w -= lr * v_hat / (np.sqrt(s_hat) + eps)

    return step


def numpy_adam_inplace(params: list[Tensor], lr: float = 1e-3, b1: float = 0.9, b2: float = 0.999,
                       eps: float = 1e-8) -> Callable[[], None]:
    """Hand-tuned numpy Adam: preallocated state, one shared scratch array, every op with out= (what optim does)."""
    V = [np.zeros_like(p.data) for p in params]
    S = [np.zeros_like(p.data) for p in params]
    scratch = np.empty(max(p.size for p in params), dtype=np.float32)
    t = [0]

    def step() -> None:
        t[0] += 1
        c1, c2 = 1 - b1 ** t[0], 1 - b2 ** t[0]
        root_c2 = math.sqrt(c2)
        for i, p in enumerate(params):
            g, v, s = p.grad.data, V[i], S[i]
            buf = scratch[: g.size].reshape(g.shape)
            v *= b1
            np.multiply(g, 1 - b1, out=buf)
            v += buf
            s *= b2
            np.multiply(g, g, out=buf)
            buf *= 1 - b2
            s += buf
            np.sqrt(s, out=buf)
            buf += eps * root_c2
            np.divide(v, buf, out=buf)
            buf *= lr * root_c2 / c1
            w = p.inplace_data()
            w -= buf

    return step


def torch_rows(repeat: int) -> list[tuple[str, float, float]] | None:
    """PyTorch on the same MLP, for context: (variant, Adam step, forward + backward) in seconds; None without it."""
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(0)
    params = []
    for n_in, n_out in zip(SIZES[:-1], SIZES[1:]):
        params += [(torch.randn(n_in, n_out) * math.sqrt(2 / n_in)).requires_grad_(), torch.zeros(n_out,
                   requires_grad=True)]
    x, y = torch.randn(BATCH, SIZES[0]), torch.randint(SIZES[-1], (BATCH,))

    def forward_backward() -> None:
        h = x
        for i in range(0, len(params), 2):
            h = h @ params[i] + params[i + 1]
            if i < len(params) - 2:
                h = h.relu()
        torch.nn.functional.cross_entropy(h, y).backward()

    def step_of(options: dict) -> float:
        opt = torch.optim.Adam(params, lr=1e-3, **options)
        forward_backward()  # gradients for the step to use
        return best_time(opt.step, repeat)

    fb = best_time(forward_backward, repeat)
    rows = [(name, step_of(options), fb) for name, options in
            [("default (foreach)", {}), ("foreach=False", {"foreach": False}), ("fused=True", {"fused": True})]]
    return rows


def allocated_by(fn: Callable[[], object]) -> int:
    """Peak bytes allocated while `fn` runs (after its state exists)."""
    fn()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        fn()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200, help="timed repetitions per row (the minimum is shown)")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    params = make_mlp(rng)
    n_params = sum(p.size for p in params)
    x = Tensor(rng.standard_normal((BATCH, SIZES[0])).astype(np.float32))
    y = Tensor(np.eye(SIZES[-1], dtype=np.float32)[rng.integers(SIZES[-1], size=BATCH)])

    optimizers = {
        "SGD": optim.SGD(params, lr=1e-2),
        "SGD momentum 0.9": optim.SGD(params, lr=1e-2, momentum=0.9),
        "RMSprop": optim.RMSprop(params, lr=1e-3),
        "Adam": optim.Adam(params, lr=1e-3),
        "AdamW": optim.AdamW(params, lr=1e-3),
    }
    loss_of(params, x, y).backward()  # gradients for the step-only timings

    def forward_backward() -> None:
        for p in params:
            p.grad = None
        loss_of(params, x, y).backward()

    adam = optimizers["Adam"]

    def training_step() -> None:
        adam.zero_grad()
        loss_of(params, x, y).backward()
        adam.step()

    fb = best_time(forward_backward, args.repeat)
    train = best_time(training_step, args.repeat)
    rows = []
    for name, opt in optimizers.items():
        step = best_time(opt.step, args.repeat)
        rows.append((f"optim.{name}", step, allocated_by(opt.step)))
    for name, step_fn in [("numpy Adam, textbook (allocating)", numpy_adam_allocating(params)),
                          ("numpy Adam, in place by hand", numpy_adam_inplace(params))]:
        rows.append((name, best_time(step_fn, args.repeat), allocated_by(step_fn)))

    print(f"MLP {'-'.join(map(str, SIZES))}, {n_params:,} float32 parameters ({n_params * 4 / 1e6:.2f} MB), "
          f"batch {BATCH}; minimum of {args.repeat} runs")
    print(f"forward + backward: {fb * 1e3:.3f} ms;  training step with optim.Adam: {train * 1e3:.3f} ms\n")
    header = f"{'step':<44} {'time (ms)':>10} {'/ training step':>16} {'vs numpy Adam':>14} {'allocated':>12}"
    print(header)
    print("-" * len(header))
    numpy_adam = rows[len(optimizers) + 1][1]
    for name, t, alloc in rows:
        mem = "n/a" if alloc is None else f"{alloc:,} B"
        print(f"{name:<44} {t * 1e3:>10.3f} {t / train:>15.1%} {t / numpy_adam:>13.2f}x {mem:>12}")
    adam_step = rows[3][1]
    ratio = adam_step / train
    print(f"\nAdam's step is {ratio:.1%} of a training step (goal: at most 15%): {'PASS' if ratio <= 0.15 else 'FAIL'}")
    torch = torch_rows(args.repeat)
    if torch is not None:
        print(f"\nPyTorch {torch[0][2] * 1e3:.3f} ms forward + backward on the same MLP; its Adam step, and the "
              "share of its training step (step / (forward + backward + step)):")
        for name, step, fb_torch in torch:
            print(f"  torch.optim.Adam {name:<18} {step * 1e3:.3f} ms  {step / (fb_torch + step):.1%}")
    adam_alloc = rows[3][2]
    print(f"Adam's step allocates {adam_alloc:,} bytes, {adam_alloc / (n_params * 4):.3%} of the parameters' size "
          f"(the textbook form: {rows[len(optimizers)][2]:,} bytes)")


if __name__ == "__main__":
    main()
