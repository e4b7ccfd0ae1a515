"""Compiled steps (tinygrad_notes.compile) against eager, hand-written numpy and PyTorch eager: tables of ratios.

1. One SGD step of an MLP 784-256-128-10 (ReLU, softmax cross-entropy, batch 128), float32: compiled vs
   numpy by hand (target <= 1.03x). The same in float64, with the page faults per step (resource.getrusage's
   minor faults; target 0 for the compiled step: its temporaries are buffers it keeps).
2. A chain of 999 ops (mul, add, tanh in turn), forward and backward, per op, on a 0-d tensor and on (8, 8):
   compiled vs PyTorch eager (targets <= 0.30x on 0-d, <= 0.4x on (8, 8)), and the floats=True program on 0-d
   (target <= 0.2 us per op).
3. The digits demo's epoch, with and without --compile (tinygrad_notes.app.demo.train).
4. Tracing: milliseconds to trace each step once (the first call) and to check it (the second call).

Contenders are timed in rounds: each round runs every contender once, in a fresh random order, so a slow spell
of this shared machine hits them alike; the tables give the median and the minimum over rounds. Times are the CPU
time of this process (time.process_time: everything here runs on one thread, BLAS included), so that the other
processes of a busy machine, which wall-clock time would count, stay out; `--wall` measures wall-clock time.

    python benchmarks/compile.py [--rounds 60] [--quick]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import resource
import statistics
import sys
import time
import warnings
from collections.abc import Callable

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # before numpy loads its BLAS

_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [os.path.dirname(_here)] + [p for p in sys.path if os.path.abspath(p or ".") != _here]

import numpy as np  # noqa: E402

import optim  # noqa: E402
from tinygrad_notes import Tensor, compile, no_grad  # noqa: E402

# this folder's workloads.py, by path: the folder itself is off sys.path (its nn.py and optim.py would
# shadow the packages)
_spec = importlib.util.spec_from_file_location("workloads", os.path.join(_here, "workloads.py"))
_workloads = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_workloads)  # type: ignore[union-attr]
mlp_numpy_step, chain_step = _workloads.mlp_numpy_step, _workloads.chain_step

try:
    import torch

    torch.set_num_threads(1)
except ImportError:
    torch = None

SIZES = (784, 256, 128, 10)
BATCH = 128
LR = 1e-3
N_OPS = _workloads.N_OPS  # the chain of workloads.py: mul, add, tanh in turn
CLOCK = time.process_time  # see the module docstring; main() switches to perf_counter with --wall


def rounds(fns: dict[str, Callable[[], object]], n: int, warmup: int = 3) -> dict[str, list[float]]:
    """Seconds per call of each contender over n rounds, each round in a fresh random order."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    order = list(fns)
    for _ in range(n):
        random.shuffle(order)
        for name in order:
            start = CLOCK()
            fns[name]()
            times[name].append(CLOCK() - start)
    return times


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))


# ---- 1. the MLP step ------------------------------------------------------------------------------------------
def mlp_params(dtype: type) -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    params = []
    for n_in, n_out in zip(SIZES[:-1], SIZES[1:]):
        params += [(rng.standard_normal((n_in, n_out)) * np.sqrt(2 / n_in)).astype(dtype), np.zeros(n_out, dtype)]
    return params


def mlp_numpy(X: np.ndarray, y: np.ndarray, dtype: type) -> Callable[[], object]:
    """One SGD step with the backward derived by hand: the floor (benchmarks/workloads.py)."""
    return mlp_numpy_step(mlp_params(dtype), X, y, LR)


def mlp_step(dtype: type, update: str = "optim") -> Callable[[np.ndarray, np.ndarray], Tensor]:
    """The same step with tinygrad_notes: bare Tensors, log_softmax, and optim.SGD ("optim") or the update
    written in the step as numpy by hand writes it, p -= lr * grad under no_grad ("in the step")."""
    params = [Tensor(p, requires_grad=True) for p in mlp_params(dtype)]
    W1, b1, W2, b2, W3, b3 = params
    opt = optim.SGD(params, lr=LR)

    def step(X: np.ndarray, y: np.ndarray) -> Tensor:
        opt.zero_grad()
        logits = ((Tensor(X) @ W1 + b1).relu() @ W2 + b2).relu() @ W3 + b3
        loss = -logits.log_softmax(axis=1)[np.arange(len(y)), y].mean()
        loss.backward()
        if update == "optim":
            opt.step()  # replayed as one call: its Python loop over the parameters runs on every step
        else:
            with no_grad():
                for p in params:
                    p -= LR * p.grad  # recorded like the rest: two numpy calls per parameter
        return loss

    return step


def mlp_torch(X: np.ndarray, y: np.ndarray, dtype: type) -> Callable[[], object] | None:
    if torch is None:
        return None
    ps = [torch.tensor(p, requires_grad=True) for p in mlp_params(dtype)]
    W1, b1, W2, b2, W3, b3 = ps
    xt, yt = torch.tensor(X), torch.tensor(y)
    opt = torch.optim.SGD(ps, lr=LR)

    def step() -> object:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(torch.relu(torch.relu(xt @ W1 + b1) @ W2 + b2) @ W3 + b3, yt)
        loss.backward()
        opt.step()
        return loss

    return step


