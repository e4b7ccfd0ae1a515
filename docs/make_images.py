"""Regenerate the pictures in README.md: python docs/make_images.py (needs Graphviz's dot)."""

from pathlib import Path

import numpy as np

import nn
import viz
from tinygrad_notes import Tensor

here = Path(__file__).parent / "images"

# A micrograd-style neuron: values and gradients on every node.
x1, x2 = Tensor(2.0, requires_grad=True), Tensor(0.0, requires_grad=True)
w1, w2 = Tensor(-3.0, requires_grad=True), Tensor(1.0, requires_grad=True)
b = Tensor(6.8813735870195432, requires_grad=True)
params = {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b}
o = (x1 * w1 + x2 * w2 + b).tanh()
viz.retain_grads(o)
o.backward(retain_graph=True)
viz.render(viz.draw_graph(o, params), here / "neuron.svg")

# A two-layer MLP from nn: clusters per module, parameters by name.
model = nn.Sequential(nn.Linear(4, 8, generator=np.random.default_rng(0)), nn.ReLU(),
                      nn.Linear(8, 3, generator=np.random.default_rng(1)))
X, y = Tensor(np.random.default_rng(2).standard_normal((5, 4))), np.array([0, 2, 1, 1, 0])
loss = nn.functional.cross_entropy(model(X), y) + nn.l2_penalty(model, 0.1, 5)
loss.backward(retain_graph=True)
viz.render(viz.draw_graph(loss, model), here / "mlp.svg")
print("wrote", *sorted(p.name for p in here.iterdir()))
