"""Quickstart: a two-layer net built by composing ops, trained a few steps, its gradients read off `.grad`.

    python examples/quickstart.py [--compile]

--compile runs each training step through tinygrad_notes.compile: the same numbers, less time.
"""

import sys

import numpy as np

from tinygrad_notes import Tensor, compile, no_grad

rng = np.random.default_rng(0)
X = Tensor(rng.standard_normal((64, 2)))  # 64 points in 2-D
y = Tensor((X.data[:, :1] * X.data[:, 1:] > 0).astype(np.float32))  # XOR-like labels
W1 = Tensor(rng.standard_normal((2, 16)) * np.sqrt(2 / 2), requires_grad=True, dtype=np.float32)  # He init
b1 = Tensor(np.zeros(16), requires_grad=True, dtype=np.float32)
W2 = Tensor(rng.standard_normal((16, 1)) * np.sqrt(1 / 16), requires_grad=True, dtype=np.float32)
b2 = Tensor(np.zeros(1), requires_grad=True, dtype=np.float32)


def train_step() -> tuple[Tensor, Tensor]:
    p = ((X @ W1 + b1).relu() @ W2 + b2).sigmoid()
    loss = -(y * p.log() + (1 - y) * (1 - p).log()).mean()
    loss.backward()
    with no_grad():
        for w in (W1, b1, W2, b2):
            w -= 0.5 * w.grad  # gradient descent, in place
            w.grad = None
    return loss, p


if "--compile" in sys.argv[1:]:
    train_step = compile(train_step)

for step in range(301):
    loss, p = train_step()
    if step % 100 == 0:
        accuracy = ((p.data > 0.5) == (y.data > 0.5)).mean()
        print(f"step {step:3d}  loss {loss.item():.4f}  accuracy {accuracy:.2%}")
