"""Benchmark: conv2d forward + backward (input, weight and bias gradients) against PyTorch, one thread.

Two cases from issue 18: a (64, 1, 8, 8) batch (8x8 digits) with 16 3x3 filters, and (32, 16, 28, 28)
with 32 3x3 filters; padding 1, float32. Our conv2d is im2col through a strided view and one matmul
(tinygrad_notes/tensor_conv.py). The contenders run in blocks, interleaved in a random order each
round (so machine noise hits them alike); the table reports the minimum and the median per block, and
the ratio of minimums to PyTorch's. The target is at most 3x PyTorch. BLAS and PyTorch use one thread.

    python benchmarks/conv.py [--rounds 30] [--steps 5]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # before numpy loads its BLAS

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # runs from a plain checkout

from tinygrad_notes import Tensor  # noqa: E402

CASES = {  # name: (input shape, weight shape)
    "(64, 1, 8, 8) * 16 3x3": ((64, 1, 8, 8), (16, 1, 3, 3)),
    "(32, 16, 28, 28) * 32 3x3": ((32, 16, 28, 28), (32, 16, 3, 3)),
}
TARGET = 3.0


def ours(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> Callable[[], None]:
    xt, wt, bt = (Tensor(a, requires_grad=True) for a in (x, w, b))

    def step() -> None:
        out = xt.conv2d(wt, bt, padding=1)
        out.backward(np.ones(out.shape, dtype=np.float32))
        xt.grad = wt.grad = bt.grad = None

    return step


def pytorch(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> Callable[[], None] | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))

    def step() -> None:
        out = torch.nn.functional.conv2d(xt, wt, bt, padding=1)
        out.backward(torch.ones_like(out))
        xt.grad = wt.grad = bt.grad = None

    return step


def numpy_matmul_floor(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> Callable[[], None]:
    """The three matrix products alone (forward, dW, dX on im2col rows): what any im2col conv pays."""
    n, c, h, wd = x.shape
    o = w.shape[0]
    rows = np.ascontiguousarray(np.random.default_rng(0).standard_normal((n * h * wd, c * 9)).astype(np.float32))
    wm = w.reshape(o, -1)
    g = np.ones((n * h * wd, o), dtype=np.float32)

    def step() -> None:
        rows @ wm.T
        g.T @ rows
        g @ wm

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="interleaved rounds")
    parser.add_argument("--steps", type=int, default=5, help="forward + backward steps per timed block")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"conv2d forward + backward, padding 1, float32, one thread (min and median ms per step over "
          f"{args.rounds} interleaved rounds of {args.steps} steps)\n")
    print(f"{'case':<28} {'contender':<22} {'min ms':>8} {'median ms':>10} {'vs PyTorch':>11}")
    ratios = {}
    for case, (xs, ws) in CASES.items():
        x = rng.standard_normal(xs).astype(np.float32)
        w = (rng.standard_normal(ws) * np.sqrt(2 / np.prod(ws[1:]))).astype(np.float32)
        b = np.zeros(ws[0], dtype=np.float32)
        contenders = {"tinygrad_notes": ours(x, w, b), "3 matmuls (numpy)": numpy_matmul_floor(x, w, b)}
        torch_step = pytorch(x, w, b)
        if torch_step is not None:
            contenders["PyTorch"] = torch_step
        for step in contenders.values():
            step()  # warm up
        times: dict[str, list[float]] = {name: [] for name in contenders}
        order = list(contenders)
        for _ in range(args.rounds):
            random.shuffle(order)
            for name in order:
                start = time.perf_counter()
                for _ in range(args.steps):
                    contenders[name]()
                times[name].append((time.perf_counter() - start) / args.steps)
        base = min(times["PyTorch"]) if "PyTorch" in times else None
        for name, ts in times.items():
            ratio = f"{min(ts) / base:11.2f}" if base else f"{'-':>11}"
            print(f"{case:<28} {name:<22} {min(ts) * 1e3:8.3f} {statistics.median(ts) * 1e3:10.3f} {ratio}")
        if base:
            ratios[case] = min(times["tinygrad_notes"]) / base
    for case, ratio in ratios.items():
        print(f"\n{case}: tinygrad_notes / PyTorch = {ratio:.2f} ({'within' if ratio <= TARGET else 'OUTSIDE'} "
              f"the {TARGET:g}x target)", end="")
    print()


if __name__ == "__main__":
    main()
