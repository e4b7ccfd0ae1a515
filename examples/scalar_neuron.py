"""A micrograd-style scalar neuron o = tanh(x1*w1 + x2*w2 + b): its graph, values and gradients, checked by hand.

The neuron of micrograd's walkthrough, built from 0-d float64 Tensors. Backpropagation gives every
input's gradient; the chain rule by hand gives the same thing in closed form,

    n = x1*w1 + x2*w2 + b,   o = tanh(n),   do/dn = 1 - tanh(n)^2 = 1 - o^2,
    do/dx1 = w1 (1 - o^2),   do/dw1 = x1 (1 - o^2),   do/dx2 = w2 (1 - o^2),
    do/dw2 = x2 (1 - o^2),   do/db = 1 - o^2,

and the library's gradient checker (tinygrad_notes.gradcheck: the notes' two-sided difference
(f(theta + eps) - f(theta - eps)) / (2 eps) in float64) gives it numerically. The script prints the
three side by side, then the checker's report with the notes' relative error.

What to look for in `neuron.svg` / `neuron.png` (drawn by viz.draw_graph, rendered by Graphviz's
`dot`): each tensor's value ("data") and gradient ("grad"), read from output to input. With
micrograd's values n = 0.8814 makes o = tanh(n) = 0.7071, so 1 - o^2 = 0.5 is the gradient that
reaches n, b, and both products; w2's gradient is exactly 0 because x2 = 0 (with the input off, w2
cannot change o), and the picture colours it as a vanishing gradient.

    python examples/scalar_neuron.py [--out DIR] [--quick] [--seed N] [--compile]

--compile computes the gradients again with a compiled step on Python floats (compile(..., floats=True)):
traced, checked against eager, replayed; the same numbers.

--seed 0 (the default) uses micrograd's values; another seed draws the five inputs at random.
"""

from __future__ import annotations

import math

import _common
import numpy as np

import viz
from tinygrad_notes import Tensor, compile, gradcheck

DEFAULT_OUT = _common.default_out(__file__)
MICROGRAD = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}  # o = tanh(n) = 1/sqrt(2)


def inputs_for(seed: int) -> dict[str, float]:
    """micrograd's values for seed 0; five standard normal draws otherwise."""
    if seed == 0:
        return dict(MICROGRAD)
    draws = np.random.default_rng(seed).standard_normal(5)
    return dict(zip(MICROGRAD, draws.tolist()))


def neuron(x1: Tensor, x2: Tensor, w1: Tensor, w2: Tensor, b: Tensor) -> Tensor:
    """o = tanh(x1*w1 + x2*w2 + b), every intermediate named so that the picture labels it."""
    x1w1 = x1 * w1
    x1w1.name = "x1*w1"
    x2w2 = x2 * w2
    x2w2.name = "x2*w2"
    total = x1w1 + x2w2
    total.name = "x1*w1 + x2*w2"
    n = total + b
    n.name = "n"
    o = n.tanh()
    o.name = "o"
    return o


def closed_form(v: dict[str, float]) -> dict[str, float]:
    """The chain rule by hand: each input's gradient is its partner in the product times 1 - o^2."""
    o = math.tanh(v["x1"] * v["w1"] + v["x2"] * v["w2"] + v["b"])
    dn = 1 - o * o  # d tanh(n)/dn = 1 - tanh(n)^2
    return {"x1": v["w1"] * dn, "w1": v["x1"] * dn, "x2": v["w2"] * dn, "w2": v["x2"] * dn, "b": dn}


def compiled_backprop(leaves: dict[str, Tensor]) -> dict[str, float]:
    """The same gradients from a compiled step on Python floats: traced, checked against eager, then replayed."""
    def gradients() -> dict[str, Tensor]:
        for t in leaves.values():
            t.grad = None
        neuron(**leaves).backward()
        return {name: t.grad for name, t in leaves.items()}

    step = compile(gradients, floats=True)
    for _ in range(3):  # trace, check against eager, replay
        grads = step()
    return {name: g.item() for name, g in grads.items()}


def main(out_dir: str = DEFAULT_OUT, quick: bool = False, seed: int = 0, compiled: bool = False) -> dict:
    out = _common.out_folder(out_dir)
    values = inputs_for(seed)
    leaves = {}
    for name, value in values.items():
        leaves[name] = Tensor(value, requires_grad=True, dtype=np.float64)
        leaves[name].name = name

    o = neuron(**leaves)
    viz.retain_grads(o)  # keep the intermediate gradients too, for the picture
    o.backward(retain_graph=True)  # keep the graph, so that it can still be drawn
    backprop = {name: t.grad.item() for name, t in leaves.items()}
    if compiled:
        backprop = compiled_backprop(leaves)
    by_hand = closed_form(values)
    report = gradcheck(neuron, {name: np.float64(value) for name, value in values.items()})
    numerical = {name: report[name].worst[0].numerical for name in values}

    graph = viz.draw_graph(o)
    files = []
    for fmt in ("svg", "png"):
        try:
            files.append(str(viz.render(graph, out / f"neuron.{fmt}")))
        except viz.GraphvizNotFoundError as err:  # the DOT source is saved anyway; say how to get `dot`
            print(err)
            break

    print(f"o = tanh(x1*w1 + x2*w2 + b) = {o.item():.6f}")
    print(f"{'input':<6} {'value':>10} {'backprop':>12} {'closed form':>12} {'two-sided':>12}")
    for name in values:
        print(f"{name:<6} {values[name]:10.4f} {backprop[name]:12.8f} {by_hand[name]:12.8f} {numerical[name]:12.8f}")
    worst = max(abs(backprop[k] - by_hand[k]) for k in values)
    print(f"largest |backprop - closed form| = {worst:.2e}")
    print(report)
    print(f"graph in {', '.join(files) or out / 'neuron.dot'}")
    return {"inputs": values, "output": o.item(), "backprop": backprop, "closed_form": by_hand,
            "numerical": numerical, "gradcheck_passed": report.passed, "relative_error": report.rel_error,
            "files": files}


if __name__ == "__main__":
    _common.run(main, __doc__, seed_help="0: micrograd's values; another: random inputs",
                quick_help="accepted like the other examples (this one is instant)")
