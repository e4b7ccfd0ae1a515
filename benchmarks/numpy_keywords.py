"""What the PyTorch-keyword check (`errors.numpy_keywords`) costs ordinary calls: ops with and without it.

Run: OPENBLAS_NUM_THREADS=1 python benchmarks/numpy_keywords.py [--rounds N]
The decorator wraps each op that takes an axis in a small function that calls it; the keywords are looked
at only when Python refuses one. "without" puts the undecorated functions (`__wrapped__`) back on Tensor
for its turns. The contenders run interleaved, in a random order each round; the table gives the minimum
and the median per call and their ratio (with / without).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tinygrad_notes import Tensor  # noqa: E402
from tinygrad_notes.errors import numpy_keywords  # noqa: E402

DECORATED = {name: f for name, f in vars(Tensor).items() if getattr(f, "__wrapped__", None) is not None}


@contextmanager
def undecorated() -> Iterator[None]:
    """Tensor's ops as they were before the decorator: the functions it wrapped."""
    for name, f in DECORATED.items():
        setattr(Tensor, name, f.__wrapped__)
    try:
        yield
    finally:
        for name, f in DECORATED.items():
            setattr(Tensor, name, f)


def cases() -> dict[str, tuple[Callable[[], object], int]]:
    """{name: (function, calls per run)}."""
    rng = np.random.default_rng(0)
    small = Tensor(rng.standard_normal((4, 4)).astype(np.float32))
    logits = Tensor(rng.standard_normal((64, 10)).astype(np.float32), requires_grad=True)
    W1 = Tensor(rng.standard_normal((64, 128)).astype(np.float32) * 0.1, requires_grad=True)
    W2 = Tensor(rng.standard_normal((128, 10)).astype(np.float32) * 0.1, requires_grad=True)
    X = Tensor(rng.standard_normal((64, 64)).astype(np.float32))
    labels = rng.integers(0, 10, 64)

    def sum_small() -> object:
        for _ in range(1000):
            small.sum()
        return None

    def log_softmax_mean() -> object:
        for _ in range(200):
            logits.log_softmax(axis=1).mean()
        return None

    def training_step() -> object:  # an MLP step: matmuls, relu, log_softmax, a mean, backward
        for _ in range(50):
            logp = ((X @ W1).relu() @ W2).log_softmax(axis=1)
            loss = -logp[np.arange(64), labels].mean()
            loss.backward()
            W1.grad = W2.grad = None
        return None

    return {"x.sum(), 4x4, no graph": (sum_small, 1000),
            "x.log_softmax(axis=1).mean(), 64x10, graph": (log_softmax_mean, 200),
            "MLP 64-128-10 step, batch 64 (forward + backward)": (training_step, 50)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    assert DECORATED, "no op carries numpy_keywords"
    assert all(f.__code__ is numpy_keywords(len).__code__ for f in DECORATED.values())
    rows = []
    for name, (fn, calls) in cases().items():
        times: dict[str, list[float]] = {"with": [], "without": []}
        for _ in range(args.rounds):
            for contender in random.sample(list(times), 2):
                with undecorated() if contender == "without" else _nothing():
                    fn()  # warm
                    start = time.perf_counter()
                    fn()
                    times[contender].append((time.perf_counter() - start) / calls)
        rows.append((name, times))
    print(f"{len(DECORATED)} Tensor ops carry the check; {args.rounds} interleaved rounds, per call:")
    header = (f"{'case':<52} {'without (us)':>12} {'with (us)':>10} {'ratio min':>10} {'ratio median':>13}")
    print(header)
    print("-" * len(header))
    for name, times in rows:
        lo = {k: min(v) for k, v in times.items()}
        med = {k: statistics.median(v) for k, v in times.items()}
        print(f"{name:<52} {lo['without'] * 1e6:>12.2f} {lo['with'] * 1e6:>10.2f} "
              f"{lo['with'] / lo['without']:>10.3f} {med['with'] / med['without']:>13.3f}")


@contextmanager
def _nothing() -> Iterator[None]:
    yield


if __name__ == "__main__":
    main()
