"""Benchmark: do the demo's epochs slow down as its weights go subnormal? Epoch times over a long run, flushed or not.

The demo's L2 term pulls the weights of pixels that are always 0 (and so their Adam state) toward 0
forever; in float32 they end up subnormal (below 1.2e-38), which some CPUs compute far more slowly.
Two copies of the demo's training (same data, seed, model, Adam, decay, L2 and dropout; the demo's
epoch, its evaluation of the train and dev cost included) run side by side for `--epochs` epochs:
"as is", and "flushed", which sets every subnormal weight and Adam state entry to 0 after each
epoch (outside the timing). They take turns epoch by epoch in a random order, so the load of other
processes on this shared machine falls on both alike. The table gives the median epoch time per
block of epochs, the ratio of the two, and how many subnormal numbers the unflushed copy holds.

    OPENBLAS_NUM_THREADS=1 python benchmarks/demo_epochs.py [--epochs 400] [--block 50] [--seed 0]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _root not in sys.path:
    sys.path.insert(0, _root)  # a plain checkout works too

import numpy as np  # noqa: E402

import nn  # noqa: E402
import optim  # noqa: E402
from tinygrad_notes import Tensor  # noqa: E402
from tinygrad_notes import random as tn_random  # noqa: E402
from tinygrad_notes.app.demo import DemoConfig, build_mlp, cost, evaluate, load_split  # noqa: E402

TINY = np.finfo(np.float32).tiny  # the smallest normal float32


class Run:
    """One copy of the demo's training, advanced one epoch at a time."""

    def __init__(self, data, config: DemoConfig, flush: bool) -> None:
        self.data, self.config, self.flush = data, config, flush
        self.model = build_mlp(data.Xtr.shape[1], config.hidden, config.dropout, np.random.default_rng(config.seed))
        self.opt = optim.Adam(self.model.parameters(), lr=config.lr)
        self.schedule = optim.InverseTimeDecay(self.opt, decay_rate=config.decay_rate)
        self.generator = np.random.default_rng([config.seed, 1])  # its own dropout stream
        for module in self.model.modules():
            if isinstance(module, nn.Dropout):
                module.generator = self.generator
        self.epoch = 0

    def train_epoch(self) -> float:
        """One epoch as the demo runs it (mini-batches, then the train and dev cost); its time in seconds."""
        c, data = self.config, self.data
        start = time.perf_counter()
        self.model.train()
        for xb, yb in optim.minibatches(data.Xtr, data.ytr, batch_size=c.batch_size, seed=c.seed * 10_000 + self.epoch):
            self.opt.zero_grad()
            loss = cost(self.model(Tensor(xb)), yb) + nn.l2_penalty(self.model, c.lambd, len(xb))
            loss.backward()
            self.opt.step()
        self.schedule.step()
        evaluate(self.model, data.Xtr, data.ytr)
        evaluate(self.model, data.Xdv, data.ydv)
        elapsed = time.perf_counter() - start
        self.epoch += 1
        if self.flush:
            for a in self.arrays():
                a[(a != 0) & (np.abs(a) < TINY)] = 0
        return elapsed

    def arrays(self) -> list[np.ndarray]:
        """The weights and Adam's V and S, as the arrays themselves."""
        out = [p.inplace_data() for p in self.model.parameters()]
        for state in self.opt.state.values():
            out += [v for v in state.values() if isinstance(v, np.ndarray)]
        return out

    def subnormals(self) -> int:
        return int(sum(((a != 0) & (np.abs(a) < TINY)).sum() for a in self.arrays()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=400)
    parser.add_argument("--block", type=int, default=50, help="epochs per row of the table")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    config = DemoConfig(seed=args.seed)
    tn_random.manual_seed(args.seed)
    data = load_split(args.seed)
    runs = {"as is": Run(data, config, flush=False), "flushed": Run(data, config, flush=True)}
    order_rng = np.random.default_rng(12345)
    times: dict[str, list[float]] = {name: [] for name in runs}
    counts: list[int] = []
    for _ in range(args.epochs):
        for name in order_rng.permutation(list(runs)):
            times[name].append(runs[name].train_epoch())
        counts.append(runs["as is"].subnormals())

    print(f"the demo's training (seed {args.seed}), {args.epochs} epochs each, interleaved epoch by epoch in random "
          f"order; OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
    print(f"{'epochs':>11}  {'as is ms':>9}  {'flushed ms':>10}  {'as is / flushed':>15}  {'subnormals (as is)':>18}")
    for start in range(0, args.epochs, args.block):
        stop = min(start + args.block, args.epochs)
        a = 1e3 * np.median(times["as is"][start:stop])
        b = 1e3 * np.median(times["flushed"][start:stop])
        print(f"{start + 1:>5}-{stop:<5}  {a:9.2f}  {b:10.2f}  {a / b:15.3f}  {counts[stop - 1]:18d}")
    first, last = (1e3 * np.median(times["as is"][s]) for s in (slice(0, args.block), slice(-args.block, None)))
    print(f"last block / first block (as is): {last / first:.3f}; all epochs, as is / flushed: "
          f"{np.median(times['as is']) / np.median(times['flushed']):.3f}")


if __name__ == "__main__":
    main()