def faults_per_step(fn: Callable[[], object], steps: int) -> float:
    for _ in range(5):
        fn()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(steps):
        fn()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / steps


def faults_in_fresh_process(name: str, dtype: type) -> str:
    """Page faults per step of one contender, measured alone in a new process: the memory allocator adapts to
    what ran before it (after a few large frees it keeps memory instead of returning it), so a contender
    measured after the others would look better than it is."""
    import subprocess

    out = subprocess.run([sys.executable, __file__, "--faults-of", name, np.dtype(dtype).name],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def measure_faults(name: str, dtype_name: str) -> None:
    dtype = np.dtype(dtype_name).type
    rng = np.random.default_rng(0)
    X = rng.standard_normal((BATCH, SIZES[0])).astype(dtype)
    y = rng.integers(0, SIZES[-1], BATCH)
    if name == "numpy by hand":
        fn = mlp_numpy(X, y, dtype)
    elif name == "PyTorch eager":
        fn = mlp_torch(X, y, dtype)
    else:
        update = "in the step" if "in the step" in name else "optim"
        step = mlp_step(dtype) if name == "tinygrad_notes eager" else compile(mlp_step(dtype, update))
        fn = lambda: step(X, y)  # noqa: E731
    print(f"{faults_per_step(fn, 50):.0f}")


def mlp(n_rounds: int, traces: list[list[str]]) -> None:
    rows: list[list[str]] = []
    for dtype in (np.float32, np.float64):
        mlp_rows(dtype, n_rounds, traces, rows)
    table(f"1. MLP {'-'.join(map(str, SIZES))}, batch {BATCH}: one SGD step (targets: compiled <= 1.03x numpy in "
          "float32; 0 page faults per step in float64). numpy by hand updates with p -= lr * g; optim.SGD's step "
          "is replayed whole (its learning rate may change), so its Python loop over the parameters is in the time",
          ["dtype", "implementation", "ms median", "ms min", "vs numpy (median)", "vs numpy (min)",
           "page faults/step (alone)"], rows)


def mlp_rows(dtype: type, n_rounds: int, traces: list[list[str]], rows: list[list[str]]) -> None:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((BATCH, SIZES[0])).astype(dtype)
    y = rng.integers(0, SIZES[-1], BATCH)
    eager = mlp_step(dtype)
    compiled = compile(mlp_step(dtype))
    inplace = compile(mlp_step(dtype, "in the step"))
    started = time.perf_counter()
    compiled(X, y)
    traced = time.perf_counter()
    compiled(X, y)
    traces.append([f"MLP step, {np.dtype(dtype).name}", f"{(traced - started) * 1e3:.1f}",
                   f"{(time.perf_counter() - traced) * 1e3:.1f}", str(compiled.programs()[0].n_steps)])
    fns = {"numpy by hand": mlp_numpy(X, y, dtype), "tinygrad_notes eager": lambda: eager(X, y),
           "compiled, optim.SGD": lambda: compiled(X, y),
           "compiled, p -= lr * grad in the step": lambda: inplace(X, y)}
    pt = mlp_torch(X, y, dtype)
    if pt is not None:
        fns["PyTorch eager"] = pt
    times = rounds(fns, n_rounds)
    base_med, base_min = statistics.median(times["numpy by hand"]), min(times["numpy by hand"])
    for name, ts in times.items():
        rows.append([np.dtype(dtype).name, name, f"{statistics.median(ts) * 1e3:.3f}", f"{min(ts) * 1e3:.3f}",
                     f"{statistics.median(ts) / base_med:.3f}", f"{min(ts) / base_min:.3f}",
                     faults_in_fresh_process(name, dtype)])
    assert compiled.stats["replays"] > 0 and inplace.stats["replays"] > 0, (compiled.stats, inplace.stats)


# ---- 2. the 999-op chain --------------------------------------------------------------------------------------
def chain_numpy(shape: tuple[int, ...]) -> Callable[[], object]:
    x0 = np.full(shape, 0.5)[()]

    def step() -> object:
        outs = []
        y = x0
        for _ in range(N_OPS // 3):
            y = np.tanh(y * 1.01 + 0.1)
            outs.append(y)
        g = np.ones(shape)[()]
        for y in reversed(outs):
            g = g * (1 - y * y) * 1.01
        return g

    return step


def chain_torch(shape: tuple[int, ...]) -> Callable[[], object] | None:
    if torch is None:
        return None
    x = torch.full(shape, 0.5, dtype=torch.float64, requires_grad=True)

    def step() -> object:
        y = x
        for _ in range(N_OPS // 3):
            y = torch.tanh(y * 1.01 + 0.1)
        y.sum().backward()
        x.grad = None
        return y

    return step


def chain(n_rounds: int, traces: list[list[str]]) -> None:
    rows = []
    for shape in ((), (8, 8)):
        label = "0-d float64" if not shape else f"{shape} float64"
        fns: dict[str, Callable[[], object]] = {"numpy by hand": chain_numpy(shape),
                                                "tinygrad_notes eager": chain_step(shape)}
        compiled = compile(chain_step(shape))
        started = time.perf_counter()
        compiled()
        traced = time.perf_counter()
        compiled()
        traces.append([f"999-op chain, {label}", f"{(traced - started) * 1e3:.1f}",
                       f"{(time.perf_counter() - traced) * 1e3:.1f}", str(compiled.programs()[0].n_steps)])
        fns["tinygrad_notes compiled"] = compiled
        if not shape:
            floats = compile(chain_step(shape), floats=True)
            floats()
            floats()
            assert floats.programs()[0].floats is None, floats.programs()[0].floats
            fns["compiled, floats=True"] = floats
        pt = chain_torch(shape)
        if pt is not None:
            fns["PyTorch eager"] = pt
        times = rounds(fns, n_rounds)
        ref = statistics.median(times["PyTorch eager"]) if "PyTorch eager" in times else None
        for name, ts in times.items():
            med = statistics.median(ts)
            rows.append([label, name, f"{med / N_OPS * 1e6:.3f}", f"{min(ts) / N_OPS * 1e6:.3f}",
                         f"{med / ref:.3f}" if ref else "no PyTorch"])
    table(f"2. A chain of {N_OPS} ops (mul, add, tanh in turn), forward + backward, per op (targets: compiled <= "
          "0.30x PyTorch on 0-d, <= 0.4x on (8, 8); floats=True <= 0.2 us on 0-d)",
          ["tensor", "engine", "us/op median", "us/op min", "vs PyTorch eager (median)"], rows)


# ---- 3. the demo's epoch --------------------------------------------------------------------------------------
def demo_epochs(n_epochs: int, repeats: int) -> None:
    """Train the demo's model `repeats` times each way, the two ways in random order; time every epoch."""
    from tinygrad_notes import random as tn_random
    from tinygrad_notes.app.demo import build_mlp, load_split, train

    data = load_split(0)
    later: dict[str, list[float]] = {"eager": [], "compiled (--compile)": []}
    first: dict[str, list[float]] = {"eager": [], "compiled (--compile)": []}
    histories: dict[str, dict] = {}
    for _ in range(repeats):
        order = list(later)
        random.shuffle(order)
        for name in order:
            tn_random.manual_seed(0)
            model = build_mlp(data.Xtr.shape[1], (128,), 0.2, np.random.default_rng(0))
            stamps = [CLOCK()]

            def stamp(*_: object, stamps: list[float] = stamps) -> None:
                stamps.append(CLOCK())

            result = train(model, data, lr=2e-3, lambd=0.1, max_epochs=n_epochs, patience=n_epochs,
                           compiled=name != "eager", on_epoch=stamp)
            epochs = [b - a for a, b in zip(stamps[:-1], stamps[1:])]
            first[name].append(epochs[0])
            later[name] += epochs[1:]
            histories[name] = result["history"]
    same = histories["eager"] == histories["compiled (--compile)"]
    eager_med, eager_min = statistics.median(later["eager"]), min(later["eager"])
    rows = [[name, f"{statistics.median(first[name]) * 1e3:.1f}", f"{statistics.median(ts) * 1e3:.1f}",
             f"{min(ts) * 1e3:.1f}", f"{statistics.median(ts) / eager_med:.2f}", f"{min(ts) / eager_min:.2f}"]
            for name, ts in later.items()]
    table(f"3. The digits demo's epoch (17 mini-batch steps of Adam with L2 and dropout, then evaluation on the train "
          f"and dev sets), {n_epochs} epochs x {repeats} runs each way in random order; the histories are "
          f"{'identical' if same else 'DIFFERENT'}",
          ["training", "first epoch ms (traces, checks)", "later epochs ms median", "min", "vs eager (median)",
           "vs eager (min)"], rows)
    assert same


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=60, help="rounds of the interleaved timings")
    parser.add_argument("--quick", action="store_true", help="a few rounds (a smoke test)")
    parser.add_argument("--wall", action="store_true", help="time with wall-clock time instead of CPU time")
    parser.add_argument("--faults-of", nargs=2, metavar=("NAME", "DTYPE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    global CLOCK
    if args.wall:
        CLOCK = time.perf_counter
    if args.faults_of:
        measure_faults(*args.faults_of)
        return
    n = 5 if args.quick else args.rounds
    warnings.simplefilter("error")  # a compile warning would mean a benchmark ran eagerly
    traces: list[list[str]] = []
    mlp(n, traces)
    chain(max(n // 3, 3), traces)
    demo_epochs(4 if args.quick else 12, 2 if args.quick else 6)
    table("4. Tracing: the first call traces and builds the program, the second checks it against eager",
          ["step", "trace ms (call 1)", "check ms (call 2)", "steps in program"], traces)


if __name__ == "__main__":
    main()
