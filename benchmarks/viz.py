"""How long a graph picture takes: walking the graph and writing the DOT text (ours), laying it out (Graphviz's).

Run: PYTHONPATH=. python benchmarks/viz.py
The graphs are deep tanh nets, h = tanh(h @ W + b), 8 graph nodes per layer
(W, b, matmul, add, tanh and their outputs). Times are the minimum over repeats.
The goal: the DOT text of a 10,000-node computation in under 1 s.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

# This file is named like the package it measures: drop its own folder from the path so `import viz` finds the
# package, not this script.
_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [os.path.dirname(_here)] + [p for p in sys.path if os.path.abspath(p or ".") != _here]

import numpy as np  # noqa: E402

import viz  # noqa: E402
from tinygrad_notes import Tensor  # noqa: E402
from viz.graph import walk  # noqa: E402


def deep_net(layers: int, width: int = 8) -> Tensor:
    rng = np.random.default_rng(0)
    h = Tensor(rng.standard_normal((4, width)).astype(np.float32))
    for _ in range(layers):
        W = Tensor(rng.standard_normal((width, width)).astype(np.float32) * 0.3, requires_grad=True)
        b = Tensor(np.zeros(width, np.float32), requires_grad=True)
        h = (h @ W + b).tanh()
    loss = h.square().mean()
    loss.backward(retain_graph=True)
    return loss


def best_of(fn, repeats: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def layout_seconds(source: str, repeats: int = 3) -> float:
    dot = shutil.which("dot")
    return best_of(lambda: subprocess.run([dot, "-Tsvg"], input=source.encode(), capture_output=True, check=True),
                   repeats)[0]


def main() -> None:
    print(f"{'graph nodes':>11} {'max_nodes':>9} {'drawn':>6} {'walk s':>8} {'DOT text s':>10} {'dot layout s':>12}")
    rows = [(13, None), (60, None), (125, None), (1250, None), (1250, 200), (5000, 200)]
    for layers, max_nodes in rows:
        loss = deep_net(layers)
        n = len(walk([loss]).nodes)
        repeats = 5 if n <= 20_000 else 2
        walk_s, _ = best_of(lambda loss=loss: walk([loss]), repeats)
        dot_s, source = best_of(lambda loss=loss, m=max_nodes: viz.draw_graph(loss, max_nodes=m).source, repeats)
        drawn = source.count("class=\"tensor") + source.count("class=\"op") + source.count("class=\"module") \
            + source.count("class=\"fold") + source.count("class=\"note")
        layout = "-"
        if shutil.which("dot") and drawn <= 1100:
            layout = f"{layout_seconds(source):.3f}"
        print(f"{n:>11,} {str(max_nodes):>9} {drawn:>6,} {walk_s:>8.3f} {dot_s:>10.3f} {layout:>12}")
        if 9_000 <= n <= 11_000 and max_nodes is None:
            goal = f"DOT text of all {n:,} nodes in {dot_s:.3f} s: {'under' if dot_s < 1 else 'OVER'} the 1 s goal"
    print(goal)
    if not shutil.which("dot"):
        print("(Graphviz's dot is not installed: no layout times)")
    fan_in_rows()


def fan_in(inputs: int) -> Tensor:
    """y = x[0] + x[1] + ... taken one at a time: one leaf read by `inputs` getitems, a chain of adds."""
    xs = Tensor(np.ones(inputs), requires_grad=True)
    y = xs[0]
    for i in range(1, inputs):
        y = y + xs[i]
    return y


def fan_in_rows() -> None:
    """The wide fan-in whose dominator pass used to be quadratic (25,000 inputs: over 30 s to draw)."""
    print("\nA fan-in, y = y + x[i], drawn with the defaults (goal: 100,000 inputs in <= 5 s; the minimum of 2 runs)")
    print(f"{'inputs':>8} {'graph nodes':>11} {'record s':>9} {'draw_graph s':>12} {'drawn':>6}")
    for inputs in (25_000, 100_000):
        record_s, y = best_of(lambda inputs=inputs: fan_in(inputs), 2)
        n = len(walk([y]).nodes)
        draw_s, source = best_of(lambda y=y: viz.draw_graph(y).source, 2)
        drawn = sum(source.count(f'class="{kind}') for kind in ("tensor", "op", "module", "fold", "note"))
        print(f"{inputs:>8,} {n:>11,} {record_s:>9.2f} {draw_s:>12.2f} {drawn:>6,}")
        if inputs == 100_000:
            print(f"100,000 inputs drawn in {draw_s:.2f} s: {'within' if draw_s <= 5 else 'OVER'} the 5 s goal")


if __name__ == "__main__":
    main()
