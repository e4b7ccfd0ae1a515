"""Quickstart: a two-layer net built by composing ops, trained a few steps, its gradients read off `.grad`."""

import numpy as np

from tinygrad_notes import Tensor

rng = np.random.default_rng(0)
X = Tensor(rng.standard_normal((64, 2)))  # 64 points in 2-D
y = Tensor((X.data[:, :1] * X.data[:, 1:] > 0).astype(np.float32))  # XOR-like labels
W1 = Tensor(rng.standard_normal((2, 16)) * np.sqrt(2 / 2), requires_grad=True, dtype=np.float32)  # He init
b1 = Tensor(np.zeros(16), requires_grad=True, dtype=np.float32)
W2 = Tensor(rng.standard_normal((16, 1)) * np.sqrt(1 / 16), requires_grad=True, dtype=np.float32)
b2 = Tensor(np.zeros(1), requires_grad=True, dtype=np.float32)

for step in range(301):
    p = ((X @ W1 + b1).relu() @ W2 + b2).sigmoid()
    loss = -(y * p.log() + (1 - y) * (1 - p).log()).mean()
    loss.backward()
    for w in (W1, b1, W2, b2):
        w.data -= 0.5 * w.grad.data
        w.grad = None
    if step % 100 == 0:
        accuracy = ((p.data > 0.5) == (y.data > 0.5)).mean()
        print(f"step {step:3d}  loss {loss.item():.4f}  accuracy {accuracy:.2%}")
