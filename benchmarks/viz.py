"""How long a graph picture takes: describing the graph and writing the DOT text (ours), laying it out (Graphviz's),
and the HTML pages of the demo's MLP.

Run: OPENBLAS_NUM_THREADS=1 python benchmarks/viz.py
The graphs are deep tanh nets, h = tanh(h @ W + b), 8 graph nodes per layer
(W, b, matmul, add, tanh and their outputs), drawn after a plain backward.
Times are the minimum over repeats. The goals: the DOT text of a 10,000-node
computation in under 1 s (every node drawn: fold=False, max_nodes=None), and
every default picture laid out by `dot` in under 2 s.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# This file is named like the package it measures: drop its own folder from the path so `import viz` finds the
# package, not this script.
_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [os.path.dirname(_here)] + [p for p in sys.path if os.path.abspath(p or ".") != _here]

import numpy as np  # noqa: E402

import nn  # noqa: E402
import viz  # noqa: E402
from tinygrad_notes import Tensor, record_sources  # noqa: E402
from viz.graph import describe  # noqa: E402


def deep_net(layers: int, width: int = 8) -> Tensor:
    rng = np.random.default_rng(0)
    h = Tensor(rng.standard_normal((4, width)).astype(np.float32))
    for _ in range(layers):
        W = Tensor(rng.standard_normal((width, width)).astype(np.float32) * 0.3, requires_grad=True)
        b = Tensor(np.zeros(width, np.float32), requires_grad=True)
        h = (h @ W + b).tanh()
    loss = h.square().mean()
    loss.backward()
    return loss


def demo_mlp(backward: bool) -> tuple[object, Tensor]:
    """The demo's model (64-128-10 MLP, dropout) on a batch of 8, its ops' source lines recorded."""
    from tinygrad_notes.app.demo import build_mlp

    rng = np.random.default_rng(0)
    model = build_mlp(64, (128,), 0.2, rng)
    with record_sources():
        loss = nn.functional.cross_entropy(model(Tensor(rng.standard_normal((8, 64)).astype(np.float32))),
                                           rng.integers(0, 10, 8))
    if backward:
        loss.backward()
    return model, loss


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


def drawn(source: str) -> int:
    return sum(source.count(f'class="{kind}') for kind in ("tensor", "op", "module", "fold", "note", "repeat"))


def pictures() -> None:
    print(f"{'graph nodes':>11} {'fold':>5} {'max_nodes':>9} {'drawn':>6} {'describe s':>10} {'DOT text s':>10} "
          f"{'dot layout s':>12}")
    rows = [(13, False, None), (13, True, 200), (125, False, None), (125, True, 200), (1250, False, None),
            (1250, False, 200), (1250, True, 200), (5000, True, 200)]
    goal = ""
    for layers, fold, max_nodes in rows:
        loss = deep_net(layers)
        n = len(describe([loss]).nodes)
        describe_s, _ = best_of(lambda loss=loss: describe([loss]), 5)
        dot_s, source = best_of(lambda loss=loss, f=fold, m=max_nodes: viz.draw_graph(loss, max_nodes=m, fold=f).source,
                                5)
        layout = "-"
        if shutil.which("dot") and drawn(source) <= 1100:
            layout = f"{layout_seconds(source):.3f}"
        print(f"{n:>11,} {str(fold):>5} {str(max_nodes):>9} {drawn(source):>6,} {describe_s:>10.3f} {dot_s:>10.3f} "
              f"{layout:>12}")
        if 9_000 <= n <= 11_000 and max_nodes is None:
            goal = f"DOT text of all {n:,} nodes in {dot_s:.3f} s: {'under' if dot_s < 1 else 'OVER'} the 1 s goal"
    print(goal)


def pages() -> None:
    """The two HTML pages of the demo's MLP: the time to write each (dot's layouts included) and its size."""
    print(f"\n{'page of the demo MLP':<40} {'seconds':>8} {'KB':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        model, loss = demo_mlp(backward=True)
        picture = viz.draw_graph(loss, model)
        fresh_model, fresh_loss = demo_mlp(backward=False)  # backprop_steps replays a graph not yet freed
        cases = [
            ("to_html(loss, params=model)", folder / "graph.html",
             lambda path: viz.to_html(loss, path, params=model)),
            ("to_html(draw_graph(loss, model))", folder / "picture.html", lambda path: viz.to_html(picture, path)),
            ("backprop_steps(loss, params=model)", folder / "steps.html",
             lambda path: viz.backprop_steps(fresh_loss, path, params=fresh_model)),
        ]
        for name, path, make in cases:
            seconds, _ = best_of(lambda make=make, path=path: make(path), 5)
            print(f"{name:<40} {seconds:>8.3f} {path.stat().st_size / 1024:>6.0f}")


def main() -> None:
    pictures()
    if shutil.which("dot"):
        pages()
    else:
        print("(Graphviz's dot is not installed: no layout times and no pages)")
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
        n = len(describe([y]).nodes)
        draw_s, source = best_of(lambda y=y: viz.draw_graph(y).source, 2)
        drawn = sum(source.count(f'class="{kind}') for kind in ("tensor", "op", "module", "fold", "note"))
        print(f"{inputs:>8,} {n:>11,} {record_s:>9.2f} {draw_s:>12.2f} {drawn:>6,}")
        if inputs == 100_000:
            print(f"100,000 inputs drawn in {draw_s:.2f} s: {'within' if draw_s <= 5 else 'OVER'} the 5 s goal")


if __name__ == "__main__":
    main()
