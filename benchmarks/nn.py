"""Benchmark: one SGD step of an MLP 784-256-128-10 built from nn.Linear/nn.ReLU vs the same MLP on bare Tensors.

Same run, same data, same initial weights, same update code: ReLU hidden
layers, softmax cross-entropy, batch 128, float32. A step is forward, backward
and the update. Each variant is timed in blocks of steps, the variants
interleaved block by block (so machine noise hits them alike), and the table
reports the minimum and the median over blocks. Rows: hand-written numpy (the
floor), bare Tensors, nn modules, and PyTorch when it is installed. BLAS runs on
one thread unless OPENBLAS_NUM_THREADS / OMP_NUM_THREADS say otherwise: on a
shared 2-core machine threaded BLAS makes the timings noise.

    python benchmarks/nn.py [--blocks 30] [--steps 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # before numpy loads its BLAS

import numpy as np  # noqa: E402

# This script is called nn.py: drop its own folder from the path so `import nn` finds the package, not itself,
# and put the project root first (like benchmarks/engine.py) so it runs without PYTHONPATH.
_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [os.path.dirname(_here)] + [p for p in sys.path if os.path.abspath(p or ".") != _here]

import nn  # noqa: E402
from tinygrad_notes import Tensor  # noqa: E402

SIZES = (784, 256, 128, 10)
BATCH = 128
LR = 0.01


def make_data(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], BATCH)
    return x, y


def he_weights(rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    """(W, b) per layer, W of shape (out, in) as nn.Linear stores it."""
    return [((rng.standard_normal((n_out, n_in)) * np.sqrt(2 / n_in)).astype(np.float32), np.zeros(n_out, np.float32))
            for n_in, n_out in zip(SIZES[:-1], SIZES[1:])]


def sgd_update(params: list[Tensor]) -> None:
    """The same plain update for both engine variants: p -= lr * grad, then clear the grad."""
    for p in params:
        data = p.inplace_data()
        data -= LR * p.grad.data
        p.grad = None


def bare_tensor_step(weights: list[tuple[np.ndarray, np.ndarray]], x: np.ndarray, y: np.ndarray) -> Callable[[], float]:
    """The MLP written with bare Tensors: x @ W + b with W stored (in, out), loss by hand from log_softmax."""
    params = []
    for w, b in weights:
        params += [Tensor(w.T.copy(), requires_grad=True), Tensor(b.copy(), requires_grad=True)]
    W1, b1, W2, b2, W3, b3 = params
    xt, rows = Tensor(x), np.arange(BATCH)

    def step() -> float:
        h = (xt @ W1 + b1).relu()
        h = (h @ W2 + b2).relu()
        logits = h @ W3 + b3
        loss = -logits.log_softmax(-1)[rows, y].mean()
        loss.backward()
        sgd_update(params)
        return loss.item()

    return step


def nn_step(weights: list[tuple[np.ndarray, np.ndarray]], x: np.ndarray, y: np.ndarray) -> Callable[[], float]:
    """The same MLP from nn.Linear and nn.ReLU, loss nn.CrossEntropyLoss."""
    model = nn.Sequential(nn.Linear(SIZES[0], SIZES[1]), nn.ReLU(), nn.Linear(SIZES[1], SIZES[2]), nn.ReLU(),
                          nn.Linear(SIZES[2], SIZES[3]))
    model.load_state_dict({f"{2 * i}.{name}": a for i, (w, b) in enumerate(weights)
                           for name, a in (("weight", w), ("bias", b))})
    params = list(model.parameters())
    loss_fn = nn.CrossEntropyLoss()
    xt = Tensor(x)

    def step() -> float:
        loss = loss_fn(model(xt), y)
        loss.backward()
        sgd_update(params)
        return loss.item()

    return step


def numpy_step(weights: list[tuple[np.ndarray, np.ndarray]], x: np.ndarray, y: np.ndarray) -> Callable[[], float]:
    """Forward and backward by hand in numpy: the floor any engine pays on top of."""
    params = [a.copy() for w, b in weights for a in (w, b)]
    onehot = np.eye(SIZES[-1], dtype=np.float32)[y]

    def step() -> float:
        W1, b1, W2, b2, W3, b3 = params
        z1 = x @ W1.T + b1
        a1 = np.maximum(z1, 0)
        z2 = a1 @ W2.T + b2
        a2 = np.maximum(z2, 0)
        z3 = a2 @ W3.T + b3
        shifted = z3 - z3.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = -log_probs[np.arange(BATCH), y].mean()
        dz3 = (np.exp(log_probs) - onehot) / BATCH  # the notes' dz = y_hat - y
        dz2 = (dz3 @ W3) * (z2 > 0)
        dz1 = (dz2 @ W2) * (z1 > 0)
        grads = [dz1.T @ x, dz1.sum(0), dz2.T @ a1, dz2.sum(0), dz3.T @ a2, dz3.sum(0)]
        for p, g in zip(params, grads):
            p -= LR * g
        return float(loss)

    return step


def torch_step(weights: list[tuple[np.ndarray, np.ndarray]], x: np.ndarray,
               y: np.ndarray) -> Callable[[], float] | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    layers = [torch.nn.Linear(SIZES[0], SIZES[1]), torch.nn.ReLU(), torch.nn.Linear(SIZES[1], SIZES[2]),
              torch.nn.ReLU(), torch.nn.Linear(SIZES[2], SIZES[3])]
    model = torch.nn.Sequential(*layers)
    with torch.no_grad():
        for layer, (w, b) in zip(layers[::2], weights):
            layer.weight.copy_(torch.from_numpy(w))
            layer.bias.copy_(torch.from_numpy(b))
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step() -> float:
        loss = loss_fn(model(xt), yt)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        return loss.item()

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=30, help="timed blocks per variant")
    parser.add_argument("--steps", type=int, default=10, help="SGD steps per block")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    x, y = make_data(rng)
    weights = he_weights(rng)
    variants = {"numpy by hand": numpy_step(weights, x, y), "bare Tensors": bare_tensor_step(weights, x, y),
                "nn.Linear + nn.ReLU": nn_step(weights, x, y)}
    torch_variant = torch_step(weights, x, y)
    if torch_variant is not None:
        variants["PyTorch (1 thread)"] = torch_variant

    first_losses = {name: step() for name, step in variants.items()}  # also warms up
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.blocks):
        for name, step in variants.items():
            start = time.perf_counter()
            for _ in range(args.steps):
                step()
            times[name].append((time.perf_counter() - start) / args.steps)

    bare = min(times["bare Tensors"])
    numpy_floor = min(times["numpy by hand"])
    print(f"MLP 784-256-128-10, ReLU, softmax cross-entropy, batch {BATCH}, float32: one SGD step "
          f"(min and median over {args.blocks} blocks of {args.steps} steps; "
          f"BLAS threads: {os.environ['OPENBLAS_NUM_THREADS']})\n")
    print(f"{'variant':<22} {'min ms':>8} {'median ms':>10} {'vs bare':>8} {'vs numpy':>9} {'first loss':>11}")
    for name, ts in times.items():
        best = min(ts)
        print(f"{name:<22} {best * 1e3:8.3f} {statistics.median(ts) * 1e3:10.3f} {best / bare:8.3f} "
              f"{best / numpy_floor:9.3f} {first_losses[name]:11.5f}")
    ratio = min(times["nn.Linear + nn.ReLU"]) / bare
    print(f"\nnn / bare Tensors = {ratio:.3f} ({'within' if ratio <= 1.05 else 'OUTSIDE'} the 5% target)")


if __name__ == "__main__":
    main()
